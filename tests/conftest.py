"""Fixtures: every database-touching test runs on SQLite and on PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from api.settings import Settings
from db.accounts.login_throttle import LoginLimits
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory
from db.pubsub import Bus
from db.types import utcnow
from schema.build import build_schema
from schema.context import Context, ServerFacts
from tests import databases
from tutor.providers import ModelCatalog
from tutor.turn import Generations, GenerationSettings

# Short leases and flushes so that tests of dead processes and late subscribers are quick.
TEST_GENERATION_SETTINGS = GenerationSettings(
    lease_seconds=3.0, reap_interval=0.5, flush_interval=0.2, stop_grace_seconds=2.0
)

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


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


class StatementCounter:
    """Counts the SQL statements an engine sends."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:
        self.count += 1
        self.statements.append(statement)


class SchemaHarness:
    """Runs operations through schema.execute with a real database behind the context."""

    def __init__(self, session_factory, bus, schema) -> None:
        self.session_factory = session_factory
        self.bus = bus
        self.schema = schema
        self.policy = TokenPolicy(secret=TEST_JWT_SECRET)
        # Tests that need a fixed "now" replace this (see Context.clock).
        self.clock = utcnow
        self.daily_token_budget: int | None = None
        self.login_limits = LoginLimits()
        self.max_running_answers: int | None = None
        self.subscription_quota = None  # a SubscriptionQuota where a test wants one
        # The offline tutor only; provider tests build their own catalog.
        self.models = ModelCatalog(
            default_model="local:tutor", providers={}, request_timeout_seconds=5
        )
        self.generations = Generations(
            session_factory=session_factory,
            bus=bus,
            catalog=self.models,
            clock=lambda: self.clock(),
            settings=TEST_GENERATION_SETTINGS,
        )

    def context(self, user_id: int | None = None) -> Context:
        return Context(
            session_factory=self.session_factory,
            token_policy=self.policy,
            bus=self.bus,
            server=ServerFacts("test", "test", "memory", "local:tutor"),
            user_id=user_id,
            clock=self.clock,
            generations=self.generations,
            models=self.models,
            daily_token_budget=self.daily_token_budget,
            login_limits=self.login_limits,
            max_running_answers=self.max_running_answers,
            subscription_quota=self.subscription_quota,
        )

    async def subscribers_beyond(self, baseline: int, *, seconds: float = 10) -> None:
        """Waits until more than `baseline` bus subscriptions are open.

        A subscription reaches the bus only after its resolver has read the database,
        which under load takes longer than any fixed sleep; take the baseline with
        `self.bus.subscriber_count()` before starting the subscriber.
        """
        async with asyncio.timeout(seconds):
            while True:
                if self.bus.subscriber_count() > baseline:
                    return
                await asyncio.sleep(0.005)

    async def execute(self, query: str, variables: dict | None = None, *, user_id=None):
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.context(user_id)
        )

    async def data(self, query: str, variables: dict | None = None, *, user_id=None) -> dict:
        """The result's data; fails the test on any error."""
        result = await self.execute(query, variables, user_id=user_id)
        assert result.errors is None, result.errors
        return result.data


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
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the real ASGI app, lifespan included."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
