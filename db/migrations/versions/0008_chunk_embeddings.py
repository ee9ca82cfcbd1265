"""meaning vectors with each material chunk, and the model that made them

Revision ID: 0008
Revises: 0007

Hybrid retrieval ranks a learner's chunks by meaning as well as by words. The vectors
live with the chunk (a float16 matrix in a binary column, db/materials/vectors.py) and
name their model, so that changing the model re-embeds in the background. Existing
chunks start NULL and are embedded by the backfill (db/materials/backfill.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns too): a batch
    # copy of the table on SQLite would drop the full-text triggers of migration 0002.
    op.add_column("material_chunks", sa.Column("embedding", sa.LargeBinary(), nullable=True))
    op.add_column(
        "material_chunks", sa.Column("embedding_model", sa.String(length=200), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("material_chunks", "embedding_model")
    op.drop_column("material_chunks", "embedding")
