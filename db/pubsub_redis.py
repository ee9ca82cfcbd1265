"""The bus's Redis backend (db/pubsub.py imports it only for a `redis://` bus)."""

import asyncio

from broadcaster._backends.redis import RedisBackend
from broadcaster._base import Event

from db.pubsub import _LOST, BackendConnectionLost, _logged_failure, logger


class RedisBusBackend(RedisBackend):
    """broadcaster 0.3.1's Redis backend, fixed in two ways.

    It woke its listener before SUBSCRIBE was sent; redis-py's `listen()` returns at
    once while nothing is subscribed, so the listener went back to sleep for good
    (encode/broadcaster#133). And a dropped connection killed the listener silently;
    here it surfaces as BackendConnectionLost so the bus can reconnect.
    """

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()

    async def _pubsub_listener(self) -> None:
        try:
            await super()._pubsub_listener()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("redis pub/sub connection lost", exc_info=True)
            self._queue.put_nowait(_LOST)

    async def next_published(self) -> Event:
        event = await self._queue.get()
        if event is _LOST:
            raise BackendConnectionLost("redis pub/sub connection lost")
        return event

    async def disconnect(self) -> None:
        # The listener stops before its connection closes: closed under it, it read a
        # "lost" connection and logged a traceback at every shutdown.
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        await self._pubsub.aclose()
        await self._conn.aclose()

    async def reconnect(self, channels: set[str]) -> None:
        with _logged_failure("closing the lost redis connection"):
            await self.disconnect()
        self.__init__(self._url)
        await self.connect()
        for channel in channels:
            await self.subscribe(channel)

    def __init__(self, url: str) -> None:
        self._url = url
        super().__init__(url)
