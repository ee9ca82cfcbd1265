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
    """RedisBusBackend sets `_ready` after SUBSCRIBE (encode/broadcaster#133), wraps
    `_pubsub_listener` to report a lost connection on `_queue`, and re-runs `__init__(url)`
    to reconnect: it relies on those three attributes and that method."""
    from broadcaster._backends.redis import RedisBackend

    from db.pubsub_redis import RedisBusBackend

    backend = RedisBackend("redis://127.0.0.1:6379/0")  # no connection is opened here
    try:
        assert isinstance(backend._ready, asyncio.Event)
        assert isinstance(backend._queue, asyncio.Queue)
        assert inspect.iscoroutinefunction(backend._pubsub.subscribe)
        assert inspect.iscoroutinefunction(RedisBackend._pubsub_listener)
        assert parameters(RedisBackend._pubsub_listener) == ["self"]
        assert parameters(RedisBackend.__init__) == ["self", "url"]
        assert issubclass(RedisBusBackend, RedisBackend)
    finally:
        await backend._conn.aclose()


def test_broadcaster_postgres_backend_listener():
    """PostgresBusBackend replaces connect/publish but keeps the inherited subscribe and
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
    from db.pubsub_postgres import PostgresBusBackend

    backend = PostgresBusBackend("postgres://x")
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


# --- document and websocket limits (schema/document_limits.py, api/websocket_*.py) -------


def test_graphql_core_validation_budget_is_a_module_attribute_read_per_validation():
    """schema/document_limits.py sets `MAX_COMPLEXITY_BUDGET`, which graphql-core reads
    (through get_complexity_budget) when each validation starts."""
    import graphql.validation.rules.overlapping_fields_can_be_merged as overlapping
    from graphql import validate

    schema = build_schema()._schema
    repeated = parse("{ " + "__typename " * 30 + "}")
    before = overlapping.MAX_COMPLEXITY_BUDGET
    try:
        overlapping.MAX_COMPLEXITY_BUDGET = 10
        assert [error.message for error in validate(schema, repeated)] == ["Validation aborted."]
        overlapping.MAX_COMPLEXITY_BUDGET = 10_000
        assert validate(schema, repeated) == []
    finally:
        overlapping.MAX_COMPLEXITY_BUDGET = before


def test_strawberry_parse_options_and_the_parse_hook_order():
    """DocumentLimitsExtension puts parser options in `execution_context.parse_options`
    (as Strawberry's MaxTokensLimiter does) and reads `graphql_document` after the
    DocumentWork it wraps has parsed; graphql-core's parser takes `max_lexical_tokens`
    and `max_comments`. DocumentWork's hooks are async generators (Strawberry runs
    them as async context managers), it sets `pre_execution_errors` so Strawberry
    skips its own validation, and calls `strawberry.schema.schema.validate_document`."""
    import strawberry.schema.schema as strawberry_schema
    from graphql.language.parser import parse as graphql_parse

    assert {"max_lexical_tokens", "max_comments"} <= set(parameters(graphql_parse))
    assert parameters(strawberry_schema.validate_document) == [
        "schema",
        "document",
        "validation_rules",
    ]
    assert "execution_context.pre_execution_errors is None" in inspect.getsource(
        strawberry_schema._run_validation
    )
    result = asyncio.run(build_schema().execute("{ " + "a " * 1_001 + "}"))
    assert "more than 1000 tokens" in result.errors[0].message


def test_strawberry_websocket_handler_hooks():
    """api/websocket_protocols.py subclasses both protocol handlers through the view's
    `*_handler_class` attributes, overrides `handle_message`, `handle_connection_init`
    and `handle`, and reads `connection_acknowledged`, `keep_alive(_task)`,
    `view.connection_init_wait_timeout` and `handle_invalid_message`; the view is
    built with `connection_init_wait_timeout`."""
    from strawberry.asgi import GraphQL
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
        BaseGraphQLTransportWSHandler,
    )
    from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

    assert "graphql_transport_ws_handler_class" in vars(GraphQL.__mro__[1])
    assert "graphql_ws_handler_class" in vars(GraphQL.__mro__[1])
    assert "connection_init_wait_timeout" in parameters(GraphQL.__init__)
    for name in ("handle", "handle_message", "handle_connection_init", "handle_keep_alive"):
        assert inspect.iscoroutinefunction(getattr(BaseGraphQLWSHandler, name))
    assert "handle_invalid_message" in vars(BaseGraphQLTransportWSHandler)
    legacy_init = inspect.getsource(BaseGraphQLWSHandler.__init__)
    assert "self.connection_acknowledged" in legacy_init
    assert "self.keep_alive_task" in legacy_init


def test_starlette_adapter_and_form_limits():
    """api/body_limit.py's capped_form_adapter subclasses cross_web's
    StarletteRequestAdapter (Strawberry's `request_adapter_class`), calls Starlette's
    `Request.form(max_files=, max_fields=)` on `_request` first, and relies on the
    request keeping the parsed form for the base's own `form()` call."""
    from cross_web import StarletteRequestAdapter
    from starlette.requests import Request
    from strawberry.asgi import GraphQL

    assert GraphQL.request_adapter_class is StarletteRequestAdapter
    assert {"max_files", "max_fields"} <= set(parameters(Request.form))
    assert "self._form is None" in inspect.getsource(Request._get_form)
    assert "self._request.form()" in inspect.getsource(StarletteRequestAdapter.get_form_data)


# --- markdown-it-py (agents/tutor/links.py) ----------------------------------------------


def test_markdown_it_link_parsers():
    # links.py reads link destinations and titles with markdown-it's CommonMark parsers
    # (helpers are what its own plugins use; not promised as a stable API), including
    # the title state's `can_continue` for a title still open at the end of a delta.
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    assert parameters(parseLinkDestination) == ["string", "pos", "maximum"]
    destination = parseLinkDestination("(http&#58;//x/(a)) rest", 1, 24)
    assert (destination.ok, destination.str) == (True, "http://x/(a)")
    title = parseLinkTitle('"open title', 0, 11)
    assert (title.ok, title.can_continue) == (False, True)


# --- prometheus_client (api/metrics_route.py) -------------------------------------------


def test_prometheus_live_gauge_files_are_named_by_pid(tmp_path):
    """api/metrics_route.py finds the live gauges of dead workers by their file names,
    `gauge_live<mode>_<pid>.db`, which prometheus_client does not document; it then calls
    `multiprocess.mark_process_dead`, which must delete them."""
    import os
    import subprocess
    import sys

    from api.metrics_route import _LIVE_GAUGE_FILE

    script = (
        "import os\n"
        "from prometheus_client import Gauge\n"
        "Gauge('probe_open', 'probe', multiprocess_mode='livesum').inc()\n"
        "print(os.getpid())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    pid = int(done.stdout)
    names = [path.name for path in tmp_path.glob("gauge_live*.db")]
    assert names == [f"gauge_livesum_{pid}.db"]
    assert int(_LIVE_GAUGE_FILE.match(names[0]).group(1)) == pid

    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(tmp_path))
    assert not list(tmp_path.glob("gauge_live*.db"))


# --- strawberry's websocket refusal line (api/origins.py) -------------------------------


def test_strawberry_websocket_refusal_line_is_the_one_we_filter():
    """api/origins.py drops Strawberry's "Rejected WebSocket connection from origin ..."
    warning (it names Strawberry's `allowed_origins` argument, not our setting) by its
    opening words, on the `strawberry.ws` logger."""
    from strawberry.http import async_base_view

    source = inspect.getsource(async_base_view.AsyncBaseHTTPView._check_websocket_origin)
    assert '"Rejected WebSocket connection from origin' in source
    assert async_base_view.logger.name == "strawberry.ws"


# --- broadcaster's Redis listener task (db/pubsub.py) ----------------------------------


def test_broadcaster_redis_backend_keeps_its_listener_task():
    """RedisBusBackend.disconnect cancels `_listener` (set by `connect`) before closing the
    connection under it, then closes `_pubsub` and `_conn` as the parent does."""
    from broadcaster._backends.redis import RedisBackend

    assert "self._listener = asyncio.create_task" in inspect.getsource(RedisBackend.connect)
    parent = inspect.getsource(RedisBackend.disconnect)
    assert "self._pubsub.aclose()" in parent and "self._conn.aclose()" in parent


# --- uvicorn's worker supervisor (api/workers.py) -----------------------------------------


def test_uvicorn_multiprocess_supervisor_internals():
    """ReportingMultiprocess overrides `Multiprocess.keep_subprocess_alive` and uses
    `processes`, `should_exit`, `sockets`, `config.timeout_worker_healthcheck` and
    `Process(config, sockets)` with `is_alive(timeout)`, `kill`, `join`, `exitcode`, `pid`."""
    from uvicorn.config import STARTUP_FAILURE, Config
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    assert STARTUP_FAILURE == 3
    assert parameters(Multiprocess.keep_subprocess_alive) == ["self"]
    assert parameters(Multiprocess.__init__) == ["self", "config", "sockets"]
    assert parameters(Process.__init__) == ["self", "config", "sockets"]
    assert parameters(Process.is_alive) == ["self", "timeout"]
    for name in ("kill", "join", "start", "exitcode", "pid"):
        assert hasattr(Process, name), name
    source = inspect.getsource(Multiprocess.keep_subprocess_alive)
    for used in ("self.processes", "self.should_exit", "timeout_worker_healthcheck"):
        assert used in source, used
    assert "timeout_worker_healthcheck" in parameters(Config.__init__)


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


# --- uvicorn's websocket protocol and websockets' parser (api/lean_websockets.py) -------


def test_uvicorn_websocket_protocol_internals_the_lean_one_replaces():
    """uvicorn's sans-I/O protocol uses only put_nowait/get/empty of `queue` and
    set/clear/wait of `writable`, keeps `request`/`response` for the handshake only,
    and websockets' ServerProtocol.parse reads the request, then `yield from`s
    Protocol.parse (a frame loop whose state lives in `reader`)."""
    import re

    from uvicorn.protocols.websockets import websockets_sansio_impl
    from websockets.protocol import Protocol
    from websockets.server import ServerProtocol

    source = inspect.getsource(websockets_sansio_impl.WebSocketsSansIOProtocol)
    assert set(re.findall(r"self\.queue\.(\w+)", source)) == {"put_nowait", "get", "empty"}
    assert set(re.findall(r"self\.writable\.(\w+)", source)) == {"set", "clear", "wait"}
    assert len(re.findall(r"self\.request\b", source)) == 1, "assigned, never read"
    assert "yield from super().parse()" in inspect.getsource(ServerProtocol.parse)
    assert "self.reader.at_eof()" in inspect.getsource(Protocol.parse)
