"""Apply Alembic migrations from code, on SQLite and PostgreSQL alike."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import create_engine, dialect_name

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every process of the deployment.
_MIGRATION_LOCK_ID = 0x5747_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`.

    On PostgreSQL an advisory lock makes processes that start together take turns,
    so two replicas never run the same migration twice.
    """
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            is_postgres = dialect_name(url) == "postgresql"
            if is_postgres:
                await connection.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK_ID})"))
                await connection.commit()
            try:
                await connection.run_sync(_upgrade, revision)
                await connection.commit()
            finally:
                if is_postgres:
                    await connection.execute(
                        text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK_ID})")
                    )
                    await connection.commit()
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def autogenerate_revision(connection: Connection, message: str) -> None:
    """Write a new revision from the difference between the tables and the database."""
    command.revision(alembic_config(connection), message=message, autogenerate=True)
