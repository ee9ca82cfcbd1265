"""What the metrics cost one GraphQL operation: the same query through the schema with
and without the metric hooks, interleaved rounds in one process, least CPU of each.

    uv run python bench/metrics_overhead.py [--operations 3000] [--rounds 5]

The baseline (no hooks) is measured in the same run. Prints CPU microseconds per
operation for both and the difference. Errors are counted too: one operation in ten
is unauthenticated, so the error hook runs as well.
"""

import argparse
import asyncio
import time

from api.observers import OperationMetrics, observe_errors
from schema.build import build_schema
from schema.context import ServerFacts

QUERY = "query Info { serverInfo { version database } }"
FAILING = "query Me { me { id } }"


class BenchContext:
    """The little serverInfo and an unauthenticated `me` read from the context."""

    server = ServerFacts(version="0", database="sqlite", broadcast="memory", default_model="x")
    user_id = None
    auth_error = None
    auth_expires_at = None

    def require_user_id(self) -> int:
        from db.errors import Unauthenticated

        raise Unauthenticated("authentication required")


async def cpu_per_operation(schema, operations: int) -> float:
    context = BenchContext()
    started = time.process_time()
    for index in range(operations):
        query = FAILING if index % 10 == 0 else QUERY
        await schema.execute(query, context_value=context)
    return (time.process_time() - started) / operations * 1e6


async def main(operations: int, rounds: int) -> None:
    plain = build_schema()
    observed = build_schema(observers=[OperationMetrics], on_errors=observe_errors)
    await cpu_per_operation(plain, 200)  # warm the parser and validation caches
    await cpu_per_operation(observed, 200)
    without, with_hooks = [], []
    for _ in range(rounds):
        without.append(await cpu_per_operation(plain, operations))
        with_hooks.append(await cpu_per_operation(observed, operations))
    base, hooked = min(without), min(with_hooks)
    print(f"baseline (no metric hooks): {base:7.1f} µs CPU per operation")
    print(f"with metric hooks:          {hooked:7.1f} µs CPU per operation")
    print(f"cost of the metrics:        {hooked - base:7.1f} µs ({(hooked / base - 1):.1%})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.operations, arguments.rounds))
