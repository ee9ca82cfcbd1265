"""The bus's PostgreSQL backend (db/pubsub.py imports it only for a `postgres://` bus)."""

import asyncio
from typing import Any

import asyncpg
from broadcaster._backends.postgres import PostgresBackend
from broadcaster._base import Event

from db.pubsub import _LOST, BackendConnectionLost, _logged_failure


class PostgresBusBackend(PostgresBackend):
    """LISTEN on one connection, NOTIFY through a small pool.

    broadcaster's backend sends NOTIFY on its LISTEN connection, and asyncpg refuses a
    second query while one is in flight: concurrent publishers failed with "another
    operation is in progress". It also never noticed a dropped connection.
    """

    async def connect(self) -> None:
        self._listen_queue: asyncio.Queue[Event] = asyncio.Queue()
        self._conn = await asyncpg.connect(self._url)
        self._conn.add_termination_listener(self._terminated)
        self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=4)

    async def disconnect(self) -> None:
        with _logged_failure("closing the postgres LISTEN connection"):
            self._conn.remove_termination_listener(self._terminated)
            await self._conn.close()
        await self._pool.close()

    def _terminated(self, connection: Any) -> None:
        self._listen_queue.put_nowait(_LOST)

    async def publish(self, channel: str, message: str) -> None:
        await self._pool.execute("SELECT pg_notify($1, $2)", channel, message)

    async def next_published(self) -> Event:
        event = await self._listen_queue.get()
        if event is _LOST:
            raise BackendConnectionLost("postgres LISTEN connection lost")
        return event

    async def reconnect(self, channels: set[str]) -> None:
        with _logged_failure("closing the lost postgres LISTEN connection"):
            await self._conn.close()
        self._conn = await asyncpg.connect(self._url)
        self._conn.add_termination_listener(self._terminated)
        for channel in channels:
            await self.subscribe(channel)
