"""The migrations build exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.engine import create_engine
from db.materials.search import is_search_index_object
from db.migrate import upgrade_database


def _differences(connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _not_search_index}
    )
    return compare_metadata(context, SQLModel.metadata)


def _not_search_index(obj, name, type_, reflected, compare_to) -> bool:
    # Migration 0002's FTS5 table and GIN expression index have no SQLModel counterpart.
    return not is_search_index_object(name)


async def test_models_and_migrations_agree(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_upgrading_twice_is_harmless(database_url):
    await upgrade_database(database_url)
    await upgrade_database(database_url)
