"""Reading a real server's /metrics and its JSON log, for the end-to-end tests."""

import asyncio
import json
import time

import httpx

from tests.e2e.servers import Server


def scrape(server: Server, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/metrics", headers=headers, timeout=10)


async def log_lines_until(server: Server, seen) -> list[dict]:
    """The server's log as JSON objects, once a line satisfying `seen` is written
    (every line must be JSON: a plain one fails here)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
        if any(seen(line) for line in lines) or time.monotonic() > deadline:
            return lines
        await asyncio.sleep(0.1)
