"""End to end: the real `studygraph serve` process over real sockets, on both databases.

Each database gets one server for the whole module, on a migrated database of its own,
so the many checks below pay for two start-ups. Tests that need another configuration
(an unmigrated database, production) start a server of their own.
"""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from importlib.metadata import version

import httpx
import pytest
from alembic.script import ScriptDirectory
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from db.accounts.tokens import TokenPolicy, issue_access_token
from db.migrate import alembic_config
from db.types import utcnow
from schema.relay import from_global_id
from tests import databases
from tests.e2e.servers import (
    END_SESSION,
    FORBIDDEN_CLOSE_CODE,
    READ_BACK,
    REFRESH,
    SERVER_INFO,
    START_SESSION,
    TOPIC,
    Server,
    close_code,
    create_topic,
    error_code,
    execute,
    execute_error,
    http_client,
    migrated_database,
    register,
    rejected_init_payload,
    require_postgres,
    running_server,
    table_names_and_revision,
    websocket_client,
)
from tests.harness import TEST_JWT_SECRET

# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One development server per database, shared by the module's tests."""
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    with (
        migrated_database(request.param, request, workdir) as url,
        running_server(url, workdir) as running,
    ):
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database no migration has touched: an empty SQLite file or a bare PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        path.touch()
        yield f"sqlite+aiosqlite:///{path}"
        return
    require_postgres()
    url = asyncio.run(databases.create_postgres_database(migrate=False))
    try:
        yield url
    finally:
        asyncio.run(databases.drop_postgres_database(url))


@pytest.fixture
def fresh_server(empty_database_url: str, tmp_path) -> Iterator[Server]:
    with running_server(empty_database_url, tmp_path) as running:
        yield running


@pytest.fixture
def production_server(database_url: str, tmp_path) -> Iterator[Server]:
    with running_server(database_url, tmp_path, STUDYGRAPH_ENV="production") as running:
        yield running


# --- HTTP -----------------------------------------------------------------------------


async def test_server_info_needs_no_sign_in(server):
    data = await execute(server, SERVER_INFO)
    assert data["serverInfo"] == {
        "version": version("studygraph"),
        "database": server.database,
        "broadcast": "memory",
        "defaultModel": "local:tutor",
    }


async def test_topic_and_study_session_round_trip(server):
    me = await register(server)
    async with http_client(server, me["accessToken"]) as session:
        topic = await create_topic(server, me["accessToken"])
        started = (
            await session.execute(
                GraphQLRequest(START_SESSION, variable_values={"input": {"topicId": topic["id"]}})
            )
        )["startStudySession"]
        assert started["active"] is True
        assert started["endedAt"] is None
        assert started["topic"] == {"id": topic["id"]}
        assert started["title"] == "Graph theory"  # defaults to the topic's title

        ids = {"topicId": topic["id"], "sessionId": started["id"]}
        read = await session.execute(GraphQLRequest(READ_BACK, variable_values=ids))
        assert read["topics"] == {
            "totalCount": 1,
            "edges": [{"node": {"id": topic["id"], "title": "Graph theory"}}],
        }
        assert read["topic"] == {
            "id": topic["id"],
            "title": "Graph theory",
            "sessions": {"totalCount": 1, "edges": [{"node": {"id": started["id"]}}]},
        }
        assert read["studySession"] == {
            "id": started["id"],
            "active": True,
            "topic": {"id": topic["id"]},
        }
        assert read["currentSession"] == {"id": started["id"]}
        assert read["currentTopic"] == {"id": topic["id"]}
        assert read["topicNode"] == {
            "__typename": "Topic",
            "id": topic["id"],
            "title": "Graph theory",
        }
        assert read["sessionNode"] == {
            "__typename": "StudySession",
            "id": started["id"],
            "active": True,
        }

        ended = (
            await session.execute(
                GraphQLRequest(END_SESSION, variable_values={"id": started["id"]})
            )
        )["endStudySession"]
        assert ended["active"] is False
        assert ended["endedAt"] is not None
        after = await session.execute(gql("{ currentSession { id } currentTopic { id } }"))
    # Nothing is active any more, but the topic studied last is still the current one.
    assert after == {"currentSession": None, "currentTopic": {"id": topic["id"]}}


async def test_refresh_rotates_and_reuse_revokes_the_family(server):
    first = await register(server)
    second = (await execute(server, REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["user"]["email"] == first["user"]["email"]
    me = await execute(server, "{ me { email } }", token=second["accessToken"])
    assert me == {"me": {"email": first["user"]["email"]}}

    reused = await execute_error(server, REFRESH, {"token": first["refreshToken"]})
    assert reused.data is None
    assert error_code(reused) == "UNAUTHENTICATED"
    # The reuse revoked the whole family: the newest token, never used, is dead too.
    revoked = await execute_error(server, REFRESH, {"token": second["refreshToken"]})
    assert error_code(revoked) == "UNAUTHENTICATED"


async def test_another_users_topic_is_not_found(server):
    owner = await register(server)
    stranger = await register(server)
    topic = await create_topic(server, owner["accessToken"], title="Private notes")

    error = await execute_error(server, TOPIC, {"id": topic["id"]}, token=stranger["accessToken"])
    # `topic` is nullable, so the error nulls the field and data stays an object.
    assert error.data == {"topic": None}
    assert error_code(error) == "NOT_FOUND"
    # The same ID works for its owner: the NOT_FOUND is about who asks.
    own = await execute(server, TOPIC, {"id": topic["id"]}, token=owner["accessToken"])
    assert own == {"topic": {"id": topic["id"], "title": "Private notes"}}


async def test_development_serves_graphiql(server):
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(server.graphql_url, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


# --- websockets (graphql-transport-ws) ------------------------------------------------


async def test_websocket_runs_a_query_as_the_init_payload_user(server):
    me = await register(server)
    await create_topic(server, me["accessToken"])
    client = websocket_client(server, {"authorization": f"Bearer {me['accessToken']}"})
    async with client as session:
        data = await session.execute(gql("{ me { email } topics { totalCount } }"))
        assert client.transport.subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
    assert data == {"me": {"email": me["user"]["email"]}, "topics": {"totalCount": 1}}


@pytest.mark.parametrize("credentials", ["missing", "garbage", "expired", "other-secret"])
async def test_websocket_without_a_valid_token_is_closed_with_4403(server, credentials):
    # A real user's id, so only the token itself can be what the server refuses.
    me = await register(server)
    _, user_id = from_global_id(me["user"]["id"])
    client = websocket_client(server, rejected_init_payload(credentials, user_id))
    with pytest.raises(TransportConnectionFailed) as raised:
        async with client as session:
            await session.execute(gql("{ me { email } }"))
    assert close_code(raised.value) == FORBIDDEN_CLOSE_CODE, repr(raised.value)


async def test_websocket_reads_are_fresh_for_every_operation(server):
    # One socket lives for hours; what it reads must not be cached from its first query.
    me = await register(server)
    topic = await create_topic(server, me["accessToken"], title="Old title")
    rename = 'mutation($id: ID!) { updateTopic(id: $id, input: {title: "New title"}) { id } }'
    client = websocket_client(server, {"authorization": f"Bearer {me['accessToken']}"})
    async with client as session:
        read = GraphQLRequest(TOPIC, variable_values={"id": topic["id"]})
        before = await session.execute(read)
        await execute(server, rename, {"id": topic["id"]}, token=me["accessToken"])
        after = await session.execute(read)
    assert before["topic"]["title"] == "Old title"
    assert after["topic"]["title"] == "New title"


async def test_websocket_operations_stop_when_the_token_expires(server):
    # The handshake accepted a valid token; once it (and the 10 s leeway) runs out,
    # the open socket may not keep acting for the user.
    me = await register(server)
    _, user_id = from_global_id(me["user"]["id"])
    short_lived = TokenPolicy(TEST_JWT_SECRET, access_ttl=timedelta(seconds=1))
    # Valid for about 6 s more: room for a busy machine to open the socket and answer.
    issued = utcnow() - timedelta(seconds=5)
    token, _ = issue_access_token(short_lived, user_id=user_id, now=issued)
    rejected_from = issued + timedelta(seconds=1 + 10 + 1)  # ttl, leeway, whole seconds
    client = websocket_client(server, {"authorization": f"Bearer {token}"})
    async with client as session:
        assert (await session.execute(gql("{ me { email } }")))["me"]["email"]
        await asyncio.sleep(max(0.0, (rejected_from - utcnow()).total_seconds()))
        with pytest.raises(TransportQueryError) as raised:
            await session.execute(gql("{ me { email } }"))
    assert error_code(raised.value) == "UNAUTHENTICATED"


async def test_websocket_messages_are_capped_like_request_bodies(server):
    # 2 MiB in one graphql-transport-ws message: over the 1 MiB default, so uvicorn
    # closes the socket with 1009 (message too big) before Strawberry parses it.
    import json

    import websockets

    me = await register(server)
    async with websockets.connect(
        server.websocket_url, subprotocols=["graphql-transport-ws"], max_size=None
    ) as socket_:
        init = {"authorization": f"Bearer {me['accessToken']}"}
        await socket_.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await socket_.recv())["type"] == "connection_ack"
        huge = {"query": "{ me { email } }", "variables": {"pad": "x" * (2 * 1024 * 1024)}}
        with pytest.raises(ConnectionClosed) as raised:
            # The close can cut the send short on a busy machine, or come after it.
            await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": huge}))
            await asyncio.wait_for(socket_.recv(), 10)
    assert raised.value.rcvd.code == 1009


# --- servers of their own -------------------------------------------------------------


async def test_serve_migrates_an_empty_database(fresh_server, empty_database_url):
    me = await register(fresh_server)
    topic = await create_topic(fresh_server, me["accessToken"])
    assert topic["title"] == "Graph theory"

    tables, revision = await table_names_and_revision(empty_database_url)
    assert set(databases.TABLES) <= tables
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_production_hides_graphiql_and_is_ready(production_server):
    async with httpx.AsyncClient(base_url=production_server.base_url, timeout=10) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        ready = await http.get("/readyz")
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "broadcast": "ok"}
    # The API itself still answers there.
    data = await execute(production_server, SERVER_INFO)
    assert data["serverInfo"]["database"] == production_server.database
