"""material search on PostgreSQL: a stored tsvector instead of recomputing it per query

Revision ID: 0006
Revises: 0005

Matching used the GIN expression index, but ranking and the per-term idf counts
recomputed to_tsvector(text) for every matching chunk, once per query term: a learner
with 2,000 chunks could make one search cost 12 s of database time. A generated column
computes it once, when the chunk is written. SQLite's FTS5 table is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE material_chunks ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_material_chunks_search_vector ON material_chunks USING gin (search_vector)"
    )
    op.execute("DROP INDEX IF EXISTS ix_material_chunks_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_material_chunks_search ON material_chunks "
        "USING gin (to_tsvector('english'::regconfig, text))"
    )
    op.execute("DROP INDEX IF EXISTS ix_material_chunks_search_vector")
    op.execute("ALTER TABLE material_chunks DROP COLUMN search_vector")
