"""Where the metrics of api/metrics.py are fed from: small adapters around our parts.

Each adapter wraps one part at its seam (the schema's extensions, the subscription
quota, the extraction pool, the database pool, the tutor's turns, the websocket
route) so that the parts themselves know nothing of Prometheus.
"""

import functools
import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from prometheus_client import multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api import metrics
from api.request_id import current_request_id
from db.materials.extraction_pool import ExtractionPool
from schema.subscription_quota import SubscriptionQuota

if TYPE_CHECKING:  # the tutor's modules load the Agents SDK: not at import
    from tutor.failures import TurnFailure
    from tutor.stream.drain import TurnOutcome
    from tutor.stream.settings import TurnRequest

logger = logging.getLogger(__name__)


class OperationMetrics(SchemaExtension):
    """Counts every operation by name, type and outcome, and times queries and mutations."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._record(time.perf_counter() - started)

    def _record(self, seconds: float) -> None:
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except Exception:  # no document: the query did not even parse
            kind = "unknown"
        name = metrics.operation_label(context.operation_name or "anonymous")
        errors = context.pre_execution_errors or getattr(context.result, "errors", None)
        outcome = "error" if errors or context.result is None else "ok"
        _requests(name, kind, outcome).inc()
        if kind != OperationType.SUBSCRIPTION.value:
            _durations(name, kind).observe(seconds)


# The labelled children, looked up once: `labels()` costs several microseconds a call,
# a cache hit a fraction of one. Bounded, since the operation names are.
@functools.cache
def _requests(name: str, kind: str, outcome: str):
    return metrics.GRAPHQL_REQUESTS.labels(name, kind, outcome)


@functools.cache
def _durations(name: str, kind: str):
    return metrics.GRAPHQL_DURATION.labels(name, kind)


def observe_errors(errors: list[GraphQLError]) -> None:
    """Count errors that were just given their code, and tag them with the request id
    (so a user's report of an error finds its log lines)."""
    request_id = current_request_id()
    for error in errors:
        extensions = error.extensions if error.extensions is not None else {}
        metrics.GRAPHQL_ERRORS.labels(str(extensions.get("code", "UNKNOWN"))).inc()
        if request_id:
            error.extensions = {**extensions, "requestId": request_id}


class ObservedSubscriptionQuota(SubscriptionQuota):
    """The per-user cap, also counting every open subscription for the gauge."""

    def claim(self, user_id: int) -> None:
        super().claim(user_id)
        metrics.OPEN_SUBSCRIPTIONS.inc()

    def release(self, user_id: int) -> None:
        super().release(user_id)
        metrics.OPEN_SUBSCRIPTIONS.dec()


class ObservedExtractionPool(ExtractionPool):
    """The extraction pool, timing every upload from the start of its processing
    (extraction, then embedding) to its end."""

    def upload_processed(self, outcome: str, seconds: float) -> None:
        metrics.UPLOAD_PROCESSING.labels(outcome).observe(seconds)


class TurnMetrics:
    """The tutor's TurnObserver: running answers, first token, tokens, failures."""

    def __init__(self) -> None:
        self._started: dict[int, float] = {}

    def started(self, request: "TurnRequest") -> None:
        self._started[request.message_id] = time.perf_counter()
        metrics.RUNNING_ANSWERS.inc()

    def text_delta(self, request: "TurnRequest") -> None:
        started = self._started.pop(request.message_id, None)
        if started is not None:  # only the first delta of the answer
            labels = metrics.provider_and_model(request.model)
            metrics.FIRST_TOKEN.labels(*labels).observe(time.perf_counter() - started)

    def failed_attempt(self, request: "TurnRequest", failure: "TurnFailure") -> None:
        provider, _ = metrics.provider_and_model(request.model)
        metrics.PROVIDER_FAILURES.labels(provider, failure.code).inc()

    def ended(self, request: "TurnRequest", outcome: "TurnOutcome") -> None:
        self._started.pop(request.message_id, None)
        metrics.RUNNING_ANSWERS.dec()
        provider, model = metrics.provider_and_model(request.model)
        metrics.ANSWERS.labels(provider, model, outcome.status).inc()
        for direction, tokens in zip(("input", "output"), outcome.usage, strict=True):
            if tokens:
                metrics.MODEL_TOKENS.labels(provider, model, direction).inc(tokens)


def observe_pool(engine: AsyncEngine) -> None:
    """Count the engine's connections while they are checked out of its pool."""
    # On the engine, not its current pool: the listeners then follow the pool that
    # dispose() or a reconnect puts in its place.
    event.listen(engine.sync_engine, "checkout", _checked_out)
    event.listen(engine.sync_engine, "checkin", _checked_in)


def _checked_out(*_: Any) -> None:
    metrics.DATABASE_CONNECTIONS_IN_USE.inc()


def _checked_in(*_: Any) -> None:
    metrics.DATABASE_CONNECTIONS_IN_USE.dec()


class WebsocketGauge:
    """ASGI middleware: counts websockets from their accept to their end."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        accepted = False

        async def counting_send(message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                metrics.OPEN_WEBSOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                metrics.OPEN_WEBSOCKETS.dec()


def retire_process_gauges() -> None:
    """At a clean shutdown: this worker's live gauges leave the shared totals."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.mark_process_dead(os.getpid(), directory)
