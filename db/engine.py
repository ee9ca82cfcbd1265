"""Engine and session factory, built by the API's lifespan (never at import time)."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
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


# How long a pooled PostgreSQL connection may sit unused before it is pinged on checkout.
PING_AFTER_IDLE_SECONDS = 10.0


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 30,
    ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
) -> AsyncEngine:
    """An async engine for a PostgreSQL or SQLite URL, with per-dialect connection setup."""
    url = normalize_database_url(url)
    if dialect_name(url) == "sqlite":
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    engine = create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_overflow(pool_size)
    )
    ping_idle_connections(engine, after_seconds=ping_after_idle_seconds)
    return engine


def pool_overflow(pool_size: int) -> int:
    """Connections a pool may open beyond its size; they are closed when returned, so
    they absorb bursts, not load."""
    return max(pool_size // 3, 1)


def connections_per_process(pool_size: int) -> int:
    """The most PostgreSQL connections one server process opens."""
    return pool_size + pool_overflow(pool_size)


async def connection_limit(url: str) -> int | None:
    """Connections PostgreSQL gives ordinary roles (max_connections minus the superuser
    reserve); None for SQLite."""
    url = normalize_database_url(url)
    if dialect_name(url) == "sqlite":
        return None
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            total = int((await connection.execute(text("SHOW max_connections"))).scalar_one())
            reserved = (
                await connection.execute(text("SHOW superuser_reserved_connections"))
            ).scalar_one()
        return total - int(reserved)
    finally:
        await engine.dispose()


def ping_idle_connections(engine: AsyncEngine, *, after_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle longer than `after_seconds`.

    `pool_pre_ping` pinged on every checkout, and asyncpg's ping outside a transaction
    is BEGIN, `;`, ROLLBACK: three round trips before each request's own statements,
    20% of the server's samples on bench/topics_rate.py. A connection that was in use
    a moment ago is alive or its failure is detected by the statement itself (SQLAlchemy
    then invalidates the pool); the one a database restart or an idle timeout killed
    while it sat in the pool is found here and replaced before a request sees it.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _went_idle(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= after_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("pooled connection is gone") from error


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


@asynccontextmanager
async def read_only(session_factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session for reads, each statement on its own (autocommit): no BEGIN or COMMIT.

    A single read needs no transaction, and on PostgreSQL BEGIN and COMMIT are a round
    trip each, as many as the read itself. Use it where one statement answers (or where
    the statements need not agree with each other); writes belong in unit_of_work.
    """
    async with session_factory() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@asynccontextmanager
async def read_connection(session_factory: SessionFactory) -> AsyncIterator[AsyncConnection]:
    """A Core connection for the hottest reads: no ORM session, no BEGIN or COMMIT.

    Measured in-process on PostgreSQL for one page of topics: 522 us of CPU through
    unit_of_work, 349 us through read_only, about 200 us on a Core connection like this.
    """
    engine: AsyncEngine = session_factory.kw["bind"]
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection
