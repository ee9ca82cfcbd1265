"""study sessions end when idle: last activity and idle deadline

Revision ID: 0009
Revises: 0007

Sessions used to stay active until ended by hand, and an abandoned one counted up to
four hours of study. Each session now keeps the learner's last activity and the moment
it ends if nothing else happens (db/study/session_clock.py). Existing open sessions get
no deadline: they read as ended at their start plus the grace, since nothing recorded
says the learner did anything in them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("last_activity_at", "idle_deadline"):
        op.add_column("study_sessions", sa.Column(name, UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_study_sessions_ended_at_idle_deadline",
        "study_sessions",
        ["ended_at", "idle_deadline"],
    )


def downgrade() -> None:
    op.drop_index("ix_study_sessions_ended_at_idle_deadline", table_name="study_sessions")
    op.drop_column("study_sessions", "idle_deadline")
    op.drop_column("study_sessions", "last_activity_at")
