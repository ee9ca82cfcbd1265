"""throttle keys remember their last attempt, so sign-in slows down instead of locking out

The counters are at most one window of throttle state, not user data: the table is
recreated rather than converted (SQLite cannot add a NOT NULL column in place).

Revision ID: 0010
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(moment_column: str) -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(moment_column, db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(f"ix_login_failures_{moment_column}", "login_failures", [moment_column])


def _drop(moment_column: str) -> None:
    op.drop_index(f"ix_login_failures_{moment_column}", table_name="login_failures")
    op.drop_table("login_failures")


def upgrade() -> None:
    _drop("window_started_at")
    _create("last_attempt_at")


def downgrade() -> None:
    _drop("last_attempt_at")
    _create("window_started_at")
