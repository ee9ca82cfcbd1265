"""The bus carries messages and reports readiness on memory://, redis:// and postgres://."""

import asyncio
import os
import socket
import uuid

import asyncpg
import pytest
from redis import asyncio as redis
from sqlalchemy.engine import make_url

from db.pubsub import BroadcastKind, Bus, SubscriberLagged, Subscription, broadcast_kind
from tests.databases import postgres_admin_url

REDIS_URL = os.environ.get("STUDYGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Per test run, so that parallel workers and other runs sharing a backend never meet.
RUN = uuid.uuid4().hex[:8]


def _bus(url: str, *, name: str = "") -> Bus:
    """A bus whose channels no other test run on the same Redis or PostgreSQL sees."""
    return Bus(url, namespace=f"test{RUN}{name}")


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
    bus = _bus(url)
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
    assert broadcast_kind("postgresql+asyncpg://x/y") is BroadcastKind.POSTGRES
    assert broadcast_kind("rediss://x") is BroadcastKind.REDIS
    with pytest.raises(ValueError, match="memory://"):
        broadcast_kind("kafka://localhost")


def _url_or_skip(kind: str) -> str:
    url = _urls()[kind]
    if kind != "memory" and not _reachable(url):
        switch = "STUDYGRAPH_REQUIRE_REDIS" if kind == "redis" else "STUDYGRAPH_REQUIRE_POSTGRES"
        if os.environ.get(switch) == "1":
            pytest.fail(f"{switch}=1 but {kind} at {url} is unreachable")
        pytest.skip(f"{kind} at {url} is unreachable")
    return url


async def _receive(payloads, count: int) -> list[str]:
    return [await asyncio.wait_for(anext(payloads), 5) for _ in range(count)]


@pytest.mark.parametrize("kind", ["memory", "redis", "postgres"])
async def test_concurrent_publishers_and_fan_out_in_order(kind):
    """Many tasks publish at once (asyncpg refuses concurrent queries on one connection)."""
    bus = _bus(_url_or_skip(kind))
    await bus.connect()
    try:
        async with bus.subscribe("fan") as first, bus.subscribe("fan") as second:
            await asyncio.gather(*(bus.publish("fan", f"m{i}") for i in range(50)))
            got_first = await _receive(first, 50)
            got_second = await _receive(second, 50)
        assert sorted(got_first) == sorted(f"m{i}" for i in range(50))
        assert got_second == got_first  # every local subscriber sees the same order
        assert bus.subscriber_count() == 0
    finally:
        await bus.disconnect()


async def test_a_cancelled_disconnect_stays_cancelled():
    """disconnect() swallows its listener's cancellation, never its caller's."""
    bus = Bus("memory://")
    await bus.connect()
    closing = asyncio.create_task(bus.disconnect())
    await asyncio.sleep(0)  # disconnect() is now waiting for the cancelled listener
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing


async def test_a_failed_unsubscribe_is_logged_and_the_subscriber_leaves(caplog):
    bus = Bus("memory://")
    await bus.connect()
    try:
        with caplog.at_level("WARNING", logger="db.pubsub"):
            async with bus.subscribe("gone"):
                # The backend forgets the channel first, so the bus's own UNSUBSCRIBE fails.
                await bus._backend.unsubscribe("gone")
        assert bus.subscriber_count() == 0
        assert [record.getMessage() for record in caplog.records] == [
            "unsubscribing from gone failed: KeyError: 'gone'"
        ]
    finally:
        await bus.disconnect()


async def test_a_slow_subscriber_is_told_it_lagged_and_memory_stays_bounded():
    bus = Bus("memory://", max_queued=10)
    await bus.connect()
    try:
        async with bus.subscribe("slow") as slow, bus.subscribe("slow") as fast:
            for i in range(25):
                await bus.publish("slow", str(i))
                if i < 24:
                    assert await asyncio.wait_for(anext(fast), 5) == str(i)
            await asyncio.sleep(0.05)
            assert len(slow._queue) <= 10
            with pytest.raises(SubscriberLagged):
                await asyncio.wait_for(anext(slow), 5)
            # After the lag report the subscription keeps working: what it still holds
            # is a bounded, ordered tail, and new events arrive after it.
            await bus.publish("slow", "after")
            tail = []
            while not tail or tail[-1] != "after":
                tail.append(await asyncio.wait_for(anext(slow), 5))
            numbers = [int(item) for item in tail[:-1]]
            assert len(tail) <= 10
            assert numbers == sorted(numbers)
    finally:
        await bus.disconnect()


async def test_postgres_listener_reconnects_and_reports_the_gap():
    url = _url_or_skip("postgres")
    bus = _bus(url)
    await bus.connect()
    try:
        async with bus.subscribe("resilient") as payloads:
            await bus.publish("resilient", "before")
            assert await _receive(payloads, 1) == ["before"]
            listener_pid = bus._backend._conn.get_server_pid()
            admin = await asyncpg.connect(url)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", listener_pid)
            finally:
                await admin.close()
            with pytest.raises(SubscriberLagged):
                await asyncio.wait_for(anext(payloads), 10)
            assert bus._backend._conn.get_server_pid() != listener_pid
            await bus.publish("resilient", "after")
            assert await _receive(payloads, 1) == ["after"]
    finally:
        await bus.disconnect()


async def test_redis_listener_reconnects_and_reports_the_gap():
    url = _url_or_skip("redis")
    bus = _bus(url)
    await bus.connect()
    admin = redis.Redis.from_url(url)
    try:
        async with bus.subscribe("resilient") as payloads:
            await bus.publish("resilient", "before")
            assert await _receive(payloads, 1) == ["before"]
            # Redis closes our pub/sub connection, as on a failover or a server restart.
            listener = bus._backend._pubsub.connection
            host, port = listener._writer.get_extra_info("sockname")[:2]
            assert await admin.execute_command("CLIENT", "KILL", "ADDR", f"{host}:{port}") == 1
            with pytest.raises(SubscriberLagged):
                await asyncio.wait_for(anext(payloads), 10)
            assert bus._backend._pubsub.connection is not listener
            await bus.publish("resilient", "after")
            assert await _receive(payloads, 1) == ["after"]
    finally:
        await admin.aclose()
        await bus.disconnect()


@pytest.mark.parametrize("kind", ["redis", "postgres"])
async def test_namespaces_keep_deployments_sharing_a_backend_apart(kind):
    url = _url_or_skip(kind)
    ours, theirs, our_twin = (_bus(url, name=name) for name in ("a1", "b2", "a1"))
    for bus in (ours, theirs, our_twin):
        await bus.connect()
    try:
        async with ours.subscribe("message:1") as mine, theirs.subscribe("message:1") as other:
            await our_twin.publish("message:1", "for a1")
            await theirs.publish("message:1", "for b2")
            assert await _receive(mine, 1) == ["for a1"]
            assert await _receive(other, 1) == ["for b2"]
            await asyncio.sleep(0.1)
            assert not mine._queue and not other._queue  # nothing crossed over
    finally:
        for bus in (ours, theirs, our_twin):
            await bus.disconnect()


async def test_next_within_returns_queued_payloads_times_out_and_reports_lag():
    subscription = Subscription("channel", max_queued=2)
    subscription._deliver("a")
    subscription._deliver("b")
    assert await subscription.next_within(0.01) == "a"
    assert await subscription.next_within(0.01) == "b"
    with pytest.raises(TimeoutError):
        await subscription.next_within(0.01)
    # A payload arriving while it waits is returned, and the wait leaves no timeout armed.
    asyncio.get_running_loop().call_later(0.01, subscription._deliver, "c")
    assert await subscription.next_within(5.0) == "c"
    for payload in ("d", "e", "f"):  # one more than fits: the backlog is dropped
        subscription._deliver(payload)
    with pytest.raises(SubscriberLagged):
        await subscription.next_within(0.01)
    subscription._deliver("g")
    assert await subscription.next_within(0.01) == "g"
