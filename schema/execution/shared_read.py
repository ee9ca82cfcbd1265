"""One read shared by every field of an operation that wants it.

Some fields of one operation need the same rows: the dashboard's nextUpTopics reads
the owner's topics and their progress, and the topics' progress and a session's topic
need the same facts. A SharedRead runs its read at most once per operation, started
by the field that knows it will need it, and every loader that finds it started takes
its answer from there instead of reading the database again.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    """`read()` run at most once, its result shared; `started` tells whether to use it."""

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._future: asyncio.Future[T] | None = None

    @property
    def started(self) -> bool:
        return self._future is not None

    def start(self) -> "asyncio.Future[T]":
        """Start the read (once); await the result to get it."""
        if self._future is None:
            self._future = asyncio.ensure_future(self._read())
        return self._future

    async def get(self) -> T:
        """The read's result (starting it if needed); its error, if it failed."""
        # shield: one awaiting field being cancelled must not cancel the read for all.
        return await asyncio.shield(self.start())
