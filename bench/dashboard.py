"""Request rate of the dashboard query on one studygraph process, next to a raw baseline.

The query is tests/dashboard.py's DASHBOARD_QUERY: me, currentSession, topics(first: 20)
with progress and material counts, nextUpTopics. The baseline is bench/raw_dashboard.py
(Starlette + asyncpg, no GraphQL, no ORM), which answers the same JSON. Creates and
seeds a scratch PostgreSQL database, counts the query's SQL statements in process for a
small and a large learner, starts both servers (uvicorn, one process each), checks the
two answers are identical, drives each in turn with topics_rate.py's bounded load
generator, prints a table and stops everything it started.

    uv run python bench/dashboard.py [--seconds 15] [--connections 10] [--topics 25]

See bench/README.md. Exits 0 when every request succeeded, 1 when some failed, 2 when
the bench could not run (the two answers differing included).
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from harness import (
    BENCH_ERRORS,
    Server,
    ServerSpec,
    load_average,
    run_load,
    run_main,
    running_servers,
    studygraph_command,
    studygraph_env,
    uvicorn_command,
    wait_ready,
)
from sqlalchemy import event
from topics_rate import (
    EMAIL,
    HEADER,
    LOGIN_MUTATION,
    PAGE_SIZE,
    PASSWORD,
    POSTGRES_ADMIN_DSN,
    ROW_FORMAT,
    STARTUP_TIMEOUT_SECONDS,
    WARMUP_SECONDS,
    Result,
    Target,
    database_version,
    format_number,
    login,
    measure,
    problem_of,
    report_errors,
    report_row,
    send,
)

from api.app import create_app
from api.settings import Settings
from db.accounts import users
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory
from db.migrate import upgrade_database
from db.types import utcnow
from tests.dashboard import DASHBOARD_QUERY, seed_dashboard_topics

logger = logging.getLogger("bench.dashboard")

# Its own database, so that it can run next to topics_rate.py.
DATABASE = "studygraph_bench_dashboard"
DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"
RAW_DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
SMALL_EMAIL = "bench-small@example.com"
SMALL_TOPICS = 5
TARGET_RATIO = 0.5
# The in-process statement count: the server's background work (the material sweeper,
# the generation reaper) shares the engine, so the least of a few runs is the query's.
COUNT_RUNS = 3


# --- database -------------------------------------------------------------------------


DROP_DATABASE = f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'
CREATE_DATABASE = f'CREATE DATABASE "{DATABASE}"'


async def administer(*statements: str) -> None:
    """Run statements on the server's `postgres` database (DATABASE cannot drop itself)."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


@dataclass(frozen=True)
class Learners:
    bench_user_id: int  # the measured one, `--topics` topics, signs in as topics_rate.EMAIL
    small_user_id: int  # SMALL_TOPICS topics, for the statement count only


async def seed(*, topic_count: int, secret: str) -> Learners:
    """Migrate, then two learners with the same per-topic data through studygraph's db/."""
    await upgrade_database(DATABASE_URL)
    engine = create_engine(DATABASE_URL)
    try:
        session_factory = create_session_factory(engine)
        user_ids = []
        for email, topics in ((EMAIL, topic_count), (SMALL_EMAIL, SMALL_TOPICS)):
            credentials = await users.register_user(
                session_factory,
                policy=TokenPolicy(secret=secret),
                email=email,
                password=PASSWORD,
                display_name="Bench",
            )
            user_ids.append(credentials.user.id)
            await seed_dashboard_topics(
                session_factory, owner_id=credentials.user.id, topic_count=topics, now=utcnow()
            )
        return Learners(*user_ids)
    finally:
        await engine.dispose()


# --- SQL statements, in process -------------------------------------------------------


async def count_statements(secret: str, topic_count: int) -> dict[int, int]:
    """Statements one dashboard query runs, per learner's topic count, through create_app."""
    settings = Settings(
        database_url=DATABASE_URL,
        broadcast_url="memory://",
        env="production",
        jwt_secret=secret,
        log_level="WARNING",
    )
    app = create_app(settings)
    counts = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for email, topics in ((SMALL_EMAIL, SMALL_TOPICS), (EMAIL, topic_count)):
                counts[topics] = await statements_of_one_query(app, client, email)
    return counts


async def statements_of_one_query(app, client: httpx.AsyncClient, email: str) -> int:
    variables = {"input": {"email": email, "password": PASSWORD}}
    response = await client.post("/graphql", json={"query": LOGIN_MUTATION, "variables": variables})
    headers = {"authorization": f"Bearer {response.json()['data']['login']['accessToken']}"}
    body = {"query": DASHBOARD_QUERY}
    await client.post("/graphql", json=body, headers=headers)  # connections warmed up
    counts = []
    for _ in range(COUNT_RUNS):
        counter = StatementCounter()
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", counter)
        try:
            response = await client.post("/graphql", json=body, headers=headers)
        finally:
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", counter)
        if response.status_code != 200 or response.json().get("errors"):
            raise RuntimeError(f"in-process dashboard query failed: {response.text[:300]}")
        counts.append(counter.count)
    return min(counts)


class StatementCounter:
    """A before_cursor_execute listener: counts the statements an engine sends."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_event_args) -> None:
        self.count += 1


# --- servers and the two answers ------------------------------------------------------


def contenders(secret: str) -> list[ServerSpec]:
    """studygraph, then raw, in the order they are measured."""
    raw_env = {**os.environ, "BENCH_RAW_DATABASE_URL": RAW_DSN}
    return [
        ServerSpec(
            "studygraph", studygraph_command, lambda _: studygraph_env(DATABASE_URL, secret)
        ),
        ServerSpec(
            "raw", lambda port: uvicorn_command("raw_dashboard:app", port), lambda _: raw_env
        ),
    ]


def targets_of(servers: list[Server], token: str, user_id: int) -> list[Target]:
    studygraph, raw = servers
    return [
        Target(
            name="studygraph",
            method="POST",
            url=f"{studygraph.base_url}/graphql",
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            body=json.dumps({"query": DASHBOARD_QUERY}).encode(),
            pid=studygraph.process.pid,
        ),
        Target(
            "raw", "GET", f"{raw.base_url}/dashboard?user_id={user_id}", {}, None, raw.process.pid
        ),
    ]


async def compare_answers(client: httpx.AsyncClient, targets: list[Target], edges: int) -> str:
    """'identical bytes' or 'identical JSON' for the two answers; RuntimeError if they differ."""
    responses = [await send(client, target) for target in targets]
    for target, response in zip(targets, responses, strict=True):
        problem = problem_of(response, edges)
        if problem:
            raise RuntimeError(f"{target.name} answer is wrong ({problem}): {response.text[:300]}")
    studygraph, raw = responses
    if studygraph.content == raw.content:
        return "identical bytes"
    # Same data, same field order, whatever the encoder's spacing.
    ours, theirs = (json.dumps(response.json()) for response in responses)
    if ours != theirs:
        raise RuntimeError(f"the answers differ:\nstudygraph {ours}\nraw        {theirs}")
    return "identical JSON (encoded differently)"


@dataclass(frozen=True)
class Setup:
    database_version: str
    connections: int
    seconds: float
    topics: int
    started_at: datetime
    load_average: str
    statements: dict[int, int]


async def bench(servers: list[Server], setup: Setup, user_id: int) -> tuple[str, list[Result]]:
    edges = min(setup.topics, PAGE_SIZE)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        for server in servers:
            await wait_ready(client, server, within=STARTUP_TIMEOUT_SECONDS)
        targets = targets_of(servers, await login(client, servers[0]), user_id)
        sameness = await compare_answers(client, targets, edges)
    results = [
        await measure(target, connections=setup.connections, seconds=setup.seconds, expected=edges)
        for target in targets
    ]
    return sameness, results


# --- report and main ------------------------------------------------------------------


def report(setup: Setup, sameness: str, results: list[Result], wall_seconds: float) -> None:
    cpus = os.cpu_count()
    print(f"studygraph dashboard benchmark, {setup.started_at:%Y-%m-%d %H:%M} UTC")
    print(
        f"python {platform.python_version()}, os.cpu_count()={cpus}, "
        f"database {setup.database_version}, {setup.topics} topics, "
        f"load average before the run {setup.load_average}"
    )
    print(
        f"{setup.connections} connections, {setup.seconds:g} s measured after "
        f"{WARMUP_SECONDS:g} s warm-up, one server process per contender, one after the other"
    )
    print(f"answers of studygraph and raw: {sameness}")
    print(f"note: the load generator (gen) shares the {cpus} CPUs with the server (srv)")
    print("CPU columns: % of one core; other = the database and anything else on the host")
    print()
    print(ROW_FORMAT.format(*HEADER))
    for result in results:
        print(report_row(result))
    studygraph, raw = results
    ratio = studygraph.rate / raw.rate if raw.rate else float("nan")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print()
    print(
        f"ratio studygraph/raw req/s: {format_number(ratio, '.2f')}"
        f"        target >= {TARGET_RATIO}: {verdict}"
    )
    counts = ", ".join(f"{topics} topics: {n}" for topics, n in sorted(setup.statements.items()))
    constant = "constant" if len(set(setup.statements.values())) == 1 else "NOT constant"
    print(f"SQL statements per dashboard query (in process): {counts} ({constant})")
    report_errors(results)
    print(f"wall time {wall_seconds:.0f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per contender")
    parser.add_argument("--connections", type=int, default=10, help="concurrent connections")
    parser.add_argument("--topics", type=int, default=25, help="topics of the measured learner")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be in [1, 1000]")
    if not 1 <= args.topics <= 500:
        parser.error("--topics must be in [1, 500]")
    return args


def run(args: argparse.Namespace) -> tuple[Setup, str, list[Result]]:
    """Database, counts, servers, measurements; all started here is stopped or dropped here."""
    secret = secrets.token_urlsafe(36)  # 48 characters
    with tempfile.TemporaryDirectory(prefix="studygraph-dashboard-") as tmp:
        asyncio.run(administer(DROP_DATABASE, CREATE_DATABASE))
        try:
            learners = asyncio.run(seed(topic_count=args.topics, secret=secret))
            statements = asyncio.run(count_statements(secret, args.topics))
            setup = Setup(
                database_version=asyncio.run(database_version("postgresql")),
                connections=args.connections,
                seconds=args.seconds,
                topics=args.topics,
                started_at=datetime.now(UTC),
                load_average=load_average(),
                statements=statements,
            )
            with running_servers(contenders(secret), Path(tmp)) as servers:
                sameness, results = run_load(bench(servers, setup, learners.bench_user_id))
            return setup, sameness, results
        finally:
            asyncio.run(administer(DROP_DATABASE))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()

    def run_and_report() -> int:
        setup, sameness, results = run(args)
        report(setup, sameness, results, time.monotonic() - started)
        return 1 if any(result.errors for result in results) else 0

    return run_main(run_and_report, errors=(*BENCH_ERRORS, asyncpg.PostgresError))


if __name__ == "__main__":
    sys.exit(main())
