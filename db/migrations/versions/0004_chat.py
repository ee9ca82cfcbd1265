"""chat turns: generation lease, one running generation per session

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUNNING = sa.text("status IN ('PENDING', 'STREAMING')")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("lease_expires_at", db.types.UTCDateTime(), nullable=True))
    op.create_index(
        "uq_messages_one_running_per_session",
        "messages",
        ["session_id"],
        unique=True,
        postgresql_where=_RUNNING,
        sqlite_where=_RUNNING,
    )
    op.create_index("ix_messages_status_lease", "messages", ["status", "lease_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_status_lease", table_name="messages")
    op.drop_index("uq_messages_one_running_per_session", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("lease_expires_at")
