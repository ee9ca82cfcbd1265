"""Where the dashboard query's server CPU goes, in process (cProfile), on PostgreSQL.

Seeds the dashboard bench's learner (bench/dashboard.py's database and data), runs the
dashboard query through `create_app` over `httpx.ASGITransport` (HTTP, auth, Strawberry
and the database: all but uvicorn's socket), and prints the CPU per query and, with
`--profile`, cProfile's heaviest functions.

    uv run python bench/dashboard_profile.py                 # CPU per query only
    uv run python bench/dashboard_profile.py --profile 40    # and the 40 heaviest functions
"""

import argparse
import asyncio
import cProfile
import io
import pstats
import secrets
import sys
import time

import httpx
from dashboard import CREATE_DATABASE, DATABASE_URL, DROP_DATABASE, administer, seed
from topics_rate import EMAIL, LOGIN_MUTATION, PASSWORD

from api.app import create_app
from api.settings import Settings
from tests.dashboard import DASHBOARD_QUERY

PARTS = {
    "dashboard": DASHBOARD_QUERY,
    "me": "{ me { id email displayName timezone } }",
    "currentSession": "{ currentSession { id title mode startedAt topic { id title } } }",
    "topics": "{ topics(first: 20) { edges { node { id title createdAt } } } }",
    "topics+materials": "{ topics(first: 20) { edges { node { id title createdAt "
    "materials { totalCount } } } } }",
    "topics+progress": "{ topics(first: 20) { edges { node { id title createdAt progress { "
    "mastery cardsCount dueCardsCount reviewsCount correctRate minutesStudied sessionsCount "
    "lastStudiedAt nextReviewAt } } } } }",
    "nextUpTopics": "{ nextUpTopics { score reason dueCardsCount topic { id title } } }",
    "typename": "{ __typename }",
}


async def run(args: argparse.Namespace) -> None:
    secret = secrets.token_urlsafe(36)
    await administer(DROP_DATABASE, CREATE_DATABASE)
    try:
        await seed(topic_count=args.topics, secret=secret)
        settings = Settings(
            database_url=DATABASE_URL,
            broadcast_url="memory://",
            env="production",
            jwt_secret=secret,
            log_level="WARNING",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                parts = sorted(PARTS) if args.all_parts else [args.part]
                for part in parts:
                    args.part = part
                    await measure(client, args)
    finally:
        await administer(DROP_DATABASE)


async def measure(client: httpx.AsyncClient, args: argparse.Namespace) -> None:
    variables = {"input": {"email": EMAIL, "password": PASSWORD}}
    response = await client.post("/graphql", json={"query": LOGIN_MUTATION, "variables": variables})
    headers = {"authorization": f"Bearer {response.json()['data']['login']['accessToken']}"}
    body = {"query": PARTS[args.part]}

    async def batch() -> float:
        started = time.process_time()
        for _ in range(args.queries):
            reply = await client.post("/graphql", json=body, headers=headers)
            if reply.status_code != 200 or reply.json().get("errors"):
                raise RuntimeError(reply.text[:300])
        return (time.process_time() - started) * 1000 / args.queries

    await batch()
    best = min([await batch() for _ in range(args.rounds)])
    print(f"CPU ms per query {args.part} (client included), least of {args.rounds}: {best:.2f}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await batch()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        print_shares(stats, args.queries)
        stats.sort_stats("tottime").print_stats(args.profile)
        # Ours only, by time including what they call (coroutines: per resumption).
        stats.sort_stats("cumulative").print_stats(r"/perf/(api|schema|db)/", args.profile)
        print(out.getvalue())


def package_of(filename: str) -> str:
    """The library (or our top-level package) a profiled function belongs to."""
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
    if "/python3.11/" in filename:
        return "stdlib:" + filename.split("/python3.11/")[1].split("/")[0].removesuffix(".py")
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = filename.split("/perf/")
    return parts[-1].split("/")[0] if len(parts) > 1 else filename


def print_shares(stats: pstats.Stats, queries: int) -> None:
    """Own time (tottime) per package, per query: where the CPU goes."""
    shares: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        key = package_of(filename)
        shares[key] = shares.get(key, 0.0) + tottime
    total = sum(shares.values())
    print(f"own time per query by package (profiled: {total * 1000 / queries:.2f} ms/query)")
    for key, seconds in sorted(shares.items(), key=lambda item: -item[1])[:20]:
        print(f"  {key:32} {seconds * 1000 / queries:6.2f} ms  {seconds / total:5.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--topics", type=int, default=25)
    parser.add_argument("--part", choices=sorted(PARTS), default="dashboard")
    parser.add_argument("--all-parts", action="store_true", help="CPU of every part")
    parser.add_argument("--profile", type=int, default=0, help="print the N heaviest functions")
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
