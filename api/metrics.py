"""The Prometheus metrics of one API process, named and labelled in one place.

`studygraph serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any
worker starts (api/metrics_directory.py), so every worker writes its values to files
there and a scrape of any worker reads them all (api/metrics_route.py). Without it (an
app built in a test) the values stay in this process.

Label values that clients or configuration choose (operation names, models) pass
through `BoundedLabels`, so a client inventing names cannot grow the series without end.
"""

import re
import threading

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# No `_created` series: the workers' shared files do not have them either, so one
# process and many expose the same names.
disable_created_metrics()

# Seconds; from a cached query to a slow dashboard, an upload, a long answer.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)
UPLOAD_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

GRAPHQL_REQUESTS = Counter(
    "studygraph_graphql_requests",
    "GraphQL operations executed, by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "studygraph_graphql_request_duration_seconds",
    "Time to execute one GraphQL query or mutation, by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter(
    "studygraph_graphql_errors",
    "GraphQL errors returned, by extensions.code.",
    ["code"],
)
OPEN_WEBSOCKETS = Gauge(
    "studygraph_open_websockets",
    "Websocket connections accepted and not yet closed.",
    multiprocess_mode="livesum",
)
OPEN_SUBSCRIPTIONS = Gauge(
    "studygraph_open_subscriptions",
    "GraphQL subscriptions currently open.",
    multiprocess_mode="livesum",
)
RUNNING_ANSWERS = Gauge(
    "studygraph_running_answers",
    "Tutor answers being generated right now.",
    multiprocess_mode="livesum",
)
ANSWERS = Counter(
    "studygraph_answers",
    "Tutor answers ended, by provider, model and final status.",
    ["provider", "model", "status"],
)
FIRST_TOKEN = Histogram(
    "studygraph_answer_first_token_seconds",
    "From an answer's start to its first text token, by provider and model.",
    ["provider", "model"],
    buckets=FIRST_TOKEN_BUCKETS,
)
MODEL_TOKENS = Counter(
    "studygraph_model_tokens",
    "Tokens the model providers reported, by provider, model and direction (input/output).",
    ["provider", "model", "direction"],
)
PROVIDER_FAILURES = Counter(
    "studygraph_provider_failures",
    "Failed model calls (retried ones included), by provider and failure code.",
    ["provider", "code"],
)
UPLOAD_PROCESSING = Histogram(
    "studygraph_upload_processing_seconds",
    "Time to extract one uploaded document (queueing included), by outcome.",
    ["outcome"],
    buckets=UPLOAD_BUCKETS,
)
DATABASE_CONNECTIONS_IN_USE = Gauge(
    "studygraph_database_connections_in_use",
    "Database connections checked out of the pools.",
    multiprocess_mode="livesum",
)

OTHER = "other"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")


class BoundedLabels:
    """At most `limit` distinct values per label in this process; later ones are "other"."""

    def __init__(self, limit: int = 200, max_length: int = 80) -> None:
        self.limit = limit
        self.max_length = max_length
        # Raw value -> label, for the values admitted (a hit costs one dict lookup).
        self._admitted: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        label = self._admitted.get(value)
        if label is not None:
            return label
        label = _UNSAFE.sub("_", value)[: self.max_length] or OTHER
        with self._lock:
            if len(self._admitted) >= self.limit and label not in self._admitted.values():
                return OTHER
            self._admitted[value] = label
        return label


operation_label = BoundedLabels()
model_label = BoundedLabels(limit=100)


def provider_and_model(model: str) -> tuple[str, str]:
    """The provider and model labels of "provider:model" (the model's name may hold ":")."""
    provider, _, name = model.partition(":")
    return model_label(provider), model_label(name or provider)
