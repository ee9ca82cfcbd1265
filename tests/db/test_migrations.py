"""The migrations build exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.engine import create_engine, create_session_factory, unit_of_work
from db.materials.search import is_search_index_object
from db.migrate import alembic_config, upgrade_database
from db.models import User


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
    """A second upgrade (every start runs one) keeps the rows, the tables and the version."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            session.add(User(email="kept@example.com", display_name="Kept", password_hash="x"))
        await upgrade_database(database_url)
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert list(versions.scalars()) == [head]
            assert await connection.run_sync(_differences) == []
            emails = await connection.execute(text("SELECT email FROM users"))
            assert list(emails.scalars()) == ["kept@example.com"]
    finally:
        await engine.dispose()
