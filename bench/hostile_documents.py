"""The worst event-loop stall hostile GraphQL documents cause, with the limits off and on.

Starts two production servers on 127.0.0.1 (SQLite, one uvicorn process each): one
with every document limit raised out of reach and graphql-core's own validation budget
(how the server behaved before the limits), one with the defaults. Against each in
turn it replays tests/hostile_documents.py's documents (1 MB of `__typename`, 20,000
fragments, 51 directives, a 1,031-token mutation, a 15,001-character query, 250
chained fragments, deep nesting, 5,000 aliases, 240 repeated fields), each three
times, while a thread polls /healthz back to back, and prints per document the
slowest request and the longest /healthz wait; the first row is the baseline, a
harmless query sent as often, measured in the same run.

    uv run python bench/hostile_documents.py [--url http://127.0.0.1:8000]

With --url it measures only that server (an older build, say). Exits 0 when it ran,
2 when a server could not start.
"""

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

import httpx
from harness import (
    ServerSpec,
    load_average,
    print_table,
    run_main,
    running_servers,
    studygraph_command,
    studygraph_env,
    wait_ready,
)

from tests.hostile_documents import BENIGN_DOCUMENT, HOSTILE_DOCUMENTS, Replay, replay

UNREACHABLE = str(10**9)
LIMITS_OFF = {
    "STUDYGRAPH_MAX_QUERY_CHARACTERS": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_TOKENS": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_FIELDS": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_DIRECTIVES": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_FRAGMENTS": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_NESTING": UNREACHABLE,
    "STUDYGRAPH_MAX_QUERY_VALIDATION_COMPLEXITY": "500000",  # graphql-core's default
}


def measure(base_url: str) -> list[Replay]:
    replay(base_url, "warm-up", BENIGN_DOCUMENT)
    results = [replay(base_url, "baseline: { serverInfo { version } }", BENIGN_DOCUMENT)]
    results += [replay(base_url, name, document) for name, document in HOSTILE_DOCUMENTS.items()]
    return results


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def report(columns: dict[str, list[Replay]]) -> None:
    header = ["document"]
    for label in columns:
        header += [f"{label}: slowest ms", "/healthz worst ms", "answer"]
    rows = []
    for index, first in enumerate(next(iter(columns.values()))):
        row = [first.name]
        for results in columns.values():
            result = results[index]
            answer = ",".join(sorted(result.codes)) or "data"
            row += [milliseconds(result.seconds), milliseconds(result.stall), answer]
        rows.append(row)
    print_table(header, rows)
    for label, results in columns.items():
        worst = max(results[1:], key=lambda result: result.stall)
        print(
            f"{label}: worst /healthz wait {milliseconds(worst.stall)} ms ({worst.name}); "
            f"baseline {milliseconds(results[0].stall)} ms"
        )
    print(f"load average: {load_average()}")


def run(url: str | None) -> int:
    if url:
        report({"server": measure(url)})
        return 0
    secret = secrets.token_urlsafe(48)
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        workdir = Path(scratch)

        def env(name: str, extra: dict[str, str]):
            database = f"sqlite+aiosqlite:///{workdir / name}.db"
            return lambda port: {**studygraph_env(database, secret), **extra}

        specs = [
            ServerSpec("limits-off", studygraph_command, env("off", LIMITS_OFF)),
            ServerSpec("limits-on", studygraph_command, env("on", {})),
        ]
        with running_servers(specs, workdir) as servers:
            asyncio.run(wait_all(servers))
            report({server.name: measure(server.base_url) for server in servers})
    return 0


async def wait_all(servers) -> None:
    async with httpx.AsyncClient() as client:
        for server in servers:
            # Two start-ups at once on a busy machine can take minutes.
            await wait_ready(client, server, within=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this running server instead of starting two")
    args = parser.parse_args()
    return run_main(lambda: run(args.url))


if __name__ == "__main__":
    sys.exit(main())
