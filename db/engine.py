"""Engine and session factory, built by the API's lifespan (never at import time)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]


def normalize_database_url(url: str) -> str:
    """Give plain `postgres://` and `sqlite://` URLs the async drivers we ship."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def dialect_name(url: str) -> str:
    """`postgresql` or `sqlite`: the database family behind a URL."""
    return make_url(url).get_backend_name()


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An async engine for a PostgreSQL or SQLite URL, with per-dialect connection setup."""
    url = normalize_database_url(url)
    if dialect_name(url) == "sqlite":
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys off by default and serialises writers without WAL;
    # several concurrent requests (and a test server) would otherwise see "locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # SQLite's built-in lower() folds ASCII only, so "ÉMILE" would not match "émile"
    # as it does on PostgreSQL. An application function of the same name replaces it.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions that keep loaded rows readable after commit (we return them to resolvers)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(session_factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One short session in one transaction: committed on success, rolled back on error."""
    async with session_factory() as session, session.begin():
        yield session
