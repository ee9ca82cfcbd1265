"""What a websocket holds: api/lean_websockets.py (uvicorn's protocol, on a real uvicorn
server and a real websocket client) and our graphql-transport-ws handler."""

import asyncio
import base64
import contextlib
import gc
import os
import socket

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.http11 import Request

from api.app import create_app
from api.body_limit import BodySizeLimit
from api.cli import uvicorn_options
from api.lean_websockets import LeanWebSocketsProtocol, ReceiveQueue, WriteGate
from api.origins import OriginPolicy, PolicyCORS
from api.settings import Settings
from api.websocket_protocols import TransportWSHandler
from db.accounts.tokens import TokenPolicy, issue_access_token


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="graphql-transport-ws")
    async for text in websocket.iter_text():
        await websocket.send_text(text.upper())


async def _echo_after_a_while(websocket: WebSocket) -> None:
    await asyncio.sleep(0.1)  # the client's first frame bytes arrive before the accept
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text.upper())


@contextlib.asynccontextmanager
async def _served(compression: bool = False, endpoint=_echo):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws=LeanWebSocketsProtocol,
        ws_per_message_deflate=compression,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, no event)
            await asyncio.sleep(0.02)
    try:
        yield server, f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await serving


def test_serve_uses_the_lean_protocol():
    settings = Settings(jwt_secret="a-test-secret-long-enough-for-hs256-0123456789")
    assert uvicorn_options(settings)["ws"] is LeanWebSocketsProtocol


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "deflate"])
async def test_a_socket_talks_and_holds_no_handshake_nor_asyncio_queue(compression):
    async with _served(compression) as (server, url):
        offer = "deflate" if compression else None
        async with connect(url, subprotocols=["graphql-transport-ws"], compression=offer) as client:
            negotiated = client.response.headers.get("Sec-WebSocket-Extensions") or ""
            assert ("permessage-deflate" in negotiated) == compression
            assert client.subprotocol == "graphql-transport-ws"
            for word in ("one", "two", "three"):
                await client.send(word)
                assert await client.recv() == word.upper()
            (protocol,) = [
                connection
                for connection in server.server_state.connections
                if isinstance(connection, LeanWebSocketsProtocol)
            ]
            assert isinstance(protocol.queue, ReceiveQueue)
            assert isinstance(protocol.writable, WriteGate)
            assert protocol.response is None and protocol.request is None
            # websockets' parser no longer keeps the handshake request in its frame.
            parser_locals = protocol.conn.parser.gi_frame.f_locals.values()
            assert not [value for value in parser_locals if isinstance(value, Request)]
        async with asyncio.timeout(5):
            while server.server_state.connections:  # noqa: ASYNC110 (a set, no event)
                await asyncio.sleep(0.02)


async def test_a_frame_begun_before_the_accept_is_not_lost():
    # A client that does not wait for the 101 sends a frame's first two bytes before
    # the accept and the rest after: restarting the frame parser at the accept would
    # drop the half it had read.
    async with _served(endpoint=_echo_after_a_while) as (_, url):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await writer.drain()
        await asyncio.sleep(0.02)
        payload, mask = b"hello", os.urandom(4)
        writer.write(bytes([0x81, 0x80 | len(payload)]))  # FIN + text, masked, length 5
        await writer.drain()
        await asyncio.sleep(0.3)  # the server accepts meanwhile
        writer.write(mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload)))
        await writer.drain()
        async with asyncio.timeout(5):
            await reader.readuntil(b"\r\n\r\n")  # the 101
            assert await reader.readexactly(7) == b"\x81\x05HELLO"
        writer.close()


async def test_the_receive_queue_keeps_order_and_wakes_its_waiters():
    queue = ReceiveQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert (queue.qsize(), await queue.get(), await queue.get(), queue.empty()) == (2, 1, 2, True)
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("a")
    # Woken for "a", then cancelled before it ran: the other waiter gets "a".
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(1):
        assert await second == "a"
    assert queue.empty()


async def test_the_write_gate_lets_writers_through_only_while_open():
    gate = WriteGate()
    gate.set()
    await gate.wait()
    gate.clear()
    writer = asyncio.create_task(gate.wait())
    await asyncio.sleep(0.01)
    assert not writer.done() and not gate.is_set()
    gate.set()
    async with asyncio.timeout(1):
        await writer


def test_an_initialised_socket_keeps_no_init_deadline_task(settings):
    """Strawberry keeps the cancelled init-deadline task (and its CancelledError) for
    the socket's life; our handler lets it go once the connection_init came."""
    token, _ = issue_access_token(TokenPolicy(secret=settings.resolve_jwt_secret()), user_id=1)
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            ws.send_json(init)
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"
            handlers = [item for item in gc.get_objects() if isinstance(item, TransportWSHandler)]
            assert handlers and all(h.connection_init_timeout_task is None for h in handlers)


@pytest.mark.parametrize("middleware", ["cors", "body limit"])
def test_http_only_middleware_hands_a_websocket_straight_to_the_app(middleware):
    """No frame of an HTTP-only middleware stays on the stack of a socket's task."""
    awaited = object()

    def app(scope, receive, send):
        return awaited

    wrapped = (
        PolicyCORS(app, policy=OriginPolicy.for_settings([], production=True))
        if middleware == "cors"
        else BodySizeLimit(app, max_bytes=10)
    )
    assert wrapped({"type": "websocket"}, None, None) is awaited
