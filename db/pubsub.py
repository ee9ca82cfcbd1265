"""The event bus between API processes: the only module that imports broadcaster.

`memory://` serves one process; `postgres://` (LISTEN/NOTIFY) and `redis://` let a
subscriber on one process see what another process publishes.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend

logger = logging.getLogger(__name__)

HEALTH_CHANNEL = "studygraph_health"
_SCHEMES = {
    "memory": "memory",
    "redis": "redis",
    "rediss": "redis",
    "postgres": "postgres",
    "postgresql": "postgres",
}


def broadcast_kind(url: str) -> str:
    """`memory`, `postgres` or `redis`: the backend a broadcast URL selects."""
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme not in _SCHEMES:
        raise ValueError(
            f"unsupported broadcast URL scheme {scheme!r}: use memory://, postgres:// or redis://"
        )
    return _SCHEMES[scheme]


def _driver_free(url: str) -> str:
    # broadcaster hands postgres URLs to asyncpg, which knows no "+asyncpg" suffix.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+")[0]))


class _SubscribedFirstRedisBackend(RedisBackend):
    """broadcaster 0.3.1's Redis backend wakes its listener before SUBSCRIBE is sent.

    redis-py's `listen()` returns at once while nothing is subscribed, so the listener
    went back to sleep for good and no message ever arrived (see
    encode/broadcaster#133 for the first half of this bug). Subscribe first, then wake.
    """

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()


def _make_broadcast(url: str) -> Broadcast:
    if broadcast_kind(url) == "redis":
        return Broadcast(backend=_SubscribedFirstRedisBackend(url))
    return Broadcast(_driver_free(url))


class Bus:
    """Publish and subscribe to string payloads on named channels."""

    def __init__(self, url: str) -> None:
        self.kind = broadcast_kind(url)
        self._broadcast = _make_broadcast(url)
        self._connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    async def disconnect(self) -> None:
        if self._connected:
            self._connected = False
            await self._broadcast.disconnect()

    async def publish(self, channel: str, payload: str) -> None:
        await self._broadcast.publish(channel, payload)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        """Payloads published on the channel from now on, until the block exits."""
        async with self._broadcast.subscribe(channel) as subscriber:

            async def payloads() -> AsyncIterator[str]:
                async for event in subscriber:
                    if event is not None:
                        yield event.message

            yield payloads()

    async def check(self) -> None:
        """Raise if the backend cannot carry a message now (for /readyz)."""
        if not self._connected:
            raise RuntimeError("broadcast is not connected")
        listener = getattr(self._broadcast, "_listener_task", None)
        if listener is not None and listener.done():
            raise RuntimeError("broadcast listener has stopped")
        # A publish is a round trip to Redis or PostgreSQL; on memory:// it is a put.
        await self._broadcast.publish(HEALTH_CHANNEL, "ping")
