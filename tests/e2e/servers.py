"""Running the real `studygraph serve` process for end-to-end tests, and clients for it."""

import asyncio
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from websockets.exceptions import ConnectionClosed

from db.accounts.tokens import TokenPolicy, issue_access_token
from db.engine import create_engine
from db.types import utcnow
from tests import databases
from tests.factories import PASSWORD
from tests.harness import TEST_JWT_SECRET

logger = logging.getLogger(__name__)

STUDYGRAPH = Path(sys.executable).parent / "studygraph"
HOST = "127.0.0.1"
# Importing the app takes ~6 s on an idle 2-core machine and several times that when
# both test workers start servers while other work runs (two starts at once missed 30 s
# on a loaded machine): the bound is for a hung server, not a slow one.
STARTUP_TIMEOUT_SECONDS = 90
SHUTDOWN_TIMEOUT_SECONDS = 10
FORBIDDEN_CLOSE_CODE = 4403

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken user { id email displayName } }
}"""
REFRESH = """
mutation($token: String!) {
  refreshToken(refreshToken: $token) { accessToken refreshToken user { email } }
}"""
CREATE_TOPIC = """
mutation($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }"""
START_SESSION = """
mutation($input: StartStudySessionInput!) {
  startStudySession(input: $input) { id title active endedAt topic { id } }
}"""
END_SESSION = """
mutation($id: ID!) { endStudySession(id: $id) { id active endedAt } }"""
READ_BACK = """
query($topicId: ID!, $sessionId: ID!) {
  topics { totalCount edges { node { id title } } }
  topic(id: $topicId) { id title sessions { totalCount edges { node { id } } } }
  studySession(id: $sessionId) { id active topic { id } }
  currentSession { id }
  currentTopic { id }
  topicNode: node(id: $topicId) { __typename id ... on Topic { title } }
  sessionNode: node(id: $sessionId) { __typename id ... on StudySession { active } }
}"""
TOPIC = "query($id: ID!) { topic(id: $id) { id title } }"
SERVER_INFO = "{ serverInfo { version database broadcast defaultModel } }"


# --- the server process -------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A running `studygraph serve` and where to reach it."""

    base_url: str
    database: str
    process: subprocess.Popen
    log: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    @property
    def websocket_url(self) -> str:
        return "ws" + self.graphql_url.removeprefix("http")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_env(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    # A STUDYGRAPH_ variable of the developer's shell must not change what is tested.
    env = {key: value for key, value in os.environ.items() if not key.startswith("STUDYGRAPH_")}
    env.update(
        STUDYGRAPH_DATABASE_URL=database_url,
        STUDYGRAPH_JWT_SECRET=TEST_JWT_SECRET,
        STUDYGRAPH_BROADCAST_URL="memory://",
    )
    env.update(extra)  # a test may override any of the defaults above
    return env


def start_server(database_url: str, workdir: Path, extra_env: dict[str, str]) -> Server:
    """Starts the console script without waiting for it to answer."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    # Output goes to a file, not a pipe: nobody reads a pipe while the tests run, and a
    # full pipe would block the server's logging and with it the server.
    with log.open("wb") as output:
        process = subprocess.Popen(
            # One process: tests kill it to simulate a crash (with workers, a
            # SIGKILL to the supervisor would leave its worker serving).
            [str(STUDYGRAPH), "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
            cwd=workdir,
            env=server_env(database_url, extra_env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://{HOST}:{port}", make_url(database_url).get_backend_name(), process, log)


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, **extra_env: str) -> Iterator[Server]:
    """Starts the console script, waits until /healthz answers, stops it at the end."""
    server = start_server(database_url, workdir, extra_env)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(server.process)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(
                    f"studygraph serve exited with {server.process.returncode}:\n{server.output()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if http.get(f"{server.base_url}/healthz").status_code == 200:
                    return
            time.sleep(0.1)
    pytest.fail(
        f"studygraph serve did not answer /healthz within {STARTUP_TIMEOUT_SECONDS} s:\n"
        f"{server.output()}"
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (uvicorn's graceful shutdown), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        logger.warning(
            "studygraph serve ignored SIGTERM for %s s; killing it", SHUTDOWN_TIMEOUT_SECONDS
        )
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)


# --- databases ------------------------------------------------------------------------


def require_postgres() -> None:
    """Skip (or fail, when PostgreSQL is required) like the database fixtures do."""
    reason = asyncio.run(databases.postgres_unreachable_reason())
    if reason:
        if databases.postgres_required():
            pytest.fail(f"STUDYGRAPH_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def migrated_database(kind: str, request, workdir: Path) -> Iterator[str]:
    # A PostgreSQL database of the module's own: the session-wide one is truncated by
    # function-scoped tests while this module's server would still be using it.
    if kind == "sqlite":
        yield databases.copy_sqlite(request.getfixturevalue("sqlite_template"), workdir)
        return
    require_postgres()
    url = asyncio.run(databases.create_postgres_database())
    try:
        yield url
    finally:
        asyncio.run(databases.drop_postgres_database(url))


async def table_names_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            if "alembic_version" not in names:
                return set(names), None
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            return set(names), revision
    finally:
        await engine.dispose()


# --- clients --------------------------------------------------------------------------


def http_client(server: Server, token: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(
        transport=HTTPXAsyncTransport(url=server.graphql_url, headers=headers, timeout=10)
    )


def websocket_client(server: Server, init_payload: dict) -> Client:
    transport = WebsocketsTransport(
        url=server.websocket_url,
        # Without this gql offers the legacy graphql-ws protocol first.
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=init_payload,
        connect_timeout=10,
        ack_timeout=10,
        close_timeout=5,
    )
    return Client(transport=transport)


async def execute(server: Server, query: str, variables=None, *, token=None) -> dict:
    """Data of one operation over HTTP; raises TransportQueryError on any error."""
    async with http_client(server, token) as session:
        return await session.execute(GraphQLRequest(query, variable_values=variables))


async def execute_error(server: Server, query: str, variables=None, *, token=None):
    """The TransportQueryError of an operation that must fail."""
    with pytest.raises(TransportQueryError) as raised:
        await execute(server, query, variables, token=token)
    return raised.value


def error_code(error: TransportQueryError) -> str:
    return error.errors[0]["extensions"]["code"]


async def register(server: Server) -> dict:
    """A new account's AuthPayload."""
    email = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    variables = {"input": {"email": email, "password": PASSWORD, "displayName": "E2E"}}
    return (await execute(server, REGISTER, variables))["register"]


async def create_topic(server: Server, token: str, title: str = "Graph theory") -> dict:
    variables = {"input": {"title": title, "description": "vertices and edges"}}
    return (await execute(server, CREATE_TOPIC, variables, token=token))["createTopic"]


def close_code(error: BaseException) -> int | None:
    """The close code the server sent, from the websockets error gql wraps."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionClosed):
            return cause.rcvd.code if cause.rcvd else None
        cause = cause.__cause__ or cause.__context__
    return None


def rejected_init_payload(credentials: str, user_id: int) -> dict:
    """connection_init payloads the server must refuse, by kind."""
    if credentials == "missing":
        return {}
    if credentials == "garbage":
        return {"authorization": "Bearer not-a-jwt"}
    if credentials == "expired":
        # An hour old: far beyond the 15-minute lifetime and the 10-second leeway.
        now = utcnow() - timedelta(hours=1)
        token, _ = issue_access_token(TokenPolicy(TEST_JWT_SECRET), user_id=user_id, now=now)
        return {"authorization": f"Bearer {token}"}
    other_policy = TokenPolicy("another-secret-that-is-also-long-enough-0123456789")
    token, _ = issue_access_token(other_policy, user_id=user_id)
    return {"authorization": f"Bearer {token}"}
