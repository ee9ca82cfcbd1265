"""material search index

Revision ID: 0002
Revises: 0001

Full-text search over material_chunks.text, one native index per database:
- PostgreSQL: a GIN index on to_tsvector('english', text); queries use the very same
  expression (db/materials/search.py) so the planner can use it.
- SQLite: an external-content FTS5 table (porter stemmer) kept in step with
  material_chunks by triggers, so every way a chunk goes away (deleting a material, a
  topic, a user: ON DELETE CASCADE fires triggers) also takes it out of the index.
These objects are not SQLModel metadata; the model/migration compare test skips them
(db.materials.search.is_search_index_object).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_material_chunks_search ON material_chunks "
            "USING gin (to_tsvector('english'::regconfig, text))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS material_chunks_fts USING fts5("
        "text, content='material_chunks', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS material_chunks_fts_insert AFTER INSERT ON material_chunks "
        "BEGIN INSERT INTO material_chunks_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS material_chunks_fts_delete AFTER DELETE ON material_chunks "
        "BEGIN INSERT INTO material_chunks_fts(material_chunks_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER IF NOT EXISTS material_chunks_fts_update AFTER UPDATE ON material_chunks "
        "BEGIN INSERT INTO material_chunks_fts(material_chunks_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); "
        "INSERT INTO material_chunks_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    # Chunks written before this revision (none in practice) join the index too.
    op.execute("INSERT INTO material_chunks_fts(material_chunks_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_material_chunks_search")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS material_chunks_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS material_chunks_fts")
