"""The event bus between API processes: the only module that imports broadcaster (with
db/pubsub_redis.py and db/pubsub_postgres.py, its backends, each imported only for its
kind of bus).

`memory://` serves one process; `postgres://` (LISTEN/NOTIFY) and `redis://` let a
subscriber on one process see what another process publishes.

broadcaster gives us the backends (one wire subscription per channel); the fan-out to
local subscribers is ours, because broadcaster's gives every subscriber an unbounded
queue: one stalled websocket would hold every event of a long answer in memory. Here
each subscriber has a bounded queue; a subscriber that falls behind loses its queue and
is told so (`SubscriberLagged`) so that it can resynchronise from the database. The
same happens to every subscriber when the backend's connection drops and comes back,
since events published meanwhile are gone.
"""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from broadcaster._base import Event

from db.channels import HEALTH_CHANNEL

logger = logging.getLogger(__name__)


class BroadcastKind(StrEnum):
    """The backend a broadcast URL selects (as serverInfo.broadcast reports it)."""

    MEMORY = "memory"
    REDIS = "redis"
    POSTGRES = "postgres"


DEFAULT_QUEUE_SIZE = 1024
_RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)
_SCHEMES = {
    "memory": BroadcastKind.MEMORY,
    "redis": BroadcastKind.REDIS,
    "rediss": BroadcastKind.REDIS,
    "postgres": BroadcastKind.POSTGRES,
    "postgresql": BroadcastKind.POSTGRES,
}


# PostgreSQL's NOTIFY refuses payloads of 8000 bytes or more. Every backend holds to
# the same bound, so that what works on memory:// in development works in production.
MAX_PAYLOAD_BYTES = 7999


class PayloadTooLarge(ValueError):
    """A payload beyond MAX_PAYLOAD_BYTES: its publisher must split or truncate it."""


class SubscriberLagged(Exception):
    """Events were dropped for this subscriber; it must resynchronise from the source."""


class BackendConnectionLost(ConnectionError):
    """The backend's listening connection went away; events may have been missed."""


def broadcast_kind(url: str) -> BroadcastKind:
    """The backend a broadcast URL selects."""
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme not in _SCHEMES:
        raise ValueError(
            f"unsupported broadcast URL scheme {scheme!r}: use memory://, postgres:// or redis://"
        )
    return _SCHEMES[scheme]


def _driver_free(url: str) -> str:
    # asyncpg knows no "+asyncpg" suffix.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+")[0]))


_LOST = Event(channel="", message="")


@contextmanager
def _logged_failure(action: str) -> Iterator[None]:
    """Cleanup whose failure must not stop the caller, logged in one line rather than lost."""
    try:
        yield
    except Exception as error:
        logger.warning("%s failed: %s: %s", action, type(error).__name__, error)


class _MemoryBackend(MemoryBackend):
    async def reconnect(self, channels: set[str]) -> None:  # pragma: no cover - never lost
        return None


def _make_backend(url: str) -> BroadcastBackend:
    kind = broadcast_kind(url)
    if kind == BroadcastKind.REDIS:
        # Imported only for a Redis bus: redis-py takes a third of a second to import.
        from db.pubsub_redis import RedisBusBackend

        return RedisBusBackend(url)
    if kind == BroadcastKind.POSTGRES:
        # Imported only for a PostgreSQL bus: asyncpg is not needed on SQLite.
        from db.pubsub_postgres import PostgresBusBackend

        return PostgresBusBackend(_driver_free(url))
    return _MemoryBackend(url)


class Subscription:
    """One subscriber's bounded queue of payloads, iterated with `async for`.

    Iteration raises SubscriberLagged once when events were dropped (queue full or the
    backend reconnected); the subscription stays usable afterwards.
    """

    def __init__(self, channel: str, max_queued: int) -> None:
        self.channel = channel
        self._max_queued = max_queued
        # Both made when first needed: most subscriptions sit idle for minutes, and an
        # empty deque (its first block) and an asyncio.Event (its waiter deque) cost
        # ~1.3 KiB each subscription (bench/subscription_memory.py).
        self._queue: deque[str] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._lagged = False

    def _deliver(self, payload: str) -> None:
        if self._queue is None:
            self._queue = deque()
        if len(self._queue) >= self._max_queued:
            # Dropping the backlog (not just the newest event) frees the memory now;
            # the subscriber will rebuild its state from the database anyway.
            self._queue.clear()
            self._lagged = True
        else:
            self._queue.append(payload)
        self._wake()

    def _mark_lagged(self) -> None:
        if self._queue is not None:
            self._queue.clear()
        self._lagged = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> "Subscription":
        return self

    async def next_within(self, seconds: float) -> str:
        """The next payload, or TimeoutError after `seconds` without one.

        What asyncio.wait_for(anext(...)) did, without its task per call: a queued
        payload returns at once, and only an empty queue arms a timeout (the delivery
        path of every streamed token runs through here).
        """
        if self._queue and not self._lagged:
            return self._queue.popleft()
        async with asyncio.timeout(seconds):
            return await self.__anext__()

    async def __anext__(self) -> str:
        while not self._queue and not self._lagged:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._lagged:
            self._lagged = False
            raise SubscriberLagged(self.channel)
        return self._queue.popleft()


class Bus:
    """Publish and subscribe to string payloads on named channels."""

    def __init__(
        self, url: str, *, max_queued: int = DEFAULT_QUEUE_SIZE, namespace: str = ""
    ) -> None:
        self.kind = broadcast_kind(url)
        # Prefixed to every channel on the wire: deployments (or test runs) that share
        # one Redis would otherwise mix events of messages that happen to share an id.
        self._prefix = f"{namespace}:" if namespace else ""
        self._backend = _make_backend(url)
        self._max_queued = max_queued
        self._subscribers: dict[str, set[Subscription]] = {}
        self._listener: asyncio.Task | None = None
        self._connected = False
        # Serialises SUBSCRIBE/UNSUBSCRIBE against reconnection.
        self._wire_lock = asyncio.Lock()

    async def connect(self) -> None:
        await self._backend.connect()
        self._connected = True
        self._listener = asyncio.create_task(self._listen(), name="studygraph-bus-listener")

    async def disconnect(self) -> None:
        if not self._connected:
            return
        self._connected = False
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except asyncio.CancelledError:
                # The listener's own cancellation is the point; a cancel of this call
                # (its caller's) must go on.
                if asyncio.current_task().cancelling():
                    raise
        await self._backend.disconnect()

    async def publish(self, channel: str, payload: str) -> None:
        size = len(payload.encode())
        if size > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge(
                f"{size}-byte payload on {channel}; the bus carries at most {MAX_PAYLOAD_BYTES}"
            )
        await self._backend.publish(self._prefix + channel, payload)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Payloads published on the channel from now on, until the block exits."""
        channel = self._prefix + channel
        subscription = Subscription(channel, self._max_queued)
        async with self._wire_lock:
            local = self._subscribers.get(channel)
            if local is None:
                await self._backend.subscribe(channel)
                self._subscribers[channel] = {subscription}
            else:
                local.add(subscription)
        try:
            yield subscription
        finally:
            async with self._wire_lock:
                local = self._subscribers.get(channel)
                if local is not None:
                    local.discard(subscription)
                    if not local:
                        del self._subscribers[channel]
                        if self._connected:
                            with _logged_failure(f"unsubscribing from {channel}"):
                                await self._backend.unsubscribe(channel)

    def subscriber_count(self) -> int:
        """Local subscriptions open now (for tests and metrics)."""
        return sum(len(subs) for subs in self._subscribers.values())

    async def _listen(self) -> None:
        while True:
            try:
                event = await self._backend.next_published()
            except BackendConnectionLost:
                await self._recover()
                continue
            for subscription in tuple(self._subscribers.get(event.channel, ())):
                subscription._deliver(event.message)

    async def _recover(self) -> None:
        """Reconnect with back-off; every subscriber may have missed events meanwhile."""
        attempt = 0
        while True:
            async with self._wire_lock:
                try:
                    await self._backend.reconnect(set(self._subscribers))
                except Exception as error:
                    # One line per attempt: an outage repeats the same traceback.
                    logger.warning(
                        "broadcast reconnect failed: %s: %s", type(error).__name__, error
                    )
                else:
                    logger.info("broadcast reconnected")
                    for subscriptions in self._subscribers.values():
                        for subscription in subscriptions:
                            subscription._mark_lagged()
                    return
            await asyncio.sleep(_RECONNECT_DELAYS[min(attempt, len(_RECONNECT_DELAYS) - 1)])
            attempt += 1

    async def check(self) -> None:
        """Raise if the backend cannot carry a message now (for /readyz)."""
        if not self._connected:
            raise RuntimeError("broadcast is not connected")
        if self._listener is not None and self._listener.done():
            raise RuntimeError("broadcast listener has stopped")
        # A publish is a round trip to Redis or PostgreSQL; on memory:// it is a put.
        await self._backend.publish(HEALTH_CHANNEL, "ping")


# With no event for this long, a subscription's follower re-checks the subscriber's
# access (a quiet channel must not keep a subscription alive past its access token)
# and re-reads what it follows. One value for every follower.
LIVENESS_SECONDS = 5.0
