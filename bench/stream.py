"""Streaming figures of one studygraph process: delta latency, concurrent streams, CPU, memory.

Starts a simulated OpenAI-compatible model (bench/stream_model.py, 30 timed deltas per
second per stream) and `studygraph serve` on 127.0.0.1, drives tutor turns on the model
`bench:sim` and follows them over graphql-transport-ws websockets (`messageEvents`), and
prints, measured in this one run on one server process:

1. the latency the server adds between the model emitting a delta and a websocket
   client receiving it (p50/p99, one stream, one subscriber): end-to-end minus a
   baseline that reads the same model's SSE directly with httpx;
2. the number of concurrent streams (30 deltas/s, one subscriber each) held with p99
   delivery latency under 100 ms and every delta delivered, ramping up;
3. server CPU microseconds per delivered event (idle CPU subtracted);
4. server memory (RSS) per idle `sessionEvents` subscription, each on its own websocket.

    uv run python bench/stream.py [--quick] [--database-url URL]

Everything is bounded in time (about 5 minutes, --quick about 1) and stopped at the end.
See bench/README.md ("Streaming") for what the numbers mean.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import uvloop
from harness import (
    BENCH_ERRORS,
    HOST,
    Server,
    ServerSpec,
    free_port,
    host_busy_seconds,
    load_average,
    log_tail,
    process_cpu_seconds,
    run_main,
    running_servers,
    studygraph_command,
    studygraph_env,
    uvicorn_command,
    wait_ready,
)
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from db.accounts.passwords import hash_password
from db.accounts.tokens import TokenPolicy, issue_access_token
from db.engine import create_engine, create_session_factory, normalize_database_url, unit_of_work
from db.migrate import upgrade_database
from db.models import User

logger = logging.getLogger("bench.stream")

MODEL = "bench:sim"
RATE = 30.0  # deltas per second per stream
# Streams (and subscribers) in the delivery part. Each stream has a learner of its own:
# a learner has one active study session at a time (starting one ends the others).
USERS = 20
PASSWORD = "bench-password-0123"
LATENCY_BOUND_MS = 100.0  # a level is held when p99 stays under this
# Subscribers per stream in the delivery part.
FANOUT = 5
STARTUP_TIMEOUT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0
# After the model's last delta, how long a step waits for every turn to end.
DRAIN_SECONDS = 20.0
# The first second of a step is its warm-up: CPU is sampled after it, and until half
# a second before the last delta.
WINDOW_SKIP_START = 1.0
WINDOW_SKIP_END = 0.5
HTTP_CONCURRENCY = 16
# Neighbours busier than this (share of one core) are called out under the ramp table.
OTHER_CPU_WARNING = 0.25
SOCKET_OPEN_CONCURRENCY = 32
TARGETS = {
    "p50": "p50 <= 2 ms",
    "p99": "p99 <= 20 ms",
    "streams": ">= 1,000 streams",
    "cpu": "<= 50 us/event",
    "memory": "<= 30 KB/subscription",
}

MESSAGE_EVENTS = """subscription($id: ID!) {
  messageEvents(messageId: $id, afterSeq: 0) { __typename seq ... on MessageDelta { delta } }
}"""
SESSION_EVENTS = """subscription($id: ID!) {
  sessionEvents(sessionId: $id) { __typename seq ... on MessageDelta { delta } }
}"""
START_SESSION = """mutation($input: StartStudySessionInput!) {
  startStudySession(input: $input) { id model }
}"""
SEND_MESSAGE = """mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { assistantMessage { id status } }
}"""
TERMINAL_TYPES = {"MessageCompleted", "MessageCancelled", "MessageFailed"}


@dataclass(frozen=True)
class Plan:
    """How long and how far each part runs (--quick shrinks it)."""

    idle_subscriptions: int
    latency_seconds: float
    step_seconds: float
    levels: tuple[int, ...]
    ramp_budget_seconds: float
    refinements: int


DEFAULT_PLAN = Plan(
    idle_subscriptions=500,
    latency_seconds=20.0,
    step_seconds=10.0,
    levels=(25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1000, 1200, 1600, 2000),
    ramp_budget_seconds=200.0,
    refinements=2,
)
QUICK_PLAN = Plan(
    idle_subscriptions=200,
    latency_seconds=6.0,
    step_seconds=4.0,
    levels=(25, 50, 100, 200, 400),
    ramp_budget_seconds=30.0,
    refinements=1,
)


# --- database and processes -----------------------------------------------------------


async def seed(url: str, secret: str, run_id: str, learners: int) -> list[str]:
    """Migrate, then `learners` users (one argon2 hash shared by all: hashing each would
    take minutes); returns their access tokens (15 minutes)."""
    await upgrade_database(url)
    engine = create_engine(url)
    policy = TokenPolicy(secret=secret)
    try:
        session_factory = create_session_factory(engine)
        password_hash = await hash_password(PASSWORD)
        async with unit_of_work(session_factory) as session:
            rows = [
                User(
                    email=f"stream-{run_id}-{number}@bench.example.com",
                    display_name=f"Bench {number}",
                    password_hash=password_hash,
                )
                for number in range(learners)
            ]
            session.add_all(rows)
            await session.flush()
            user_ids = [row.id for row in rows]
        return [issue_access_token(policy, user_id=user_id)[0] for user_id in user_ids]
    finally:
        await engine.dispose()


async def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"sqlite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(text("SHOW server_version"))).scalar()
        return f"postgresql {version}"
    finally:
        await engine.dispose()


def contenders(
    database_url: str, secret: str, coalesce_ms: float | None, tree: str | None = None
) -> list[ServerSpec]:
    """The simulated model, then studygraph pointed at it (the code of `tree` if given)."""
    model_port = free_port()
    model_env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYGRAPH_")}
    env = studygraph_env(database_url, secret)
    if tree:
        # Ahead of the editable install's path entries, so `studygraph serve` imports it.
        env["PYTHONPATH"] = os.pathsep.join([tree, os.path.join(tree, "agents")])
    env.update(
        STUDYGRAPH_BENCH_BASE_URL=f"http://{HOST}:{model_port}/v1",
        STUDYGRAPH_BENCH_API_KEY="bench-key",
        STUDYGRAPH_MODEL=MODEL,
        # Lift the per-learner caps on running answers and open subscriptions (their
        # maxima) so that the process, not a quota, is what a level tests.
        STUDYGRAPH_MAX_RUNNING_ANSWERS_PER_USER="100",
        STUDYGRAPH_MAX_SUBSCRIPTIONS_PER_USER="1000",
        # Every socket comes from 127.0.0.1 for USERS learners: lift the websocket caps
        # per address and per learner too (the per-address one answered 429 past 50).
        STUDYGRAPH_MAX_WEBSOCKETS="10000",
        STUDYGRAPH_MAX_WEBSOCKETS_PER_CLIENT="10000",
        STUDYGRAPH_MAX_WEBSOCKETS_PER_USER="1000",
    )
    if coalesce_ms is not None:
        env["STUDYGRAPH_STREAM_COALESCE_MS"] = f"{coalesce_ms:g}"
    return [
        ServerSpec(
            "model",
            lambda port: uvicorn_command("stream_model:app", port),
            lambda _: model_env,
            port=model_port,
        ),
        ServerSpec("studygraph", studygraph_command, lambda _: env),
    ]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def gather_limited(factories: list[Callable[[], Awaitable[Any]]], limit: int) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await factory()

    return await asyncio.gather(*(one(factory) for factory in factories))


# --- graphql-transport-ws -------------------------------------------------------------

Handler = Callable[[str, Any, int], None]


class Socket:
    """One graphql-transport-ws connection; a reader task hands each message to its handler.

    Handlers get (type, payload, receive time in time.time_ns()) for `next`, `error` and
    `complete`, and ("closed", None, t) if the connection ends under them. The receive
    time is taken before the JSON is parsed.
    """

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.handlers: dict[str, Handler] = {}
        self._ids = count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, token: str, compression: bool) -> "Socket":
        connection = await connect(
            url,
            subprotocols=["graphql-transport-ws"],
            compression="deflate" if compression else None,
            max_size=None,
            ping_interval=None,
            open_timeout=REQUEST_TIMEOUT_SECONDS,
            close_timeout=2,
        )
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await connection.send(json.dumps(init))
        reply = json.loads(await asyncio.wait_for(connection.recv(), REQUEST_TIMEOUT_SECONDS))
        if reply.get("type") != "connection_ack":
            await connection.close()
            raise RuntimeError(f"websocket handshake refused: {reply}")
        return cls(connection)

    @property
    def extensions(self) -> str:
        response = self.connection.response
        return (response.headers.get("Sec-WebSocket-Extensions") if response else None) or ""

    async def subscribe(self, query: str, variables: dict, handler: Handler) -> str:
        operation = str(next(self._ids))
        self.handlers[operation] = handler
        payload = {"query": query, "variables": variables}
        await self.connection.send(
            json.dumps({"id": operation, "type": "subscribe", "payload": payload})
        )
        return operation

    async def complete(self, operation: str) -> None:
        self.handlers.pop(operation, None)
        await self.connection.send(json.dumps({"id": operation, "type": "complete"}))

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                received = time.time_ns()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await self.connection.send('{"type":"pong"}')
                    continue
                operation = message.get("id")
                handler = self.handlers.get(operation)
                if handler is None:
                    continue
                if kind in ("complete", "error"):
                    del self.handlers[operation]
                handler(kind, message.get("payload"), received)
        except (ConnectionClosed, WebSocketException):
            pass
        finally:
            handlers, self.handlers = self.handlers, {}
            for handler in handlers.values():
                handler("closed", None, time.time_ns())

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.connection.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


class Follower:
    """One messageEvents subscriber: the latency of each delta, and how the answer ended."""

    def __init__(self, samples: list[tuple[int, int]]) -> None:
        self.samples = samples  # (received_ns, latency_ns), shared by a step's followers
        self.deltas = 0  # model deltas received
        self.events = 0  # MessageDelta events they arrived in
        self.snapshots = 0
        self.terminal: str | None = None
        self.problems: list[str] = []
        self.done = asyncio.get_running_loop().create_future()

    def __call__(self, kind: str, payload: Any, received: int) -> None:
        if kind == "next":
            if payload.get("errors"):
                self.problems.append(str(payload["errors"][0].get("message"))[:120])
                return
            event = payload["data"]["messageEvents"]
            typename = event["__typename"]
            if typename == "MessageDelta":
                # The server may coalesce deltas (at most 50 ms apart) into one event:
                # each emit time in it is one model delta, with its own latency.
                try:
                    emitted = [int(part) for part in event["delta"].split()]
                except ValueError:
                    emitted = []
                if not emitted:
                    self.problems.append(f"unexpected delta {event['delta']!r}"[:120])
                    return
                self.samples.extend((received, received - stamp) for stamp in emitted)
                self.deltas += len(emitted)
                self.events += 1
            elif typename == "MessageSnapshot":
                self.snapshots += 1
            elif typename in TERMINAL_TYPES:
                self.terminal = typename
            return
        if kind == "error":
            self.problems.append(f"subscription error: {json.dumps(payload)[:120]}")
        elif kind == "closed":
            self.problems.append("websocket closed mid-answer")
        if not self.done.done():
            self.done.set_result(None)


class Watcher:
    """An idle sessionEvents subscriber: it only notes errors and the types that arrive."""

    def __init__(self) -> None:
        self.typenames: list[str] = []
        self.problems: list[str] = []

    def __call__(self, kind: str, payload: Any, received: int) -> None:
        if kind == "next" and not payload.get("errors"):
            self.typenames.append(payload["data"]["sessionEvents"]["__typename"])
        elif kind == "next":
            self.problems.append(str(payload["errors"][0].get("message"))[:120])
        elif kind in ("error", "closed"):
            self.problems.append(f"{kind}: {json.dumps(payload)[:120]}")


# --- measurements ---------------------------------------------------------------------


@dataclass(frozen=True)
class CpuMark:
    """CPU seconds so far: server, model, this load generator, the whole host; wall time."""

    server: float
    model: float
    client: float
    host: float
    wall_ns: int

    @classmethod
    def now(cls, server_pid: int, model_pid: int) -> "CpuMark":
        return cls(
            process_cpu_seconds(server_pid) or 0.0,
            process_cpu_seconds(model_pid) or 0.0,
            time.process_time(),
            host_busy_seconds() or 0.0,
            time.time_ns(),
        )


def percentile(values: list[int], percent: float) -> float:
    """Nearest-rank percentile of nanosecond values, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)) - 1, 0)
    return ordered[rank] / 1e6


@dataclass
class StepResult:
    streams: int
    subscribers: int
    deltas_expected: int
    latencies: list[int]
    delivered: int
    events: int
    snapshots: int
    unfinished: int
    problems: list[str]
    window_seconds: float = 0.0
    window_events: int = 0
    cpu_server: float = 0.0
    cpu_model: float = 0.0
    cpu_client: float = 0.0
    cpu_host: float = 0.0
    idle_server_rate: float = 0.0  # server CPU seconds per second when idle
    setup_seconds: float = 0.0

    @property
    def missing(self) -> int:
        return self.deltas_expected - self.delivered

    @property
    def held(self) -> bool:
        return (
            not self.missing
            and not self.unfinished
            and not self.problems
            and percentile(self.latencies, 99) < LATENCY_BOUND_MS
        )

    @property
    def server_us_per_event(self) -> float:
        if not self.window_events:
            return math.nan
        busy = self.cpu_server - self.idle_server_rate * self.window_seconds
        return max(busy, 0.0) * 1e6 / self.window_events

    @property
    def window_events_rate(self) -> float:
        return self.window_events / self.window_seconds if self.window_seconds else math.nan

    def share(self, seconds: float) -> float:
        return seconds / self.window_seconds if self.window_seconds else math.nan

    @property
    def other_cpu(self) -> float:
        return max(self.cpu_host - self.cpu_server - self.cpu_model - self.cpu_client, 0.0)


@dataclass
class Memory:
    subscriptions: int
    rss_before: int
    rss_connected: int
    rss_subscribed: int
    problems: list[str]

    @property
    def per_connection(self) -> float:
        return (self.rss_connected - self.rss_before) / self.subscriptions

    @property
    def per_subscription_alone(self) -> float:
        return (self.rss_subscribed - self.rss_connected) / self.subscriptions

    @property
    def per_idle_subscription(self) -> float:
        return (self.rss_subscribed - self.rss_before) / self.subscriptions


@dataclass
class Baseline:
    latencies: list[int]
    problems: list[str]


@dataclass
class Report:
    started_at: datetime
    database: str
    load_average: str
    plan: Plan
    compression: str = ""
    coalesce: str = "the server's default"
    memory: Memory | None = None
    idle_server_rate: float = 0.0
    baseline: Baseline | None = None
    single: StepResult | None = None
    steps: list[StepResult] = field(default_factory=list)
    ramp_stop: str = ""
    # The delivery part: the same streams with one subscriber each, then with several.
    fanout: tuple[StepResult, StepResult] | None = None
    # --memory-only: part 4 alone, its subscriptions not checked live by an answer.
    memory_only: bool = False

    @property
    def delivery_us_per_event(self) -> float:
        """Server CPU per extra delivered event: what one more subscriber costs per event
        (bus fan-out, subscription resolver, projection, JSON, websocket frame), with
        the model's side (SSE parsing, Agents SDK) and the database flushes cancelled
        out, since both steps run the same turns."""
        if self.fanout is None:
            return math.nan
        one, many = self.fanout
        extra_events = many.window_events_rate - one.window_events_rate
        if extra_events <= 0:
            return math.nan
        extra_cpu = many.cpu_server / many.window_seconds - one.cpu_server / one.window_seconds
        return max(extra_cpu, 0.0) * 1e6 / extra_events


class Bench:
    """The running servers, the bench users, their sessions and websockets."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        studygraph: Server,
        model: Server,
        tokens: list[str],
        compression: bool,
    ) -> None:
        self.client = client
        self.studygraph = studygraph
        self.model = model
        self.tokens = tokens
        self.compression = compression
        self.sessions: list[str] = []  # session i belongs to user i
        self.sockets: list[Socket] = []  # socket i is signed in as session i's owner
        # The delivery part's further subscribers: (stream, copy) -> a socket signed in
        # as that stream's owner.
        self.extra_sockets: dict[tuple[int, int], Socket] = {}
        self.websocket_url = studygraph.base_url.replace("http://", "ws://") + "/graphql"
        self._groups = count(1)

    def token_of(self, index: int) -> str:
        return self.tokens[index % len(self.tokens)]

    def cpu_mark(self) -> CpuMark:
        return CpuMark.now(self.studygraph.process.pid, self.model.process.pid)

    def check_alive(self) -> None:
        for server in (self.studygraph, self.model):
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.process.returncode}:\n{log_tail(server)}"
                )

    async def execute(self, query: str, variables: dict, token: str) -> dict:
        response = await self.client.post(
            f"{self.studygraph.base_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
        payload = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or payload.get("errors"):
            raise RuntimeError(f"GraphQL failed: HTTP {response.status_code} {response.text[:300]}")
        return payload["data"]

    async def ensure_sessions(self, wanted: int) -> None:
        async def start(index: int) -> str:
            variables = {"input": {"title": f"Stream {index}", "model": MODEL}}
            data = await self.execute(START_SESSION, variables, self.token_of(index))
            return data["startStudySession"]["id"]

        first = len(self.sessions)
        factories = [lambda index=index: start(index) for index in range(first, wanted)]
        self.sessions.extend(await gather_limited(factories, HTTP_CONCURRENCY))

    async def ensure_sockets(self, wanted: int) -> None:
        first = len(self.sockets)
        factories = [
            lambda index=index: Socket.open(
                self.websocket_url, self.token_of(index), self.compression
            )
            for index in range(first, wanted)
        ]
        self.sockets.extend(await gather_limited(factories, SOCKET_OPEN_CONCURRENCY))

    async def ensure_extra_sockets(self, streams: int, subscribers: int) -> None:
        """Sockets for subscribers 1.. of streams 0.., each signed in as the stream's
        owner, as ownership requires."""
        wanted = [
            (index, copy)
            for index in range(streams)
            for copy in range(1, subscribers)
            if (index, copy) not in self.extra_sockets
        ]
        opened = await gather_limited(
            [
                lambda index=index: Socket.open(
                    self.websocket_url, self.token_of(index), self.compression
                )
                for index, _ in wanted
            ],
            SOCKET_OPEN_CONCURRENCY,
        )
        self.extra_sockets.update(zip(wanted, opened, strict=True))

    async def send(self, index: int, content: str) -> str:
        variables = {"input": {"sessionId": self.sessions[index], "content": content}}
        data = await self.execute(SEND_MESSAGE, variables, self.token_of(index))
        return data["sendMessage"]["assistantMessage"]["id"]

    async def wait_waiting(self, group: str, streams: int) -> None:
        """Until the model holds `streams` requests of the group (they await the release)."""
        deadline = time.monotonic() + REQUEST_TIMEOUT_SECONDS + streams * 0.05
        while True:
            response = await self.client.get(f"{self.model.base_url}/groups/{group}")
            state = response.json()
            if state["waiting"] >= streams:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {state['waiting']} of {streams} model calls arrived")
            self.check_alive()
            await asyncio.sleep(0.05)

    async def release(self, group: str) -> None:
        response = await self.client.post(f"{self.model.base_url}/groups/{group}/release")
        response.raise_for_status()

    # ---------------------------------------------------------------- the parts

    async def idle_cpu_rate(self, seconds: float) -> float:
        """Server CPU seconds per second with nothing to do (the sockets open, idle)."""
        await asyncio.sleep(1.0)
        before = self.cpu_mark()
        await asyncio.sleep(seconds)
        after = self.cpu_mark()
        return (after.server - before.server) / seconds

    async def memory(self, subscriptions: int, check_live: bool = True) -> Memory:
        """RSS before and after `subscriptions` websockets, then one sessionEvents on each."""
        pid = self.studygraph.process.pid
        await asyncio.sleep(1.0)
        rss_before = rss_bytes(pid)
        await self.ensure_sockets(subscriptions)
        rss_connected = await settled_rss(pid)
        watchers = [Watcher() for _ in range(subscriptions)]
        operations = [
            await self.sockets[index].subscribe(
                SESSION_EVENTS, {"id": self.sessions[index]}, watchers[index]
            )
            for index in range(subscriptions)
        ]
        rss_subscribed = await settled_rss(pid)
        # Live, not just accepted: a short answer in three of the sessions must reach them.
        for index in sorted({0, subscriptions // 2, subscriptions - 1}) if check_live else ():
            await self.check_watcher(index, watchers[index])
        problems = [problem for watcher in watchers for problem in watcher.problems]
        for index, operation in enumerate(operations):
            await self.sockets[index].complete(operation)
        return Memory(subscriptions, rss_before, rss_connected, rss_subscribed, problems)

    async def check_watcher(self, index: int, watcher: Watcher) -> None:
        group = f"check-{next(self._groups)}"
        await self.send(index, f"bench group={group} deltas=1 rate={RATE:g}")
        await self.wait_waiting(group, 1)
        await self.release(group)
        deadline = time.monotonic() + DRAIN_SECONDS
        while "MessageCompleted" not in watcher.typenames:
            if time.monotonic() > deadline:
                watcher.problems.append(f"idle subscription {index} saw only {watcher.typenames}")
                return
            await asyncio.sleep(0.05)

    async def direct_baseline(self, seconds: float) -> Baseline:
        """The model's SSE read straight from it with httpx: the hop the server is not in."""
        group = f"direct-{next(self._groups)}"
        deltas = round(seconds * RATE)
        body = {
            "model": "sim",
            "stream": True,
            "messages": [
                {"role": "user", "content": f"bench group={group} deltas={deltas} rate={RATE:g}"}
            ],
        }
        latencies: list[int] = []
        problems: list[str] = []

        async def consume() -> None:
            url = f"{self.model.base_url}/v1/chat/completions"
            async with self.client.stream("POST", url, json=body) as response:
                async for line in response.aiter_lines():
                    received = time.time_ns()
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    choices = json.loads(line[6:]).get("choices") or []
                    content = (choices[0].get("delta") or {}).get("content") if choices else None
                    if content and content.strip():
                        latencies.append(received - int(content.split()[0]))

        reader = asyncio.create_task(consume())
        await self.wait_waiting(group, 1)
        await self.release(group)
        await asyncio.wait_for(reader, seconds + DRAIN_SECONDS)
        if len(latencies) != deltas:
            problems.append(f"{deltas - len(latencies)} deltas missing")
        return Baseline(latencies, problems)

    async def step(
        self, streams: int, seconds: float, idle_rate: float, subscribers: int = 1
    ) -> StepResult:
        """`streams` turns at once, `subscribers` messageEvents subscribers each (each on
        its own websocket), for `seconds`."""
        setup_started = time.monotonic()
        await self.ensure_sessions(streams)
        await self.ensure_sockets(streams)
        await self.ensure_extra_sockets(streams, subscribers)
        group = f"g{next(self._groups)}-{streams}"
        deltas = round(seconds * RATE)
        content = f"bench group={group} deltas={deltas} rate={RATE:g}"
        message_ids = await gather_limited(
            [lambda index=index: self.send(index, content) for index in range(streams)],
            HTTP_CONCURRENCY,
        )
        samples: list[tuple[int, int]] = []
        followers = []
        for index, message_id in enumerate(message_ids):
            for copy in range(subscribers):
                follower = Follower(samples)
                followers.append(follower)
                socket = self.extra_sockets[index, copy] if copy else self.sockets[index]
                await socket.subscribe(MESSAGE_EVENTS, {"id": message_id}, follower)
        await self.wait_waiting(group, streams)
        # The subscriptions were sent before the wait; give the last ones a moment to be
        # in place (a late one would get a snapshot, counted as missing deltas).
        await asyncio.sleep(0.5)
        setup_seconds = time.monotonic() - setup_started
        await self.release(group)
        released = time.monotonic()
        await asyncio.sleep(WINDOW_SKIP_START)
        before = self.cpu_mark()
        await asyncio.sleep(max(released + seconds - WINDOW_SKIP_END - time.monotonic(), 0.1))
        after = self.cpu_mark()
        done, pending = await asyncio.wait(
            [follower.done for follower in followers], timeout=seconds + DRAIN_SECONDS
        )
        del done
        problems = [problem for follower in followers for problem in follower.problems]
        if any(follower.terminal not in (None, "MessageCompleted") for follower in followers):
            problems.append("some answers did not complete")
        window_seconds = (after.wall_ns - before.wall_ns) / 1e9
        return StepResult(
            streams=streams,
            subscribers=subscribers,
            deltas_expected=streams * deltas * subscribers,
            latencies=[latency for _, latency in samples],
            delivered=sum(follower.deltas for follower in followers),
            events=sum(follower.events for follower in followers),
            snapshots=sum(follower.snapshots for follower in followers),
            unfinished=len(pending),
            problems=problems,
            window_seconds=window_seconds,
            window_events=sum(
                1 for received, _ in samples if before.wall_ns <= received <= after.wall_ns
            ),
            cpu_server=after.server - before.server,
            cpu_model=after.model - before.model,
            cpu_client=after.client - before.client,
            cpu_host=after.host - before.host,
            idle_server_rate=idle_rate,
            setup_seconds=setup_seconds,
        )

    async def close(self) -> None:
        sockets = [*self.sockets, *self.extra_sockets.values()]
        await asyncio.gather(*(socket.close() for socket in sockets))


async def settled_rss(pid: int, within: float = 10.0) -> int:
    """RSS once it has stopped moving (two readings 0.5 s apart within 64 KiB)."""
    await asyncio.sleep(1.0)
    previous = rss_bytes(pid)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        current = rss_bytes(pid)
        if abs(current - previous) <= 64 * 1024:
            return current
        previous = current
    return previous


# --- the run --------------------------------------------------------------------------


async def bench(servers: list[Server], tokens: list[str], report: Report, args) -> None:
    model, studygraph = servers
    plan = report.plan
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT_SECONDS, limits=limits, trust_env=False
    ) as client:
        await wait_ready(client, model, "/v1/models", within=STARTUP_TIMEOUT_SECONDS)
        await wait_ready(client, studygraph, within=STARTUP_TIMEOUT_SECONDS)
        runner = Bench(
            client=client,
            studygraph=studygraph,
            model=model,
            tokens=tokens,
            compression=args.compression == "deflate",
        )
        try:
            await run_parts(runner, report, plan)
        finally:
            await runner.close()


async def run_parts(runner: Bench, report: Report, plan: Plan) -> None:
    logger.info("warming up: sessions and one short stream")
    await runner.ensure_sessions(max(plan.idle_subscriptions, plan.levels[0]))
    if report.memory_only:
        # No answer: a learner's newer session ends the older ones, so most of the
        # sessions cannot take a message; the subscriptions are only opened and held.
        # A first socket and subscription, thrown away: what they import or cache once
        # (the streaming modules, the parsed document) is not per subscription.
        await runner.memory(1, check_live=False)
        report.compression = runner.sockets[0].extensions or "none"
        await runner.sockets.pop().close()
        report.memory = await runner.memory(plan.idle_subscriptions, check_live=False)
        return
    warm = await runner.step(1, 1.0, 0.0)
    if warm.problems or warm.missing:
        raise RuntimeError(f"the warm-up stream failed: {warm.problems} missing {warm.missing}")
    report.compression = runner.sockets[0].extensions or "none"

    logger.info("memory: %d idle sessionEvents subscriptions", plan.idle_subscriptions)
    report.memory = await runner.memory(plan.idle_subscriptions)

    window = plan.step_seconds - WINDOW_SKIP_START - WINDOW_SKIP_END
    logger.info("idle server CPU over %.1f s", window)
    report.idle_server_rate = await runner.idle_cpu_rate(window)

    logger.info("latency: the model read directly, %.0f s", plan.latency_seconds)
    report.baseline = await runner.direct_baseline(plan.latency_seconds)
    logger.info("latency: one stream through studygraph, %.0f s", plan.latency_seconds)
    report.single = await runner.step(1, plan.latency_seconds, report.idle_server_rate)

    logger.info("delivery: %d streams with 1, then %d subscribers each", USERS, FANOUT)
    one = await runner.step(USERS, plan.step_seconds, report.idle_server_rate)
    many = await runner.step(USERS, plan.step_seconds, report.idle_server_rate, FANOUT)
    report.fanout = (one, many)

    ramp_started = time.monotonic()
    per_stream_setup = 0.01

    async def attempt(streams: int) -> StepResult | None:
        """One level, or None when it would not fit in the ramp's time budget."""
        nonlocal per_stream_setup
        estimate = streams * per_stream_setup + plan.step_seconds + 3.0
        if time.monotonic() - ramp_started + estimate > plan.ramp_budget_seconds:
            return None
        logger.info("ramp: %d streams for %.0f s", streams, plan.step_seconds)
        runner.check_alive()
        result = await runner.step(streams, plan.step_seconds, report.idle_server_rate)
        report.steps.append(result)
        per_stream_setup = max(result.setup_seconds / streams, per_stream_setup)
        logger.info(
            "ramp: %d streams: p99 %.1f ms, missing %d, held %s",
            streams,
            percentile(result.latencies, 99),
            result.missing,
            result.held,
        )
        return result

    held, failed = 0, None
    budget = f"time budget ({plan.ramp_budget_seconds:.0f} s) reached"
    for streams in plan.levels:
        result = await attempt(streams)
        if result is None:
            report.ramp_stop = budget
            return
        if not result.held:
            failed = streams
            break
        held = streams
    else:
        report.ramp_stop = "every level held"
        return
    report.ramp_stop = f"{failed} streams not held"
    # Narrow the gap between the last level held and the first one not held.
    for _ in range(plan.refinements):
        middle = (held + failed) // 10 * 5  # halfway, a multiple of 5
        if middle <= held or report.steps[-1].unfinished:
            return  # close enough, or turns of the last step may still hold their sessions
        result = await attempt(middle)
        if result is None:
            report.ramp_stop += f"; {budget}"
            return
        if result.held:
            held = middle
        else:
            failed = middle
        report.ramp_stop = f"{failed} streams not held, {held} held"


# --- report ---------------------------------------------------------------------------


def fmt(value: float, spec: str) -> str:
    return "n/a" if value is None or math.isnan(value) else format(value, spec)


def held_level(report: Report) -> int:
    held = [step.streams for step in report.steps if step.held]
    return max(held) if held else 0


def headline_step(report: Report) -> StepResult | None:
    """The step whose CPU per event is the headline: the highest level held."""
    level = held_level(report)
    for step in report.steps:
        if step.streams == level:
            return step
    return report.single


# "events" are model deltas delivered (each with its latency); "msg/ev" is the share of
# them that took a MessageDelta of their own (1.00: no coalescing, 0.50: two per message).
STEP_FORMAT = "{:>7} {:>9} {:>6} {:>7} {:>7} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}  {}"
STEP_HEADER = STEP_FORMAT.format(
    "streams",
    "events/s",
    "msg/ev",
    "p50 ms",
    "p99 ms",
    "max ms",
    "missing",
    "srv CPU",
    "srv us/ev",
    "gen CPU",
    "mdl CPU",
    "oth CPU",
    "held",
)


def print_header(report: Report) -> None:
    cpus = os.cpu_count()
    print(f"studygraph streaming benchmark, {report.started_at:%Y-%m-%d %H:%M} UTC")
    print(
        f"python {platform.python_version()}, os.cpu_count()={cpus}, database {report.database}, "
        f"broadcast memory://, load average before the run {report.load_average}"
    )
    print(
        "one studygraph process (uvicorn, 1 worker); the simulated model and this load "
        f"generator are separate processes sharing the same {cpus} CPUs"
    )
    print(
        f"model bench:sim: {RATE:g} deltas/s per stream; one websocket and one messageEvents "
        f"subscriber per stream; websocket extensions: {report.compression}; coalescing "
        f"window: {report.coalesce}"
    )
    print()


def print_report(report: Report) -> None:
    plan = report.plan
    print_header(report)
    baseline, single = report.baseline, report.single
    print(f"1. latency, one stream, one subscriber ({len(single.latencies)} deltas)")
    print("                                 p50 ms   p99 ms   max ms")
    rows = [
        ("model -> client (baseline)", baseline.latencies),
        ("model -> studygraph -> ws", single.latencies),
    ]
    for label, values in rows:
        print(
            f"   {label:<28}{fmt(percentile(values, 50), '8.2f')} "
            f"{fmt(percentile(values, 99), '8.2f')} {fmt(percentile(values, 100), '8.2f')}"
        )
    added_p50, added_p99 = added_latency(report)
    print(
        f"   {'added by studygraph':<28}{fmt(added_p50, '8.2f')} {fmt(added_p99, '8.2f')}"
        f"            target {TARGETS['p50']}, {TARGETS['p99']}"
    )
    if added_p50 < 0 or added_p99 < 0:
        print("   note: negative, the baseline's own tail was worse (host noise); run again")
    print(
        f"   server CPU per delivered event with this one stream: "
        f"{fmt(single.server_us_per_event, '.0f')} us ({single.window_events} events)"
    )
    for problem in (baseline.problems + single.problems)[:5]:
        print(f"   problem: {problem}")
    print()

    print(
        f"2. concurrent streams, {plan.step_seconds:g} s each, held = p99 < "
        f"{LATENCY_BOUND_MS:g} ms and every delta delivered; CPU in % of one core over "
        "the steady part"
    )
    print(STEP_HEADER)
    for step in report.steps:
        print(step_row(step))
    print(f"   ramp stopped: {report.ramp_stop}")
    busiest = max((step.share(step.other_cpu) for step in report.steps), default=0.0)
    if busiest > OTHER_CPU_WARNING:
        print(
            f"   warning: other processes used up to {busiest * 100:.0f}% of a core during the "
            "ramp; on a quiet host the server gets more CPU and holds more streams"
        )
    for step in report.steps:
        for problem in sorted(set(step.problems))[:3]:
            print(f"   {step.streams} streams, problem: {problem}")
    print(f"   highest level held: {held_level(report)} streams        target {TARGETS['streams']}")
    print()

    headline = headline_step(report)
    print(
        f"3. server CPU per delivered event: {fmt(headline.server_us_per_event, '.0f')} us "
        f"at {headline.streams} streams (idle server CPU "
        f"{report.idle_server_rate * 100:.1f}% of a core subtracted)        target {TARGETS['cpu']}"
    )
    print()

    one, many = report.fanout
    print(
        f"3b. delivery alone: the same {one.streams} streams with {one.subscribers} and with "
        f"{many.subscribers} subscribers each; the extra events cost the server"
    )
    print(STEP_HEADER)
    print(step_row(one))
    print(step_row(many))
    print(
        f"   server CPU per extra delivered event: {fmt(report.delivery_us_per_event, '.1f')} us"
        f"        target {TARGETS['cpu']}"
    )
    print()

    print_memory(report.memory)
    print()
    print_summary(report)


def print_memory(memory: Memory) -> None:
    print(
        f"4. memory: {memory.subscriptions} idle sessionEvents subscriptions, each on its own "
        f"websocket (RSS {memory.rss_before / 2**20:.1f} -> {memory.rss_connected / 2**20:.1f} "
        f"-> {memory.rss_subscribed / 2**20:.1f} MiB)"
    )
    print(
        f"   per idle subscription (websocket included): "
        f"{memory.per_idle_subscription / 1024:.1f} KiB        target {TARGETS['memory']}"
    )
    print(
        f"   of which the websocket connection {memory.per_connection / 1024:.1f} KiB, "
        f"the subscription {memory.per_subscription_alone / 1024:.1f} KiB"
    )
    for problem in sorted(set(memory.problems))[:3]:
        print(f"   problem: {problem}")


def added_latency(report: Report) -> tuple[float, float]:
    base, single = report.baseline.latencies, report.single.latencies
    return (
        percentile(single, 50) - percentile(base, 50),
        percentile(single, 99) - percentile(base, 99),
    )


def step_row(step: StepResult) -> str:
    rate = step.window_events / step.window_seconds if step.window_seconds else math.nan
    return STEP_FORMAT.format(
        f"{step.streams}x{step.subscribers}" if step.subscribers > 1 else step.streams,
        fmt(rate, ".0f"),
        fmt(step.events / step.delivered if step.delivered else math.nan, ".2f"),
        fmt(percentile(step.latencies, 50), ".1f"),
        fmt(percentile(step.latencies, 99), ".1f"),
        fmt(percentile(step.latencies, 100), ".1f"),
        step.missing,
        f"{step.share(step.cpu_server) * 100:.0f}%",
        fmt(step.server_us_per_event, ".0f"),
        f"{step.share(step.cpu_client) * 100:.0f}%",
        f"{step.share(step.cpu_model) * 100:.0f}%",
        f"{step.share(step.other_cpu) * 100:.0f}%",
        "yes" if step.held else "no",
    )


def print_summary(report: Report) -> None:
    added_p50, added_p99 = added_latency(report)
    headline = headline_step(report)
    rows = [
        ("added latency p50, 1 stream", f"{fmt(added_p50, '.2f')} ms", TARGETS["p50"]),
        ("added latency p99, 1 stream", f"{fmt(added_p99, '.2f')} ms", TARGETS["p99"]),
        ("streams held (p99 < 100 ms)", f"{held_level(report)}", TARGETS["streams"]),
        (
            f"server CPU/event ({headline.streams} streams)",
            f"{fmt(headline.server_us_per_event, '.0f')} us",
            TARGETS["cpu"],
        ),
        (
            "server CPU/extra delivered event",
            f"{fmt(report.delivery_us_per_event, '.1f')} us",
            TARGETS["cpu"],
        ),
        (
            "memory per idle subscription",
            f"{report.memory.per_idle_subscription / 1024:.1f} KiB",
            TARGETS["memory"],
        ),
    ]
    print(f"{'summary':<36}{'measured':>12}   target")
    for label, value, target in rows:
        print(f"{label:<36}{value:>12}   {target}")


# --- entry point ----------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 1 minute instead of ~5")
    parser.add_argument(
        "--database-url",
        help="a database to use instead of a temporary SQLite file, e.g. "
        "postgresql://postgres@127.0.0.1:5432/studygraph_bench; it is migrated and gets "
        "bench users and sessions, so point it at a scratch database",
    )
    parser.add_argument(
        "--compression",
        choices=["deflate", "none"],
        default="deflate",
        help="offer permessage-deflate like browsers do (default), or not",
    )
    parser.add_argument(
        "--idle-subscriptions", type=int, help="idle subscriptions for the memory figure"
    )
    parser.add_argument(
        "--ramp-seconds",
        type=float,
        help="the ramp's time budget (default 200 s, --quick 30 s): --quick stops near 100 "
        "streams without a longer one",
    )
    parser.add_argument(
        "--coalesce-ms",
        type=float,
        help="the server's STUDYGRAPH_STREAM_COALESCE_MS (default: the server's own default)",
    )
    parser.add_argument(
        "--memory-only", action="store_true", help="the memory part only (no answer streamed)"
    )
    parser.add_argument(
        "--server-tree",
        help="serve another checkout's code (say, `git archive` of an older commit "
        "unpacked there) with this environment, to compare the same figure",
    )
    args = parser.parse_args(argv)
    if args.idle_subscriptions is not None and not 1 <= args.idle_subscriptions <= 5000:
        parser.error("--idle-subscriptions must be in [1, 5000]")
    return args


def run(args: argparse.Namespace) -> Report:
    plan = QUICK_PLAN if args.quick else DEFAULT_PLAN
    if args.idle_subscriptions:
        plan = Plan(**{**plan.__dict__, "idle_subscriptions": args.idle_subscriptions})
    if args.ramp_seconds:
        plan = Plan(**{**plan.__dict__, "ramp_budget_seconds": args.ramp_seconds})
    secret = secrets.token_urlsafe(36)
    run_id = secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="studygraph-stream-") as tmp:
        workdir = Path(tmp)
        url = normalize_database_url(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
        learners = max(plan.idle_subscriptions, *plan.levels, USERS)
        tokens = uvloop.run(seed(url, secret, run_id, learners))
        report = Report(
            started_at=datetime.now(UTC),
            database=uvloop.run(database_version(url)),
            load_average=load_average(),
            plan=plan,
            memory_only=args.memory_only,
        )
        if args.coalesce_ms is not None:
            report.coalesce = f"{args.coalesce_ms:g} ms"
        servers_to_run = contenders(url, secret, args.coalesce_ms, args.server_tree)
        with running_servers(servers_to_run, workdir) as servers:
            uvloop.run(bench(servers, tokens, report, args))
    return report


def main(argv: list[str] | None = None) -> int:
    """0 when every figure was measured, 2 when the bench could not run."""
    args = parse_args(argv)
    started = time.monotonic()

    def run_and_report() -> int:
        report = run(args)
        if report.memory_only:
            print_header(report)
            print_memory(report.memory)
        else:
            print_report(report)
        print(f"\nwall time {time.monotonic() - started:.0f} s")
        return 0

    return run_main(run_and_report, errors=(*BENCH_ERRORS, WebSocketException))


if __name__ == "__main__":
    sys.exit(main())
