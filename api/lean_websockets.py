"""uvicorn's sans-I/O websocket protocol, holding less for each open socket.

An idle subscription is mostly its websocket, and uvicorn's protocol keeps two things
for the socket's whole life that it needs only briefly (bench/subscription_memory.py,
traced per socket):

- an asyncio.Queue for the messages the app has not received yet: three deques and an
  Event, ~3.2 KiB, for a queue that is almost always empty. ReceiveQueue keeps a list
  and makes a waiter only while the app waits;
- an asyncio.Event telling whether the transport takes writes: set nearly always,
  with a deque of waiters (~0.7 KiB); WriteGate makes a waiter only while one waits;
- the handshake's request and response (their headers, ~2.5 KiB), used only to
  answer it: uvicorn keeps both, and `websockets`' parser keeps the request in its
  generator's frame; after the handshake, a frame parser started afresh replaces it.

Everything else is uvicorn's own code: `studygraph serve` names this class as uvicorn's
`ws` protocol (api/cli.py). tests/test_pinned_internals.py pins what it relies on.
"""

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Protocol, State


class ReceiveQueue:
    """The part of asyncio.Queue uvicorn's protocol uses: put_nowait, get, empty."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake_next()

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif self._items:
                    # Woken for an item, then cancelled: the next waiter gets it.
                    self._wake_next()
                raise
        return self._items.pop(0)

    def _wake_next(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class WriteGate:
    """The part of asyncio.Event uvicorn's protocol uses for `writable`: set, clear, wait."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        if self._open:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


class LeanWebSocketsProtocol(WebSocketsSansIOProtocol):
    """WebSocketsSansIOProtocol with a ReceiveQueue and a WriteGate, dropping the
    handshake once sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = ReceiveQueue()  # type: ignore[assignment]
        self.writable = WriteGate()  # type: ignore[assignment]
        self.writable.set()
        # uvicorn hands over the upgrade request, rebuilt, as the first chunk; any
        # later chunk before the accept holds frame bytes the parser may be halfway
        # through (a client that does not wait for the 101).
        self._chunks_received = 0

    def data_received(self, data: bytes) -> None:
        self._chunks_received += 1
        super().data_received(data)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # Accepted or refused, the handshake's answer is on the wire: nothing reads
            # the request or the response again.
            self.request = self.response = None
            self._restart_frame_parser()

    def _restart_frame_parser(self) -> None:
        """ServerProtocol.parse read the request, then runs Protocol.parse (the frames)
        with the request still a local of its frame. When nothing arrived after the
        request, that frame parser is waiting for the first frame: one started afresh
        is the same parser. Otherwise it may be inside a frame: it is left alone."""
        connection = self.conn
        if (
            connection.state is not State.OPEN
            or self._chunks_received != 1
            or connection.reader.buffer
        ):
            return
        connection.parser = Protocol.parse(connection)
        next(connection.parser)  # to its first wait, as websockets starts its parsers
