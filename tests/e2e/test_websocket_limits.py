"""Websocket caps and malformed messages against the real server, on both databases.

Two loopback source addresses (127.0.0.1 and 127.0.0.2) stand for two clients, so the
per-address cap and the total cap can be told apart.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.servers import Server, migrated_database, register, running_server

PER_CLIENT, TOTAL, PER_USER = 3, 5, 2
TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"ws-limits-{request.param}")
    with (
        migrated_database(request.param, request, workdir) as url,
        running_server(
            url,
            workdir,
            STUDYGRAPH_MAX_WEBSOCKETS=str(TOTAL),
            STUDYGRAPH_MAX_WEBSOCKETS_PER_CLIENT=str(PER_CLIENT),
            STUDYGRAPH_MAX_WEBSOCKETS_PER_USER=str(PER_USER),
            STUDYGRAPH_WEBSOCKET_INIT_TIMEOUT_SECONDS="1",
        ) as running,
    ):
        yield running


def connect(server: Server, source: str = "127.0.0.1", protocol: str = TRANSPORT_WS):
    return websockets.connect(
        server.websocket_url, subprotocols=[protocol], local_addr=(source, 0), open_timeout=10
    )


@contextlib.asynccontextmanager
async def sockets(server: Server, count: int, source: str) -> AsyncIterator[list]:
    """`count` open sockets from `source`, closed (and their slots freed) at the end."""
    async with contextlib.AsyncExitStack() as stack:
        opened = [await stack.enter_async_context(connect(server, source)) for _ in range(count)]
        yield opened
    await until_accepted(server, source)


async def until_accepted(server: Server, source: str = "127.0.0.1") -> None:
    """Waits until the server has released closed sockets' slots (it does so as each
    socket's handler returns, a moment after the close)."""
    for _ in range(100):
        with contextlib.suppress(InvalidStatus):
            async with connect(server, source):
                return
        await asyncio.sleep(0.1)
    pytest.fail("the server kept refusing websockets after they were closed")


async def refused_status(server: Server, source: str) -> int:
    with pytest.raises(InvalidStatus) as raised:
        async with connect(server, source):
            pass
    return raised.value.response.status_code


async def init(socket_, token: str | None) -> None:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket_.send(json.dumps({"type": "connection_init", "payload": payload}))


async def close_code_of(socket_) -> int:
    with pytest.raises(ConnectionClosed) as raised:
        await asyncio.wait_for(socket_.recv(), 10)
    return raised.value.rcvd.code


async def test_one_address_gets_at_most_its_share(server):
    await until_accepted(server)
    async with sockets(server, PER_CLIENT, "127.0.0.1"):
        assert await refused_status(server, "127.0.0.1") == 429
        # Another client is still served: the cap is per address.
        async with connect(server, "127.0.0.2") as other:
            await other.ping()


async def test_the_process_holds_at_most_its_total(server):
    await until_accepted(server)
    async with sockets(server, PER_CLIENT, "127.0.0.1"):
        async with sockets(server, TOTAL - PER_CLIENT, "127.0.0.2"):
            assert await refused_status(server, "127.0.0.2") == 429
            assert await refused_status(server, "127.0.0.3") == 429


async def test_one_user_gets_at_most_their_share(server):
    await until_accepted(server)
    token = (await register(server))["accessToken"]
    async with sockets(server, PER_USER, "127.0.0.1") as mine:
        for socket_ in mine:
            await init(socket_, token)
            assert json.loads(await socket_.recv())["type"] == "connection_ack"
        async with connect(server, "127.0.0.2") as one_more:
            await init(one_more, token)
            assert await close_code_of(one_more) == 4403
    # Closed sockets give their user's slots back.
    async with connect(server, "127.0.0.2") as later:
        await init(later, token)
        assert json.loads(await later.recv())["type"] == "connection_ack"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_socket_without_connection_init_is_closed_soon(server, protocol):
    await until_accepted(server)
    async with connect(server, protocol=protocol) as idle:
        assert await close_code_of(idle) == 4408


@pytest.mark.parametrize("message", ["[1,2]", "null", "5", '"hello"', '{"type": 5}'])
@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_messages_that_are_not_objects_are_refused_with_4400(server, protocol, message):
    await until_accepted(server)
    async with connect(server, protocol=protocol) as socket_:
        await socket_.send(message)
        assert await close_code_of(socket_) == 4400
    assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    "payload", ['"query"', "null", '{"query": 5}', '{"query": "{ me { id } }", "variables": 3}']
)
async def test_a_subscribe_with_a_malformed_payload_is_refused_with_4400(server, payload):
    await until_accepted(server)
    token = (await register(server))["accessToken"]
    async with connect(server) as socket_:
        await init(socket_, token)
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        await socket_.send(f'{{"type": "subscribe", "id": "1", "payload": {payload}}}')
        assert await close_code_of(socket_) == 4400
    assert "Traceback" not in server.output()


async def test_the_legacy_protocol_refuses_a_bad_token_with_4403(server):
    await until_accepted(server)
    async with connect(server, protocol=LEGACY_WS) as socket_:
        await init(socket_, "not-a-jwt")
        assert json.loads(await socket_.recv())["type"] == "connection_error"
        assert await close_code_of(socket_) == 4403


async def test_document_limits_hold_over_websockets_with_clear_errors(server):
    # Refused by a limit before parsing or validation: an `error` message naming it;
    # the parser's token limit is a syntax error, which the protocol closes 4400.
    await until_accepted(server)
    token = (await register(server))["accessToken"]
    directives = "{ " + "__typename @include(if: true) " * 51 + "}"
    async with connect(server) as socket_:
        await init(socket_, token)
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        payload = json.dumps({"query": directives})
        await socket_.send(f'{{"type": "subscribe", "id": "1", "payload": {payload}}}')
        answer = json.loads(await asyncio.wait_for(socket_.recv(), 10))
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "directives" in answer["payload"][0]["message"]
        tokens = json.dumps({"query": "{ " + "a " * 1_001 + "}"})
        await socket_.send(f'{{"type": "subscribe", "id": "2", "payload": {tokens}}}')
        assert await close_code_of(socket_) == 4400
    assert "Traceback" not in server.output()
