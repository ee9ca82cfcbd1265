"""Traced memory per idle subscription, by package: this tree against a baseline commit.

    uv run python bench/subscription_memory.py [--subscriptions 200] [--baseline REF]

Runs bench/traced_server.py (the app under uvicorn with tracemalloc on, in one process)
twice, one after the other: on the code of REF (default `main`, unpacked with `git
archive` into a temporary directory) and on this working tree. Against each it opens N
graphql-transport-ws websockets, then one idle `sessionEvents` subscription on each,
then completes them, and diffs tracemalloc snapshots taken between the steps. Prints
KiB per websocket and per subscription, grouped by package (site-packages' top-level
name, or this repository's top-level package), for both trees side by side, and what a
completed subscription leaves behind (should be ~0).

Traced memory is what Python allocates; C libraries' own allocations (zlib's state for
permessage-deflate, say) are invisible here and only show in RSS: `bench/stream.py
--memory-only` measures that. See bench/README.md ("Memory per subscription").
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
from harness import (
    BENCH_DIR,
    BENCH_ERRORS,
    HOST,
    ROOT,
    free_port,
    log_tail,
    run_load,
    run_main,
    studygraph_env,
    wait_ready,
)
from stream import SESSION_EVENTS, START_SESSION, USERS, Socket, gather_limited, seed
from websockets.exceptions import WebSocketException

from db.engine import normalize_database_url

KIB = 1024.0
# Sessions' model: any configured name; no answer is ever started.
MODEL = "bench:sim"


@dataclass
class Phases:
    """Traced bytes by package between the steps, per websocket / subscription."""

    connection: dict[str, float]
    subscription: dict[str, float]
    residue: dict[str, float]
    ended: int  # subscriptions the server ended (must be 0: they should stay idle)


def package_of(filename: str, tree: Path) -> str:
    """site-packages' top-level name, this tree's top-level package, or stdlib module."""
    if "site-packages/" in filename:
        top = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        return top.removesuffix(".py")
    path = Path(filename)
    if path.is_relative_to(tree):
        parts = path.relative_to(tree).parts
        return "tutor" if parts[0] == "agents" else parts[0]
    if filename.startswith("<"):
        return "(interpreter)"
    return "stdlib " + path.stem if "/asyncio/" not in filename else "stdlib asyncio"


def by_package(before: Path, after: Path, tree: Path, count: int) -> dict[str, float]:
    old, new = tracemalloc.Snapshot.load(str(before)), tracemalloc.Snapshot.load(str(after))
    grouped: dict[str, float] = defaultdict(float)
    for stat in new.compare_to(old, "filename"):
        filename = stat.traceback[0].filename
        if filename == tracemalloc.__file__:
            continue
        grouped[package_of(filename, tree)] += stat.size_diff / count
    return dict(grouped)


def server_env(database_url: str, secret: str, metrics: Path) -> dict[str, str]:
    env = studygraph_env(database_url, secret)
    env.update(
        STUDYGRAPH_MODEL=MODEL,
        STUDYGRAPH_BENCH_BASE_URL=f"http://{HOST}:9/v1",
        STUDYGRAPH_BENCH_API_KEY="unused",
        # Every socket comes from 127.0.0.1 for a few users: lift the per-client and
        # per-user caps, so that the figure is memory, not a refusal.
        STUDYGRAPH_MAX_WEBSOCKETS="10000",
        STUDYGRAPH_MAX_WEBSOCKETS_PER_CLIENT="10000",
        STUDYGRAPH_MAX_WEBSOCKETS_PER_USER="1000",
        STUDYGRAPH_MAX_SUBSCRIPTIONS_PER_USER="1000",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    return env


class TracedServer:
    """bench/traced_server.py on one source tree; `snapshot` asks it for one."""

    def __init__(self, tree: Path, env: dict[str, str], workdir: Path) -> None:
        self.tree = tree
        self.port = free_port()
        self.workdir = workdir
        env = {**env, "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'agents'}"}
        self.log = (workdir / f"server-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "traced_server.py"), str(self.port)],
            env=env,
            cwd=tree,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.base_url = f"http://{HOST}:{self.port}"
        # For harness.wait_ready and log_tail.
        self.name = f"traced server ({tree.name})"
        self.log_path = Path(self.log.name)

    async def trace(self, frames: int) -> None:
        await asyncio.to_thread(self._command, f"trace {frames}")

    async def snapshot(self, name: str, listening: int) -> Path:
        await asyncio.to_thread(self._command, f"settle {listening}")
        path = self.workdir / f"{self.port}-{name}.snapshot"
        await asyncio.to_thread(self._command, f"snapshot {path}")
        return path

    def _command(self, line: str) -> None:
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()
        if self.process.stdout.readline().strip() != b"done":
            raise RuntimeError(
                f"the traced server did not answer {line!r}:\n{log_tail(self)}"  # type: ignore[arg-type]
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write(b"quit\n")
            self.process.stdin.flush()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


async def start_sessions(client: httpx.AsyncClient, url: str, tokens: list[str], n: int):
    async def start(index: int) -> str:
        variables = {"input": {"title": f"Idle {index}", "model": MODEL}}
        response = await client.post(
            url,
            json={"query": START_SESSION, "variables": variables},
            headers={"authorization": f"Bearer {tokens[index % len(tokens)]}"},
        )
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise RuntimeError(f"startStudySession failed: {response.text[:300]}")
        return payload["data"]["startStudySession"]["id"]

    return await gather_limited([lambda i=i: start(i) for i in range(n)], 16)


class Ended:
    """Counts subscriptions that got anything at all: an idle one gets nothing."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, kind: str, payload, received: int) -> None:
        self.count += 1


async def round_trip(socket: Socket) -> None:
    """A ping answered: the server has read every message sent before it."""
    waiter = await socket.connection.ping()
    await asyncio.wait_for(waiter, 30)


async def measure(server: TracedServer, tokens: list[str], count: int, frames: int) -> Phases:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        await wait_ready(client, server, within=60)
        sessions = await start_sessions(client, f"{server.base_url}/graphql", tokens, count)
    url = f"ws://{HOST}:{server.port}/graphql"

    async def open_sockets(n: int) -> list[Socket]:
        factories = [lambda i=i: Socket.open(url, tokens[i % len(tokens)], False) for i in range(n)]
        return await gather_limited(factories, 32)

    async def subscribe_all(sockets: list[Socket], handler) -> list[str]:
        operations = [
            await socket.subscribe(SESSION_EVENTS, {"id": session}, handler)
            for socket, session in zip(sockets, sessions, strict=False)
        ]
        await asyncio.gather(*(round_trip(socket) for socket in sockets))
        # Each operation runs in its own task: give them time to reach their idle await.
        await asyncio.sleep(1.0 + len(sockets) / 200)
        return operations

    await server.trace(frames)
    # Warm-up: the first socket and subscription fill caches (parsed documents, ...).
    warm = await open_sockets(2)
    await subscribe_all(warm, Ended())
    for socket in warm:
        await socket.close()
    await asyncio.sleep(1.0)
    snapshots = [await server.snapshot("start", 0)]
    sockets = await open_sockets(count)
    await asyncio.gather(*(round_trip(socket) for socket in sockets))
    snapshots.append(await server.snapshot("connected", 0))
    ended = Ended()
    operations = await subscribe_all(sockets, ended)
    snapshots.append(await server.snapshot("subscribed", count))
    for socket, operation in zip(sockets, operations, strict=True):
        await socket.complete(operation)
    await asyncio.gather(*(round_trip(socket) for socket in sockets))
    await asyncio.sleep(1.0)
    snapshots.append(await server.snapshot("completed", 0))
    for socket in sockets:
        await socket.close()
    return Phases(
        connection=by_package(snapshots[0], snapshots[1], server.tree, count),
        subscription=by_package(snapshots[1], snapshots[2], server.tree, count),
        residue=by_package(snapshots[1], snapshots[3], server.tree, count),
        ended=ended.count,
    )


def unpack(ref: str, into: Path) -> Path:
    """The tree of a commit, from `git archive`."""
    archive = into / "baseline.tar"
    subprocess.run(["git", "archive", "-o", str(archive), ref], cwd=ROOT, check=True)
    tree = into / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def run_tree(tree: Path, url: str, secret: str, tokens: list[str], args, work: Path):
    metrics = Path(tempfile.mkdtemp(dir=work, prefix="metrics-"))
    server = TracedServer(tree, server_env(url, secret, metrics), work)
    try:
        return run_load(measure(server, tokens, args.subscriptions, args.frames))
    finally:
        server.stop()


def rows(label: str, parts: list[dict[str, float]], limit: int = 12) -> list[str]:
    names = sorted(
        {name for part in parts for name in part},
        key=lambda n: -max(abs(p.get(n, 0)) for p in parts),
    )
    shown = [name for name in names if max(abs(p.get(name, 0)) for p in parts) >= 0.05 * KIB]
    lines = [f"{label:<28}" + "".join(f"{sum(p.values()) / KIB:>12.1f}" for p in parts)]
    for name in shown[:limit]:
        lines.append(f"  {name:<26}" + "".join(f"{p.get(name, 0) / KIB:>12.1f}" for p in parts))
    return lines


def report(args, results: dict[str, Phases], load: tuple) -> None:
    names = list(results)
    print(f"traced KiB per idle sessionEvents subscription, {args.subscriptions} websockets")
    print(f"load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'':<28}" + "".join(f"{name:>12}" for name in names))
    phases = list(results.values())
    for line in rows("per websocket", [p.connection for p in phases]):
        print(line)
    for line in rows("per subscription", [p.subscription for p in phases]):
        print(line)
    totals = [sum(p.connection.values()) + sum(p.subscription.values()) for p in phases]
    print(f"{'websocket + subscription':<28}" + "".join(f"{t / KIB:>12.1f}" for t in totals))
    residue = [sum(p.residue.values()) for p in phases]
    print(f"{'left after complete':<28}" + "".join(f"{t / KIB:>12.1f}" for t in residue))
    print(f"{'subscriptions ended early':<28}" + "".join(f"{p.ended:>12}" for p in phases))
    print(f"load average after the run {os.getloadavg()[0]:.2f}")


def run(args) -> int:
    load = os.getloadavg()
    secret = secrets.token_urlsafe(36)
    with tempfile.TemporaryDirectory(prefix="studygraph-submem-") as tmp:
        work = Path(tmp)
        url = normalize_database_url(f"sqlite:///{work / 'bench.db'}")
        tokens = run_load(seed(url, secret, secrets.token_hex(4), USERS))
        trees = {}
        if args.baseline != "none":
            trees[args.baseline] = unpack(args.baseline, work)
        trees["this tree"] = ROOT
        results = {}
        for name, tree in trees.items():
            started = time.monotonic()
            results[name] = run_tree(tree, url, secret, tokens, args, work)
            print(f"# {name}: measured in {time.monotonic() - started:.0f} s", file=sys.stderr)
        report(args, results, load)
        if args.json:
            Path(args.json).write_text(json.dumps({k: v.__dict__ for k, v in results.items()}))
        if args.keep_snapshots:
            kept = Path(args.keep_snapshots)
            kept.mkdir(parents=True, exist_ok=True)
            for snapshot in work.glob("*.snapshot"):
                shutil.copy(snapshot, kept / snapshot.name)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--baseline", default="main", help="a git ref, or none")
    parser.add_argument(
        "--frames", type=int, default=1, help="traceback depth kept (for --keep-snapshots)"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--keep-snapshots", help="copy the snapshots (PORT-STEP.snapshot) to this directory"
    )
    args = parser.parse_args(argv)
    return run_main(lambda: run(args), errors=(*BENCH_ERRORS, WebSocketException))


if __name__ == "__main__":
    sys.exit(main())
