"""Test databases: a migrated SQLite template file and a fresh PostgreSQL database per run."""

import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine
from db.migrate import upgrade_database

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TABLES = [
    "card_reviews",
    "cards",
    "material_chunks",
    "study_materials",
    "messages",
    "study_goals",
    "study_sessions",
    "topics",
    "refresh_tokens",
    "api_keys",
    "users",
    "login_failures",
]


def postgres_admin_url() -> str:
    return os.environ.get("STUDYGRAPH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    return os.environ.get("STUDYGRAPH_REQUIRE_POSTGRES") == "1"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_unreachable_reason() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        connection = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"PostgreSQL at {postgres_admin_url()} is unreachable: {error!r}"
    await connection.close()
    return None


async def create_postgres_database(*, migrate: bool = True) -> str:
    """A new database, migrated unless asked not to; returns its SQLAlchemy URL."""
    name = f"studygraph_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    if migrate:
        await upgrade_database(url)
    return url


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(postgres_admin_url()))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


async def create_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    await upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


def copy_sqlite(template: Path, directory: Path) -> str:
    target = directory / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"
