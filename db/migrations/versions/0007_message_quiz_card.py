"""the flashcard an answer asked, stored on the answer (messages.quiz_card_id)

Revision ID: 0007
Revises: 0006

record_quiz_answer grades the learner's reply against the card the session asked last.
That card used to be found by parsing the JSON output of next_quiz_card calls stored in
earlier answers' tool_calls; it is now a column written when the card is asked. Existing
answers get it from their stored tool calls here, so old sessions carry on as before.
No foreign key on purpose: a deleted card must read as "card not found", not make an
older question the one being answered.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("tool_calls", sa.JSON),
    sa.column("quiz_card_id", sa.Integer),
)


def upgrade() -> None:
    op.add_column("messages", sa.Column("quiz_card_id", sa.Integer(), nullable=True))
    bind = op.get_bind()
    asked = bind.execute(
        sa.select(_messages.c.id, _messages.c.tool_calls).where(
            _messages.c.role == "ASSISTANT",
            sa.cast(_messages.c.tool_calls, sa.Text).like("%next_quiz_card%"),
        )
    ).all()
    for message_id, tool_calls in asked:
        card_id = _asked_card_id(tool_calls)
        if card_id is not None:
            bind.execute(
                _messages.update().where(_messages.c.id == message_id).values(quiz_card_id=card_id)
            )


def _asked_card_id(tool_calls: Any) -> int | None:
    """The card of the answer's last next_quiz_card call that returned one (as parsed before)."""
    if isinstance(tool_calls, str):  # a JSON column read without its type, to be safe
        tool_calls = json.loads(tool_calls)
    for call in reversed(tool_calls if isinstance(tool_calls, list) else []):
        if not isinstance(call, dict) or call.get("name") != "next_quiz_card":
            continue
        try:
            card_id = json.loads(call.get("output") or "null").get("card_id")
        except (ValueError, AttributeError, TypeError):
            continue
        if isinstance(card_id, int) and not isinstance(card_id, bool):
            return card_id
    return None


def downgrade() -> None:
    op.drop_column("messages", "quiz_card_id")
