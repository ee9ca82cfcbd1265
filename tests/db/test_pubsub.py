"""The bus carries messages and reports readiness on memory://, redis:// and postgres://."""

import asyncio
import os
import socket

import pytest
from sqlalchemy.engine import make_url

from db.pubsub import Bus, broadcast_kind
from tests.databases import postgres_admin_url

REDIS_URL = os.environ.get("STUDYGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str) -> bool:
    parsed = make_url(url)
    try:
        socket.create_connection((parsed.host, parsed.port), timeout=2).close()
        return True
    except OSError:
        return False


def _urls():
    postgres = make_url(postgres_admin_url()).set(drivername="postgres")
    return {
        "memory": "memory://",
        "redis": REDIS_URL,
        "postgres": postgres.render_as_string(hide_password=False),
    }


@pytest.mark.parametrize("kind", ["memory", "redis", "postgres"])
async def test_round_trip_and_readiness(kind):
    url = _urls()[kind]
    if kind != "memory" and not _reachable(url):
        switch = "STUDYGRAPH_REQUIRE_REDIS" if kind == "redis" else "STUDYGRAPH_REQUIRE_POSTGRES"
        if os.environ.get(switch) == "1":
            pytest.fail(f"{switch}=1 but {kind} at {url} is unreachable")
        pytest.skip(f"{kind} at {url} is unreachable")
    bus = Bus(url)
    assert bus.kind == kind
    await bus.connect()
    try:
        await bus.check()
        async with bus.subscribe("test_channel") as payloads:
            await bus.publish("test_channel", "hello")
            assert await asyncio.wait_for(anext(payloads), 5) == "hello"
    finally:
        await bus.disconnect()
    with pytest.raises(RuntimeError):
        await bus.check()


def test_unknown_scheme_is_refused():
    assert broadcast_kind("postgresql+asyncpg://x/y") == "postgres"
    with pytest.raises(ValueError, match="memory://"):
        broadcast_kind("kafka://localhost")
