"""The schema harness and the settings every test shares (plain code, no fixtures)."""

import asyncio

from db.accounts.login_throttle import LoginLimits
from db.accounts.tokens import TokenPolicy
from db.types import utcnow
from schema.context import Context, ServerFacts
from tutor.providers import ModelCatalog
from tutor.stream.generations import Generations
from tutor.stream.settings import GenerationSettings

# Short leases and flushes so that tests of dead processes and late subscribers are quick.
TEST_GENERATION_SETTINGS = GenerationSettings(
    lease_seconds=3.0, reap_interval=0.5, flush_interval=0.2, stop_grace_seconds=2.0
)

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


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
