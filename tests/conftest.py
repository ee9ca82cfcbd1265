"""Fixtures: every database-touching test runs on SQLite and on PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from db.engine import create_engine, create_session_factory
from db.pubsub import Bus
from schema.build import build_schema
from tests import databases
from tests.fakes.openai_server import FakeOpenAI, start_fake_openai, stop_fake_openai
from tests.harness import TEST_JWT_SECRET, SchemaHarness, StatementCounter


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return asyncio.run(databases.create_sqlite_template(tmp_path_factory.mktemp("sqlite")))


@pytest.fixture(scope="session")
def postgres_database():
    """One fresh, migrated PostgreSQL database for the whole run, dropped at the end."""
    reason = asyncio.run(databases.postgres_unreachable_reason())
    if reason:
        if databases.postgres_required():
            pytest.fail(f"STUDYGRAPH_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    url = asyncio.run(databases.create_postgres_database())
    yield url
    asyncio.run(databases.drop_postgres_database(url))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        return databases.copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    url = request.getfixturevalue("postgres_database")
    asyncio.run(databases.truncate_postgres(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        broadcast_url="memory://",
        env="development",
        jwt_secret=TEST_JWT_SECRET,
        jwt_secret_file=tmp_path / "unused-secret",
    )


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[SchemaHarness]:
    engine = create_engine(database_url)
    bus = Bus("memory://")
    await bus.connect()
    harness = SchemaHarness(create_session_factory(engine), bus, build_schema())
    harness.engine = engine
    # No background reaper: its queries would count in SQL-count tests; tests that need
    # it call reap_once().
    await harness.generations.start(reap=False)
    try:
        yield harness
    finally:
        await harness.generations.close()
        await bus.disconnect()
        await engine.dispose()


@pytest.fixture
def count_statements(harness: SchemaHarness):
    """Returns a fresh StatementCounter attached to the harness's engine."""
    counters = []

    def attach() -> StatementCounter:
        counter = StatementCounter()
        event.listen(harness.engine.sync_engine, "before_cursor_execute", counter)
        counters.append(counter)
        return counter

    yield attach
    for counter in counters:
        event.remove(harness.engine.sync_engine, "before_cursor_execute", counter)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A running fake OpenAI-compatible server, stopped after the test."""
    fake, server, thread = start_fake_openai()
    try:
        yield fake
    finally:
        stop_fake_openai(fake, server, thread)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the real ASGI app, lifespan included."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
