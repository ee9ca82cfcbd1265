"""Request rate and latency of `topics(first: 20)` on one studygraph process, next to others.

Creates and seeds a fresh database, starts `studygraph serve`, bench/raw_topics.py (both
uvicorn) and, on PostgreSQL, PostGraphile 5 (bench/postgraphile/server.mjs, one Node
process) as separate processes on 127.0.0.1, drives each in turn with a bounded asyncio
httpx client, prints a table and stops everything it started.

    uv run python bench/topics_rate.py [--database sqlite] [--seconds 10] [--connections 10]
                                       [--no-postgraphile]

See bench/README.md for what the numbers mean. Exits 1 if any request failed.
"""

import argparse
import asyncio
import base64
import json
import logging
import math
import os
import platform
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from harness import (
    BENCH_DIR,
    BENCH_ERRORS,
    HOST,
    Server,
    ServerSpec,
    host_busy_seconds,
    load_average,
    process_cpu_seconds,
    run_load,
    run_main,
    running_servers,
    studygraph_command,
    studygraph_env,
    uvicorn_command,
    wait_ready,
)

from db.accounts import users
from db.accounts.tokens import ACCESS_TOKEN_TYPE, TokenPolicy, issue_access_token
from db.engine import create_engine, create_session_factory, unit_of_work
from db.migrate import upgrade_database
from db.study import topics

logger = logging.getLogger("bench.topics_rate")

POSTGRES_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "studygraph_bench"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-0123"
PAGE_SIZE = 20
WARMUP_SECONDS = 2.0
STARTUP_TIMEOUT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 10.0
# A cap next to the time bound: a server that fails instantly cannot make a worker spin
# through millions of requests.
MAX_REQUESTS_PER_RUN = 2_000_000

TOPICS_QUERY = "{ topics(first: 20) { edges { node { id title createdAt } } } }"
LOGIN_MUTATION = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }"

# PostGraphile: its own schema over the same table. The amber preset names the connection
# `allTopics`; `id` is its global Node ID (base64 of `["Topic",50]`, the integer is `rowId`);
# only indexed columns are orderable. Rows are limited to the signed-in user by row-level
# security, not by the query.
PGL_DIR = BENCH_DIR / "postgraphile"
PGL_SETUP = PGL_DIR / "setup.sh"
PGL_SERVER = PGL_DIR / "server.mjs"
PGL_PACKAGE = BENCH_DIR / ".node" / "node_modules" / "postgraphile" / "package.json"
PGL_ROLE = "bench_pgl"
PGL_QUERY = (
    "{ allTopics(first: 20, orderBy: PRIMARY_KEY_DESC) { edges { node { id title createdAt } } } }"
)
PGL_SETUP_TIMEOUT_SECONDS = 600.0


# --- database -------------------------------------------------------------------------


async def create_database(kind: str, workdir: Path) -> str:
    """A fresh, empty database of the kind; returns its SQLAlchemy URL."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{BENCH_DATABASE}"


async def drop_database(kind: str) -> None:
    """Drop the PostgreSQL bench database and role (SQLite: the file goes with its directory)."""
    if kind != "postgresql":
        return
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        # The role held privileges in the bench database only, so it can go now.
        await admin.execute(f'DROP ROLE IF EXISTS "{PGL_ROLE}"')
    finally:
        await admin.close()


async def grant_postgraphile_access() -> str:
    """A login role without BYPASSRLS that sees only the topics of `jwt.claims.user_id`.

    Row-level security is enabled on `topics` with a policy for that role alone:
    studygraph and raw connect as the superuser `postgres`, which bypasses it (and owns
    the table). Returns PostGraphile's connection string.
    """
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        # Roles are per cluster: a leftover of an aborted run holds nothing (its database
        # was dropped with it), so it can be dropped and made afresh.
        await admin.execute(f'DROP ROLE IF EXISTS "{PGL_ROLE}"')
        await admin.execute(f'CREATE ROLE "{PGL_ROLE}" LOGIN NOSUPERUSER NOBYPASSRLS')
    finally:
        await admin.close()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
    bench_db = await asyncpg.connect(dsn, timeout=5)
    try:
        async with bench_db.transaction():
            await bench_db.execute(f'GRANT USAGE ON SCHEMA public TO "{PGL_ROLE}"')
            await bench_db.execute(f'GRANT SELECT ON topics TO "{PGL_ROLE}"')
            await bench_db.execute("ALTER TABLE topics ENABLE ROW LEVEL SECURITY")
            # missing_ok and nullif: no claim means no rows, not an error.
            await bench_db.execute(
                f'CREATE POLICY topics_of_jwt_user ON topics FOR SELECT TO "{PGL_ROLE}" '
                "USING (owner_id = nullif(current_setting('jwt.claims.user_id', true), '')::int)"
            )
    finally:
        await bench_db.close()
    return f"postgresql://{PGL_ROLE}@127.0.0.1:5432/{BENCH_DATABASE}"


async def database_version(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite {sqlite3.sqlite_version}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        return f"postgresql {await admin.fetchval('SHOW server_version')}"
    finally:
        await admin.close()


async def seed(url: str, *, topic_count: int, secret: str) -> int:
    """Migrate, then one user with `topic_count` topics through studygraph's own functions."""
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        session_factory = create_session_factory(engine)
        credentials = await users.register_user(
            session_factory,
            policy=TokenPolicy(secret=secret),
            email=EMAIL,
            password=PASSWORD,
            display_name="Bench",
        )
        user_id = credentials.user.id
        async with unit_of_work(session_factory) as session:
            for number in range(1, topic_count + 1):
                await topics.create_topic(
                    session, owner_id=user_id, title=f"Topic {number:03d}", description=None
                )
        return user_id
    finally:
        await engine.dispose()


# --- server processes -----------------------------------------------------------------


def raw_command(port: int) -> list[str]:
    return uvicorn_command("raw_topics:app", port)


def raw_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "BENCH_RAW_DATABASE_URL": database_url}


@dataclass(frozen=True)
class PostGraphile:
    """The installed PostGraphile contender: the Node 22 binary and the versions to report."""

    node: Path
    node_version: str
    version: str


def install_postgraphile() -> PostGraphile:
    """Run bench/postgraphile/setup.sh: `npm ci` into bench/.node once, a no-op after that."""
    logger.info("checking the PostGraphile install (bench/postgraphile/setup.sh)")
    hint = "run with --no-postgraphile to leave PostGraphile out"
    try:
        # setup.sh prints the node binary on stdout; npm's own output goes to our stderr.
        completed = subprocess.run(
            ["bash", str(PGL_SETUP)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            timeout=PGL_SETUP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{PGL_SETUP} took over {error.timeout:.0f} s; {hint}") from error
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"{PGL_SETUP} failed (exit {completed.returncode}); {hint}")
    node = Path(completed.stdout.strip().splitlines()[-1])
    node_version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    try:
        version = json.loads(PGL_PACKAGE.read_text())["version"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(f"cannot read the PostGraphile version from {PGL_PACKAGE}") from error
    return PostGraphile(node=node, node_version=node_version, version=version)


def postgraphile_command(postgraphile: PostGraphile) -> list[str]:
    # The node binary itself, not npm or a shell: its pid is the one whose CPU is read.
    return [str(postgraphile.node), str(PGL_SERVER)]


def postgraphile_env(database_url: str, secret: str, port: int) -> dict[str, str]:
    # Inherited NODE_OPTIONS and the like would make runs incomparable.
    env = {key: value for key, value in os.environ.items() if not key.startswith("NODE_")}
    policy = TokenPolicy(secret=secret)
    env.update(
        NODE_ENV="production",
        BENCH_PGL_DATABASE_URL=database_url,
        BENCH_PGL_HOST=HOST,
        BENCH_PGL_PORT=str(port),
        BENCH_PGL_JWT_SECRET=policy.secret,
        BENCH_PGL_JWT_ISSUER=policy.issuer,
        BENCH_PGL_JWT_AUDIENCE=policy.audience,
        BENCH_PGL_JWT_TYPE=ACCESS_TOKEN_TYPE,
    )
    return env


def contenders(
    database_url: str,
    secret: str,
    postgraphile: PostGraphile | None = None,
    postgraphile_database_url: str | None = None,
) -> list[ServerSpec]:
    """studygraph, raw and, when it runs, postgraphile, in the order they are measured."""
    specs = [
        ServerSpec(
            "studygraph", studygraph_command, lambda _: studygraph_env(database_url, secret)
        ),
        ServerSpec("raw", raw_command, lambda _: raw_env(database_url)),
    ]
    if postgraphile is not None and postgraphile_database_url is not None:
        specs.append(
            ServerSpec(
                "postgraphile",
                lambda _: postgraphile_command(postgraphile),
                lambda port: postgraphile_env(postgraphile_database_url, secret, port),
            )
        )
    return specs


# --- requests -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One contender: the request to repeat and the process that answers it."""

    name: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    pid: int
    # The field under `data` that holds the answer's `edges`.
    root: str = "topics"


async def login(client: httpx.AsyncClient, server: Server) -> str:
    body = {"query": LOGIN_MUTATION, "variables": {"input": {"email": EMAIL, "password": PASSWORD}}}
    response = await client.post(f"{server.base_url}/graphql", json=body)
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise RuntimeError(f"login failed: HTTP {response.status_code} {response.text[:300]}")
    return payload["data"]["login"]["accessToken"]


def studygraph_target(server: Server, token: str) -> Target:
    return Target(
        name="studygraph",
        method="POST",
        url=f"{server.base_url}/graphql",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        # Encoded once: the client's per-request work should be the same for both sides.
        body=json.dumps({"query": TOPICS_QUERY}).encode(),
        pid=server.process.pid,
    )


def raw_target(server: Server, user_id: int) -> Target:
    url = f"{server.base_url}/topics?user_id={user_id}"
    return Target("raw", "GET", url, {}, None, server.process.pid)


def postgraphile_token(secret: str, user_id: int) -> str:
    """studygraph's kind of access token (same secret and claims), minted here.

    Its lifetime outlasts the longest run (3 x 602 s): PostGraphile is measured last, so
    a 15-minute token from `login` could expire during a long run.
    """
    policy = TokenPolicy(secret=secret, access_ttl=timedelta(hours=1))
    return issue_access_token(policy, user_id=user_id)[0]


def postgraphile_target(server: Server, token: str) -> Target:
    return Target(
        name="postgraphile",
        method="POST",
        url=f"{server.base_url}/graphql",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        body=json.dumps({"query": PGL_QUERY}).encode(),
        pid=server.process.pid,
        root="allTopics",
    )


def problem_of(response: httpx.Response, expected_edges: int, root: str = "topics") -> str | None:
    """Why a response does not count as a success, or None."""
    return problem_of_answer(response.status_code, response.content, expected_edges, root)


def problem_of_answer(status: int, body: bytes, expected_edges: int, root: str) -> str | None:
    """Why an HTTP status and body do not count as a success, or None."""
    if status != 200:
        return f"HTTP {status}"
    try:
        payload = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(payload, dict):
        return "body is not a JSON object"
    if payload.get("errors"):
        return f"GraphQL error: {str(payload['errors'][0].get('message'))[:80]}"
    edges = ((payload.get("data") or {}).get(root) or {}).get("edges")
    if not isinstance(edges, list) or len(edges) != expected_edges:
        return f"expected {expected_edges} edges, got {len(edges or [])}"
    return None


async def send(client: httpx.AsyncClient, target: Target) -> httpx.Response:
    return await client.request(
        target.method, target.url, headers=target.headers, content=target.body
    )


async def fetch_sample(client: httpx.AsyncClient, target: Target, expected_edges: int) -> dict:
    """One validated answer, to compare the contenders before timing them."""
    response = await send(client, target)
    problem = problem_of(response, expected_edges, target.root)
    if problem:
        raise RuntimeError(f"{target.name} sample is wrong ({problem}): {response.text[:300]}")
    return response.json()["data"]


def row_id(global_id: str) -> int:
    """The row id inside studygraph's `Topic:50` or PostGraphile's `["Topic",50]` (base64)."""
    decoded = base64.b64decode(global_id).decode()
    if decoded.startswith("["):
        return int(json.loads(decoded)[1])
    return int(decoded.rpartition(":")[2])


def comparable_rows(sample: dict, root: str) -> list[tuple[int, str, datetime]]:
    """Row ids, titles and creation instants in answer order, whatever their encoding."""
    rows = []
    for edge in sample[root]["edges"]:
        node = edge["node"]
        created_at = datetime.fromisoformat(node["createdAt"])
        if created_at.tzinfo is None:
            raise RuntimeError(f"{root}: createdAt without a time zone: {node}")
        rows.append((row_id(node["id"]), node["title"], created_at.astimezone(UTC)))
    return rows


def check_samples(targets: list[Target], samples: list[dict]) -> None:
    """raw answers byte for byte like studygraph; PostGraphile with the same rows."""
    studygraph, raw = samples[:2]
    if studygraph != raw:
        raise RuntimeError(f"the answers differ:\n{studygraph}\n{raw}")
    expected = comparable_rows(studygraph, targets[0].root)
    for target, sample in zip(targets[2:], samples[2:], strict=True):
        if comparable_rows(sample, target.root) != expected:
            raise RuntimeError(f"{target.name} answers other rows:\n{studygraph}\n{sample}")


async def check_postgraphile_auth(
    client: httpx.AsyncClient, target: Target, secret: str, user_id: int
) -> None:
    """No token is refused; another user's valid token sees none of the topics (RLS)."""
    anonymous = {key: value for key, value in target.headers.items() if key != "authorization"}
    response = await client.post(target.url, headers=anonymous, content=target.body)
    if response.status_code == 200 and not response.json().get("errors"):
        raise RuntimeError(f"{target.name} answered without a token: {response.text[:300]}")
    other = {**target.headers, "authorization": f"Bearer {postgraphile_token(secret, user_id + 1)}"}
    response = await client.post(target.url, headers=other, content=target.body)
    problem = problem_of(response, 0, target.root)
    if problem:
        raise RuntimeError(f"{target.name} leaks rows to another user ({problem}): {response.text}")


# --- load -----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0


@dataclass(frozen=True)
class Window:
    """Requests count only if they start after warm-up and finish before the end."""

    measure_from: float
    end_at: float


class KeepAlive:
    """One HTTP/1.1 keep-alive connection that sends the same pre-encoded request again.

    The load generator shares the CPUs with the server it measures, so it must cost
    little: httpx spent about 0.9 ms of CPU per request (76% of a core at 850 req/s),
    more than the servers it drove. A bare asyncio stream with the request encoded once
    costs a fraction of that, for every contender alike.
    """

    def __init__(self, target: Target) -> None:
        url = httpx.URL(target.url)
        self.host, self.port = url.host, url.port
        headers = {"host": f"{url.host}:{url.port}", **target.headers}
        if target.body is not None:
            headers["content-length"] = str(len(target.body))
        lines = [f"{target.method} {url.raw_path.decode()} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (target.body or b"")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self) -> tuple[int, bytes]:
        """Status and body of one answer (Content-Length or chunked)."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader = self.reader
        self.writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, closing = None, False, False
        for line in header_lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                closing = b"close" in value.lower()
        if chunked:
            body = await self._chunked_body(reader)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            raise ValueError("an answer without Content-Length or chunks")
        if closing:
            self.close()
        return status, body

    @staticmethod
    async def _chunked_body(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailer fields, up to the empty line
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# What a failed exchange can raise; the connection is reopened for the next request.
EXCHANGE_ERRORS = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, ValueError)


async def timed_exchange(connection: KeepAlive) -> tuple[int, bytes]:
    async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
        return await connection.exchange()


async def worker(
    connection: KeepAlive,
    target: Target,
    sample: bytes,
    window: Window,
    tally: Tally,
    expected: int,
) -> None:
    """Requests until the window ends. An answer equal to the checked sample's bytes is
    a success; any other is parsed and checked in full (it may differ and still be right)."""
    while tally.sent < MAX_REQUESTS_PER_RUN:
        started = time.perf_counter()
        if started >= window.end_at:
            return
        tally.sent += 1
        try:
            status, body = await timed_exchange(connection)
        except EXCHANGE_ERRORS as error:
            connection.close()
            problem = type(error).__name__
        else:
            if status == 200 and body == sample:
                problem = None
            else:
                problem = problem_of_answer(status, body, expected, target.root)
        finished = time.perf_counter()
        if started < window.measure_from or finished > window.end_at:
            continue
        if problem:
            tally.errors[problem] += 1
        else:
            tally.latencies.append(finished - started)


@dataclass(frozen=True)
class CpuMark:
    """CPU seconds used so far by the server, this load generator and the whole host."""

    server: float | None
    client: float
    host: float | None

    @classmethod
    def now(cls, pid: int) -> "CpuMark":
        return cls(process_cpu_seconds(pid), time.process_time(), host_busy_seconds())

    def since(self, earlier: "CpuMark") -> "CpuMark":
        return CpuMark(
            _difference(self.server, earlier.server),
            self.client - earlier.client,
            _difference(self.host, earlier.host),
        )


def _difference(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


@dataclass(frozen=True)
class Result:
    name: str
    seconds: float
    latencies: list[float]
    errors: Counter[str]
    cpu: CpuMark

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, percent: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(math.ceil(percent / 100 * len(ordered)) - 1, 0)
        return ordered[rank] * 1000

    def share(self, cpu_seconds: float | None) -> float | None:
        """CPU seconds as a fraction of one core over the measured time."""
        return None if cpu_seconds is None else cpu_seconds / self.seconds

    @property
    def server_ms_per_request(self) -> float | None:
        if self.cpu.server is None or not self.latencies:
            return None
        return self.cpu.server * 1000 / len(self.latencies)

    @property
    def other_cpu(self) -> float | None:
        """The host's busy time beyond server and load generator: the database, and neighbours."""
        if self.cpu.host is None or self.cpu.server is None:
            return None
        return max(self.cpu.host - self.cpu.server - self.cpu.client, 0.0)


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(moment - time.perf_counter(), 0))


async def measure(target: Target, *, connections: int, seconds: float, expected: int) -> Result:
    """`connections` workers for warm-up plus `seconds`; CPU is sampled over the measured part."""
    probe = KeepAlive(target)
    try:
        status, sample = await timed_exchange(probe)
    finally:
        probe.close()
    problem = problem_of_answer(status, sample, expected, target.root)
    if problem:
        raise RuntimeError(f"{target.name} answer is wrong ({problem}): {sample[:300]!r}")
    start = time.perf_counter()
    window = Window(start + WARMUP_SECONDS, start + WARMUP_SECONDS + seconds)
    tally = Tally()
    logger.info("measuring %s: %d connections, %.0f s + warm-up", target.name, connections, seconds)
    pool = [KeepAlive(target) for _ in range(connections)]
    try:
        workers = [
            asyncio.create_task(worker(connection, target, sample, window, tally, expected))
            for connection in pool
        ]
        await sleep_until(window.measure_from)
        before = CpuMark.now(target.pid)
        await sleep_until(window.end_at)
        after = CpuMark.now(target.pid)
        # In-flight requests end within their timeout; wait_for cancels them if not.
        await asyncio.wait_for(asyncio.gather(*workers), REQUEST_TIMEOUT_SECONDS + 1)
    finally:
        for connection in pool:
            connection.close()
    return Result(
        name=target.name,
        seconds=seconds,
        latencies=tally.latencies,
        errors=tally.errors,
        cpu=after.since(before),
    )


# --- run and report -------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    database_version: str
    connections: int
    seconds: float
    topics: int
    started_at: datetime
    load_average: str
    notes: tuple[str, ...] = ()


async def bench(servers: list[Server], setup: Setup, user_id: int, secret: str) -> list[Result]:
    """Measures studygraph, raw, then postgraphile when it runs, one after the other."""
    studygraph, raw, *others = servers
    expected = min(setup.topics, PAGE_SIZE)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, trust_env=False) as client:
        for server in servers:
            await wait_ready(client, server, within=STARTUP_TIMEOUT_SECONDS)
        targets = [studygraph_target(studygraph, await login(client, studygraph))]
        targets.append(raw_target(raw, user_id))
        for server in others:
            target = postgraphile_target(server, postgraphile_token(secret, user_id))
            await check_postgraphile_auth(client, target, secret, user_id)
            targets.append(target)
        samples = [await fetch_sample(client, target, expected) for target in targets]
    check_samples(targets, samples)
    return [
        await measure(
            target, connections=setup.connections, seconds=setup.seconds, expected=expected
        )
        for target in targets
    ]


def format_number(value: float | None, spec: str) -> str:
    return "n/a" if value is None or math.isnan(value) else format(value, spec)


def format_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


ROW_FORMAT = "{:<13}{:>7}{:>8}{:>8}{:>8}{:>7}{:>9}{:>11}{:>9}{:>10}"
HEADER = (
    "contender",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "errors",
    "srv CPU",
    "srv ms/req",
    "gen CPU",
    "other CPU",
)


def report_row(result: Result) -> str:
    return ROW_FORMAT.format(
        result.name,
        f"{result.rate:.0f}",
        format_number(result.percentile_ms(50), ".1f"),
        format_number(result.percentile_ms(90), ".1f"),
        format_number(result.percentile_ms(99), ".1f"),
        sum(result.errors.values()),
        format_share(result.share(result.cpu.server)),
        format_number(result.server_ms_per_request, ".2f"),
        format_share(result.share(result.cpu.client)),
        format_share(result.share(result.other_cpu)),
    )


def report(setup: Setup, results: list[Result]) -> None:
    cpus = os.cpu_count()
    print(f"studygraph topics(first: 20) benchmark, {setup.started_at:%Y-%m-%d %H:%M} UTC")
    print(
        f"python {platform.python_version()}, os.cpu_count()={cpus}, "
        f"database {setup.database_version}, {setup.topics} topics, "
        f"load average before the run {setup.load_average}"
    )
    print(
        f"{setup.connections} connections, {setup.seconds:g} s measured after "
        f"{WARMUP_SECONDS:g} s warm-up, one server process per contender, one after the other"
    )
    print(f"note: the load generator (gen) shares the {cpus} CPUs with the server (srv)")
    print("CPU columns: % of one core; other = the database and anything else on the host")
    for note in setup.notes:
        print(note)
    print()
    print(ROW_FORMAT.format(*HEADER))
    for result in results:
        print(report_row(result))
    print()
    studygraph, *others = results
    for other in others:
        report_ratio(studygraph, other)
    report_errors(results)


def report_ratio(studygraph: Result, other: Result) -> None:
    rate_ratio = studygraph.rate / other.rate if other.rate else math.nan
    p50_ratio = studygraph.percentile_ms(50) / other.percentile_ms(50)
    p99_ratio = studygraph.percentile_ms(99) / other.percentile_ms(99)
    print(
        f"ratio studygraph/{other.name}: req/s {format_number(rate_ratio, '.2f')}, "
        f"p50 latency {format_number(p50_ratio, '.2f')}x, "
        f"p99 latency {format_number(p99_ratio, '.2f')}x"
    )


def report_errors(results: list[Result]) -> None:
    for result in results:
        for problem, count in result.errors.most_common(5):
            print(f"{result.name} error x{count}: {problem}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per contender")
    parser.add_argument("--connections", type=int, default=10, help="concurrent connections")
    parser.add_argument("--topics", type=int, default=50, help="topics of the one user")
    parser.add_argument(
        "--no-postgraphile",
        action="store_true",
        help="leave out the PostGraphile contender (it is installed into bench/.node on first use)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be in [1, 1000]")
    if not 0 <= args.topics <= 100_000:
        parser.error("--topics must be in [0, 100000]")
    return args


def postgraphile_notes(postgraphile: PostGraphile | None, args: argparse.Namespace) -> list[str]:
    if postgraphile is None:
        why = "--no-postgraphile" if args.no_postgraphile else "it needs PostgreSQL"
        return [f"postgraphile: skipped ({why})"]
    return [
        f"postgraphile: PostGraphile {postgraphile.version} (amber preset) on node "
        f"{postgraphile.node_version}, one process; JWT verified per request, its user id in "
        f"pgSettings, rows limited by row-level security as role {PGL_ROLE}",
        f"postgraphile query: {PGL_QUERY}",
    ]


def run(args: argparse.Namespace) -> tuple[Setup, list[Result]]:
    """Database, servers, measurements; everything started here is stopped or dropped here."""
    secret = secrets.token_urlsafe(36)  # 48 characters
    postgraphile = None
    if args.database == "postgresql" and not args.no_postgraphile:
        # Before the database: a failed install leaves nothing to undo.
        postgraphile = install_postgraphile()
    with tempfile.TemporaryDirectory(prefix="studygraph-bench-") as tmp:
        workdir = Path(tmp)
        database_url = asyncio.run(create_database(args.database, workdir))
        try:
            user_id = asyncio.run(seed(database_url, topic_count=args.topics, secret=secret))
            pgl_url = asyncio.run(grant_postgraphile_access()) if postgraphile else None
            setup = Setup(
                database_version=asyncio.run(database_version(args.database)),
                connections=args.connections,
                seconds=args.seconds,
                topics=args.topics,
                started_at=datetime.now(UTC),
                load_average=load_average(),
                notes=tuple(postgraphile_notes(postgraphile, args)),
            )
            specs = contenders(database_url, secret, postgraphile, pgl_url)
            with running_servers(specs, workdir) as started:
                return setup, run_load(bench(started, setup, user_id, secret))
        finally:
            asyncio.run(drop_database(args.database))


def main(argv: list[str] | None = None) -> int:
    """0 when every request succeeded, 1 when some failed, 2 when the bench could not run."""
    args = parse_args(argv)

    def run_and_report() -> int:
        setup, results = run(args)
        report(setup, results)
        return 1 if any(result.errors for result in results) else 0

    return run_main(run_and_report, errors=(*BENCH_ERRORS, asyncpg.PostgresError))


if __name__ == "__main__":
    sys.exit(main())
