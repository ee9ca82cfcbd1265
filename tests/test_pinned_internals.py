"""The private internals of libraries that our code relies on, one test each.

Each of these libraries is pinned to one version in pyproject.toml because we override
or read something the library does not promise to keep. When an upgrade changes one of
them, the test naming it fails here, before the behaviour that rests on it breaks
somewhere less obvious. Each test says what we rely on and where.
"""

import asyncio
import inspect

import pytest
import strawberry
from graphql import GraphQLSchema, parse
from graphql.execution import collect_fields as graphql_collect_fields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from db import pubsub
from schema.build import build_schema
from schema.execution.projection import ProjectingExecutor


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


# --- broadcaster (db/pubsub.py) ---------------------------------------------------------


def test_broadcaster_private_backend_modules():
    """db/pubsub.py subclasses the backends from `broadcaster._backends.*` (the package
    exports only Broadcast, whose unbounded fan-out we replace) and builds `_base.Event`."""
    from broadcaster._backends.base import BroadcastBackend
    from broadcaster._backends.memory import MemoryBackend
    from broadcaster._backends.postgres import PostgresBackend
    from broadcaster._backends.redis import RedisBackend
    from broadcaster._base import Event

    for backend in (MemoryBackend, PostgresBackend, RedisBackend):
        assert issubclass(backend, BroadcastBackend)
        for method in ("connect", "disconnect", "subscribe", "unsubscribe", "next_published"):
            assert inspect.iscoroutinefunction(getattr(backend, method)), (backend, method)
    event = Event(channel="c", message="m")
    assert (event.channel, event.message) == ("c", "m")


async def test_broadcaster_redis_backend_attributes_and_listener():
    """_RedisBackend sets `_ready` after SUBSCRIBE (encode/broadcaster#133), wraps
    `_pubsub_listener` to report a lost connection on `_queue`, and re-runs `__init__(url)`
    to reconnect: it relies on those three attributes and that method."""
    from broadcaster._backends.redis import RedisBackend

    backend = RedisBackend("redis://127.0.0.1:6379/0")  # no connection is opened here
    try:
        assert isinstance(backend._ready, asyncio.Event)
        assert isinstance(backend._queue, asyncio.Queue)
        assert inspect.iscoroutinefunction(backend._pubsub.subscribe)
        assert inspect.iscoroutinefunction(RedisBackend._pubsub_listener)
        assert parameters(RedisBackend._pubsub_listener) == ["self"]
        assert parameters(RedisBackend.__init__) == ["self", "url"]
        assert issubclass(pubsub._RedisBackend, RedisBackend)
    finally:
        await backend._conn.aclose()


def test_broadcaster_postgres_backend_listener():
    """_PostgresBackend replaces connect/publish but keeps the inherited subscribe and
    unsubscribe, which register `self._listener` on `self._conn`; that listener puts
    Events on `self._listen_queue`, which our connect creates and next_published reads."""
    from broadcaster._backends.postgres import PostgresBackend

    assert PostgresBackend("postgres://x")._url == "postgres://x"
    assert "_conn.add_listener(channel, self._listener)" in inspect.getsource(
        PostgresBackend.subscribe
    )
    assert "_conn.remove_listener(channel, self._listener)" in inspect.getsource(
        PostgresBackend.unsubscribe
    )
    backend = pubsub._PostgresBackend("postgres://x")
    backend._listen_queue = asyncio.Queue()
    backend._listener(None, 1, "channel", "payload")  # asyncpg's (connection, pid, ...)
    event = backend._listen_queue.get_nowait()
    assert (event.channel, event.message) == ("channel", "payload")


# --- openai (agents/tutor/stream_client.py) ---------------------------------------------


def test_openai_process_response_data():
    """StreamingClient overrides `AsyncOpenAI._process_response_data` to build streamed
    chunks with pydantic's compiled validator; the SSE stream must still call it."""
    import openai._streaming
    from openai import AsyncOpenAI

    assert parameters(AsyncOpenAI._process_response_data) == [
        "self",
        "data",
        "cast_to",
        "response",
    ]
    signature = inspect.signature(AsyncOpenAI._process_response_data)
    assert all(
        signature.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        for name in ("data", "cast_to", "response")
    )
    assert "self._client._process_response_data" in inspect.getsource(openai._streaming)


# --- strawberry (schema/query_cost.py, schema/execution/) -------------------------------


def test_strawberry_schema_private_graphql_schema():
    """QueryCostLimit and the projection tests read the graphql-core schema Strawberry
    built as `Schema._schema`."""
    assert isinstance(build_schema()._schema, GraphQLSchema)


def test_strawberry_default_resolver_marks():
    """schema/execution/plans.py projects a field only when Strawberry resolves it with
    its default getter: `field.resolve._is_default`, the "strawberry-definition"
    extension, its `is_basic_field`, `default_resolver` (getattr) and `python_name`;
    it finds a value's GraphQL type by its class's `__strawberry_definition__.name`."""

    @strawberry.type
    class Query:
        plain_value: int = 1

        @strawberry.field
        def computed(self) -> int:
            return 2

    fields = strawberry.Schema(query=Query)._schema.query_type.fields
    plain, computed = fields["plainValue"], fields["computed"]
    assert getattr(plain.resolve, "_is_default", False) is True
    assert getattr(computed.resolve, "_is_default", False) is False
    definition = plain.extensions["strawberry-definition"]
    assert definition.is_basic_field
    assert definition.default_resolver is getattr
    assert definition.python_name == "plain_value"
    assert not computed.extensions["strawberry-definition"].is_basic_field
    assert Query.__strawberry_definition__.name == "Query"


def test_strawberry_execution_context_hooks():
    """ProjectingExecutor subclasses Strawberry's graphql-core executor and overrides
    these methods, calling them with these parameters."""
    hooks = {
        "build_per_event_executor": ["self", "payload"],
        "execute_operation": ["self", "serially"],
        "complete_object_value": [
            "self",
            "return_type",
            "field_details_list",
            "info",
            "path",
            "result",
            "position_context",
        ],
    }
    hooks["complete_list_value"] = hooks["complete_object_value"]
    for name, expected in hooks.items():
        assert parameters(getattr(StrawberryGraphQLCoreExecutionContext, name)) == expected
        assert getattr(ProjectingExecutor, name) is not getattr(
            StrawberryGraphQLCoreExecutionContext, name
        )


# --- graphql-core (schema/execution/plans.py) -------------------------------------------


def test_graphql_core_field_collection():
    """The plans collect fields with graphql-core 3.3's collect_fields/collect_subfields
    (positional arguments in this order) and read FieldDetails' node and
    fragment_variable_values, and the executor's middleware_manager.middlewares."""
    assert parameters(graphql_collect_fields.collect_fields)[:5] == [
        "schema",
        "fragments",
        "variable_values",
        "runtime_type",
        "operation",
    ]
    assert parameters(graphql_collect_fields.collect_subfields)[:6] == [
        "schema",
        "fragments",
        "variable_values",
        "operation",
        "return_type",
        "field_details_list",
    ]
    assert graphql_collect_fields.FieldDetails._fields == (
        "node",
        "defer_usage",
        "fragment_variable_values",
    )
    schema = build_schema()
    executor = ProjectingExecutor.build(schema._schema, parse("{ serverInfo { version } }"))
    assert not isinstance(executor, list), executor
    assert executor.middleware_manager is None or isinstance(
        executor.middleware_manager.middlewares, list | tuple
    )
    for attribute in ("fragments", "variable_values", "operation", "root_value", "schema"):
        assert hasattr(executor, attribute), attribute


# --- fsrs (db/learning/scheduling.py) ---------------------------------------------------


def test_fsrs_forgetting_curve_constants():
    """db/learning/scheduling.py reads `Scheduler._FACTOR` and `._DECAY` to inline the
    forgetting curve of `get_card_retrievability` (the study plan calls it hundreds of
    thousands of times). If fsrs renames them or changes the curve, our recall would
    silently drift from the scheduler's own: both must agree here."""
    from datetime import UTC, datetime, timedelta

    from fsrs import Card, Rating, Scheduler

    from db.learning.scheduling import SCHEDULER, retrievability

    assert isinstance(SCHEDULER._FACTOR, float) and isinstance(SCHEDULER._DECAY, float)
    assert SCHEDULER._DECAY < 0 < SCHEDULER._FACTOR
    assert (SCHEDULER._FACTOR, SCHEDULER._DECAY) == (Scheduler()._FACTOR, Scheduler()._DECAY)

    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = Card()
    for rating, days in [(Rating.Good, 0), (Rating.Again, 3), (Rating.Easy, 4), (Rating.Hard, 9)]:
        card, _ = SCHEDULER.review_card(card, rating, start + timedelta(days=days))
        for later in (0, 1, 7, 40, 400):
            at = card.last_review + timedelta(days=later, hours=5)
            expected = SCHEDULER.get_card_retrievability(card, at)
            assert retrievability(card, at) == pytest.approx(expected, rel=1e-12)
    assert retrievability(Card(), start) == SCHEDULER.get_card_retrievability(Card(), start)


# --- openai (agents/tutor/stream_client.py) ---------------------------------------------


def test_openai_prepare_options_hook_sees_the_request_body():
    """StreamingClient overrides `AsyncOpenAI._prepare_options` (the hook the library's
    own Azure client uses) and rewrites `FinalRequestOptions.json_data` of requests to
    `url` ".../chat/completions", so local servers get bodies they accept."""
    from openai import AsyncOpenAI
    from openai._models import FinalRequestOptions

    assert inspect.iscoroutinefunction(AsyncOpenAI._prepare_options)
    assert parameters(AsyncOpenAI._prepare_options) == ["self", "options"]
    options = FinalRequestOptions(method="post", url="/chat/completions", json_data={"a": 1})
    assert (options.url, options.json_data) == ("/chat/completions", {"a": 1})
