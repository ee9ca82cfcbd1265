"""Documents that held a process's event loop, and a /healthz poller that measures it.

Shared by tests/e2e/test_event_loop_stall.py and bench/hostile_documents.py. The
poller runs on a thread of its own with a blocking client, so the sender's work
(building and posting a megabyte) cannot delay its measurements.
"""

import threading
import time
from dataclasses import dataclass, field

import httpx


def chained_fragments(count: int) -> str:
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(count - 1))
    return f"{{ ...F0 }} {chain} fragment F{count - 1} on Query {{ __typename }}"


HOSTILE_DOCUMENTS: dict[str, str] = {
    "1 MB of __typename fields": "{ " + "__typename " * 95_000 + "}",
    "20,000 fragments": "{ ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(20_000)),
    "51 directives": "{ " + "__typename @include(if: true) " * 51 + "}",
    "1,031-token mutation": "mutation { "
    + " ".join(f"a{i}: __typename" for i in range(343))
    + " }",
    "15,001-character query": "{ __typename }" + " " * 14_987,
    "250 chained fragments": chained_fragments(250),
    "deep nesting": "{ " + "serverInfo { " * 300 + "version" + " }" * 300 + " }",
    "5,000 aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(5_000)) + " }",
    "240 repeated fields": "{ " + "me { id } " * 240 + "}",
}
BENIGN_DOCUMENT = "{ serverInfo { version } }"


@dataclass
class HealthPoller:
    """Polls /healthz back to back on a thread; `worst()` is the longest answer."""

    base_url: str
    latencies: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "HealthPoller":
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            while not self._stop.is_set():
                started = time.perf_counter()
                http.get("/healthz").raise_for_status()
                self.latencies.append(time.perf_counter() - started)
                time.sleep(0.002)

    def worst(self) -> float:
        return max(self.latencies, default=0.0)


@dataclass
class Replay:
    """One document's answers and the worst /healthz wait while it was being sent."""

    name: str
    seconds: float  # the slowest of its requests, as the sender saw it
    stall: float
    codes: set[str]


def replay(base_url: str, name: str, document: str, repeat: int = 3) -> Replay:
    """Sends `document` `repeat` times while /healthz is polled."""
    codes: set[str] = set()
    slowest = 0.0
    with HealthPoller(base_url) as poller, httpx.Client(base_url=base_url, timeout=60) as http:
        time.sleep(0.05)  # a few polls before, so the poller is warm
        for _ in range(repeat):
            started = time.perf_counter()
            response = http.post("/graphql", json={"query": document})
            slowest = max(slowest, time.perf_counter() - started)
            codes |= answer_codes(response)
        time.sleep(0.05)
    return Replay(name, slowest, poller.worst(), codes)


def answer_codes(response: httpx.Response) -> set[str]:
    """The error codes of an answer (`HTTP <status>` when it is not GraphQL's JSON)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return {error.get("extensions", {}).get("code", "?") for error in body.get("errors", [])}
    return {f"HTTP {response.status_code}"}
