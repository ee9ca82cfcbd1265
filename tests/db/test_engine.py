"""Pooled connections: idle ones are checked before use, hot reads skip the transaction."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.settings import Settings
from db.engine import create_engine, create_session_factory, read_connection, read_only
from tests.harness import TEST_JWT_SECRET


async def _backend_pid(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url)
    try:
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()


async def test_a_pooled_connection_killed_while_idle_is_replaced_unseen(postgres_database):
    engine = create_engine(postgres_database, pool_size=1, ping_after_idle_seconds=0.0)
    try:
        first = await _backend_pid(engine)
        await _terminate(postgres_database, first)  # a database restart, for this connection
        second = await _backend_pid(engine)
        assert second != first, "the dead connection was pinged and replaced"
    finally:
        await engine.dispose()


async def test_a_connection_in_recent_use_is_not_pinged(postgres_database):
    # The counterpart: within the idle allowance the pool hands the connection out as is,
    # so a connection killed in that window fails its next statement (and the pool is
    # then invalidated by SQLAlchemy's disconnect handling).
    engine = create_engine(postgres_database, pool_size=1, ping_after_idle_seconds=3600.0)
    try:
        await _terminate(postgres_database, await _backend_pid(engine))
        with pytest.raises(DBAPIError):
            await _backend_pid(engine)
        await _backend_pid(engine)  # the next checkout opens a fresh connection
    finally:
        await engine.dispose()


async def _driver_in_transaction(connection) -> bool:
    """Whether the database driver itself has a transaction open (BEGIN was sent)."""
    driver = (await connection.get_raw_connection()).driver_connection
    in_transaction = getattr(driver, "is_in_transaction", None)  # asyncpg
    return in_transaction() if callable(in_transaction) else driver.in_transaction  # aiosqlite


async def test_reads_run_without_a_transaction(database_url):
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with read_connection(factory) as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
            assert not await _driver_in_transaction(connection)
        async with read_only(factory) as session:
            assert (await session.exec(text("SELECT 1"))).scalar_one() == 1
            assert not await _driver_in_transaction(await session.connection())
        # The same pooled connection in an ordinary session opens a transaction again
        # (on PostgreSQL: SQLite's driver begins one only before a write).
        async with factory() as session:
            await session.exec(text("SELECT 1"))
            if engine.dialect.name == "postgresql":
                assert await _driver_in_transaction(await session.connection())
    finally:
        await engine.dispose()


async def _hold_together(engine, count: int) -> set[int]:
    """Backend pids of `count` connections checked out at the same time, then returned."""
    connections = [await engine.connect() for _ in range(count)]
    try:
        return {await _pid_of(connection) for connection in connections}
    finally:
        for connection in connections:
            await connection.close()


async def _pid_of(connection) -> int:
    return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_bursts_within_the_pool_size_reuse_their_connections(postgres_database):
    # A request holds several connections at once; a pool smaller than the load holds
    # closes the extra ones on return and opens (PostgreSQL forks) new ones each time.
    engine = create_engine(postgres_database, pool_size=6)
    try:
        first = await _hold_together(engine, 6)
        assert len(first) == 6
        assert await _hold_together(engine, 6) == first, "the same six connections"
        # Overflow (a third of the pool) absorbs a burst beyond it, and is let go after.
        burst = await _hold_together(engine, 8)
        assert len(burst) == 8 and len(burst - first) == 2
        assert await _hold_together(engine, 6) == first
    finally:
        await engine.dispose()


async def test_the_pool_size_setting_reaches_the_engine(postgres_database, tmp_path):
    settings = Settings(
        database_url=postgres_database,
        jwt_secret=TEST_JWT_SECRET,
        jwt_secret_file=tmp_path / "unused-secret",
        database_pool_size=7,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert app.state.engine.pool.size() == 7
