"""What each execution trick of schema/execution/ buys, measured in process (A/B).

Runs the topics page and the dashboard query through `schema.execute` on a temporary
SQLite file (no HTTP, no server process) with every trick on, then with one trick off
at a time, interleaved, and prints the least CPU per query of several rounds:

- projection off: graphql-core's own executor instead of ProjectingExecutor;
- warming off: the root `topics` resolver warms no loaders for its nodes (the settled
  resolvers then find their loaders pending and answer through a task each);
- settled off: the resolvers always hand graphql-core the awaitable (warming still on);
- both off: warming and settled off together (what the pair buys).

    uv run python bench/execution_tricks.py               # about two minutes
    uv run python bench/execution_tricks.py --queries 50 --rounds 3   # quicker
"""

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from harness import print_table, run_main
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from db.accounts import users
from db.accounts.tokens import TokenPolicy
from db.engine import create_engine, create_session_factory, normalize_database_url
from db.migrate import upgrade_database
from db.pubsub import Bus
from db.types import utcnow
from schema.build import build_schema
from schema.context import Context, ServerFacts
from schema.execution import settled
from schema.topics import types as topic_types
from tests.dashboard import DASHBOARD_QUERY, seed_dashboard_topics

TOPICS_QUERY = """{ topics(first: 20) { edges { node { id title createdAt
    progress { mastery dueCardsCount } materials { totalCount } } } } }"""
PLAIN_TOPICS_QUERY = "{ topics(first: 20) { edges { node { id title createdAt } } } }"
QUERIES = {"topics page": PLAIN_TOPICS_QUERY, "topics + progress": TOPICS_QUERY}
QUERIES["dashboard"] = DASHBOARD_QUERY
SECRET = "bench-secret-that-is-long-enough-for-hs256-0123456789"


@contextlib.contextmanager
def projection_off(schema) -> Iterator[None]:
    saved = schema.execution_context_class
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        yield
    finally:
        schema.execution_context_class = saved


@contextlib.contextmanager
def warming_off(_schema) -> Iterator[None]:
    saved = dict(topic_types.TOPIC_NODE_WARM_UPS)
    topic_types.TOPIC_NODE_WARM_UPS.clear()
    try:
        yield
    finally:
        topic_types.TOPIC_NODE_WARM_UPS.update(saved)


@contextlib.contextmanager
def settled_off(_schema) -> Iterator[None]:
    saved = settled._settled
    settled._settled = lambda _awaitable: False
    try:
        yield
    finally:
        settled._settled = saved


@contextlib.contextmanager
def warming_and_settled_off(schema) -> Iterator[None]:
    with warming_off(schema), settled_off(schema):
        yield


VARIANTS: dict[str, Callable] = {
    "all tricks": contextlib.nullcontext,
    "projection off": projection_off,
    "warming off": warming_off,
    "settled off": settled_off,
    "both off": warming_and_settled_off,
}


async def measure(args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    url = normalize_database_url(f"sqlite:///{workdir / 'bench.db'}")
    await upgrade_database(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    policy = TokenPolicy(secret=SECRET)
    me = await users.register_user(
        factory,
        policy=policy,
        email="bench@example.com",
        password="bench-pw-0123456789",
        display_name=None,
    )
    await seed_dashboard_topics(factory, owner_id=me.user.id, topic_count=25, now=utcnow())
    bus = Bus("memory://")
    await bus.connect()
    schema = build_schema()

    def context() -> Context:
        facts = ServerFacts("bench", "sqlite", "memory", "local:tutor")
        return Context(
            session_factory=factory,
            token_policy=policy,
            bus=bus,
            server=facts,
            user_id=me.user.id,
        )

    async def per_query_ms(query: str) -> float:
        started = time.process_time()
        for _ in range(args.queries):
            result = await schema.execute(query, context_value=context())
            if result.errors:
                raise RuntimeError(f"the query failed: {result.errors}")
        return (time.process_time() - started) * 1000 / args.queries

    best: dict[tuple[str, str], float] = {}
    try:
        for name, query in QUERIES.items():
            await per_query_ms(query)  # plans, parser and validation caches
            for _ in range(args.rounds):
                for variant, switch in VARIANTS.items():
                    with switch(schema):
                        ms = await per_query_ms(query)
                    key = (name, variant)
                    best[key] = min(best.get(key, ms), ms)
    finally:
        await bus.disconnect()
        await engine.dispose()
    return [[name, *(f"{best[(name, variant)]:.2f}" for variant in VARIANTS)] for name in QUERIES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="queries per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (least wins)")
    args = parser.parse_args(argv)

    def run() -> int:
        with tempfile.TemporaryDirectory(prefix="studygraph-tricks-") as tmp:
            rows = asyncio.run(measure(args, Path(tmp)))
        print(f"CPU ms per query, least of {args.rounds} rounds of {args.queries} (SQLite)")
        print_table(["query", *VARIANTS], rows)
        return 0

    return run_main(run)


if __name__ == "__main__":
    sys.exit(main())
