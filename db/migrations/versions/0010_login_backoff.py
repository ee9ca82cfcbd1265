"""throttle keys remember their last attempt; stored emails take their one spelling

Sign-in slows down instead of locking out, which needs each key's last attempt. The
counters are at most one window of throttle state, not user data: the table is
recreated rather than converted (SQLite cannot add a NOT NULL column in place).

Emails are now NFKC-normalised and case-folded (db/accounts/emails.py), where they
were only lower-cased: a stored "strasse" written with a sharp s would no longer be
found. Each is rewritten to its new spelling unless another account already has it
(two accounts that were look-alikes of each other); those keep theirs, and sign-in
still finds them by the old lower-cased spelling.

Revision ID: 0010
Revises: 0007
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | None = "0009"
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
    _respell_emails()


def _one_spelling(email: str) -> str:
    # As db/accounts/emails.py normalise_email does today; a migration keeps its own copy.
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def _respell_emails() -> None:
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))
    rows = bind.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        respelt = _one_spelling(email)
        if respelt in taken:  # unchanged, or another account has that spelling
            continue
        bind.execute(users.update().where(users.c.id == user_id).values(email=respelt))
        taken.discard(email)
        taken.add(respelt)


def downgrade() -> None:
    _drop("last_attempt_at")
    _create("window_started_at")
