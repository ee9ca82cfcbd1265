"""Sign-in and registration throttles through real `studygraph serve` processes.

Client addresses matter here, so requests come from real sockets bound to different
loopback addresses (127.0.0.2, 127.0.0.3, ...), and two server processes share one
database, on SQLite and on PostgreSQL, to show the counts hold across processes.
"""

import itertools
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.servers import Server, migrated_database, running_server
from tests.factories import PASSWORD

REGISTER = """
mutation($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""
WRONG = "not-the-password-at-all"
# Waits are capped at the 15-minute window; a long backoff keeps every refusal in these
# tests a refusal however slowly a loaded machine runs them.
SLOW_BACKOFF = {"STUDYGRAPH_LOGIN_BACKOFF_SECONDS": "3600"}
_addresses = (f"127.0.0.{number}" for number in itertools.count(2))


def new_address() -> str:
    """A loopback address no other test in the module has used."""
    return next(_addresses)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def servers(request, tmp_path_factory) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one database."""
    workdir = tmp_path_factory.mktemp(f"throttle-{request.param}")
    env = {**SLOW_BACKOFF, "STUDYGRAPH_REGISTRATIONS_PER_ADDRESS": "3"}
    with (
        migrated_database(request.param, request, workdir) as url,
        running_server(url, workdir, **env) as first,
        running_server(url, workdir, **env) as second,
    ):
        yield first, second


async def post(
    server: Server, query: str, email: str, password: str, *, source: str, headers=None
) -> dict:
    """One operation sent from a socket bound to `source`; its first error or None."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, timeout=30) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": query, "variables": {"email": email, "password": password}},
            headers=headers or {},
        )
    body = response.json()
    return body["errors"][0] if body.get("errors") else None


def code(error: dict | None) -> str | None:
    return error["extensions"]["code"] if error else None


async def registered_email(server: Server) -> str:
    email = f"throttle-{uuid.uuid4().hex[:10]}@example.com"
    assert await post(server, REGISTER, email, PASSWORD, source=new_address()) is None
    return email


async def test_guessing_from_five_addresses_does_not_lock_the_owner_out(servers):
    email = await registered_email(servers[0])
    guessers = [new_address() for _ in range(5)]
    for guesser in guessers:  # 50 failures, alternating between the two processes
        for attempt in range(10):
            error = await post(servers[attempt % 2], LOGIN, email, WRONG, source=guesser)
            assert code(error) == "UNAUTHENTICATED", error
    # Each guesser's count is shared by both processes: the 11th attempt waits on either.
    for server in servers:
        assert code(await post(server, LOGIN, email, PASSWORD, source=guessers[0])) == (
            "RATE_LIMITED"
        )
    # The owner, from an address of their own, signs in at once.
    assert await post(servers[1], LOGIN, email, PASSWORD, source=new_address()) is None


async def test_a_forwarded_for_header_from_an_untrusted_client_is_ignored(servers):
    email = await registered_email(servers[0])
    source = new_address()
    for attempt in range(10):
        spoofed = {"X-Forwarded-For": f"198.51.100.{attempt}"}
        error = await post(
            servers[attempt % 2], LOGIN, email, WRONG, source=source, headers=spoofed
        )
        assert code(error) == "UNAUTHENTICATED"
    fresh_claim = {"X-Forwarded-For": "198.51.100.99"}
    error = await post(servers[0], LOGIN, email, PASSWORD, source=source, headers=fresh_claim)
    assert code(error) == "RATE_LIMITED"


async def test_registrations_are_throttled_per_address_across_processes(servers):
    source = new_address()
    for number in range(3):
        email = f"burst-{uuid.uuid4().hex[:10]}@example.com"
        assert await post(servers[number % 2], REGISTER, email, PASSWORD, source=source) is None
    for server in servers:
        email = f"burst-{uuid.uuid4().hex[:10]}@example.com"
        refused = await post(server, REGISTER, email, PASSWORD, source=source)
        assert code(refused) == "RATE_LIMITED"
        assert refused["extensions"]["retryAfterSeconds"] > 0
    email = f"burst-{uuid.uuid4().hex[:10]}@example.com"
    assert await post(servers[1], REGISTER, email, PASSWORD, source=new_address()) is None


@pytest.fixture(scope="module")
def behind_a_proxy(tmp_path_factory, request) -> Iterator[Server]:
    """A server that believes X-Forwarded-For from 127.0.0.1 only."""
    workdir = tmp_path_factory.mktemp("throttle-proxy")
    env = {**SLOW_BACKOFF, "STUDYGRAPH_TRUSTED_PROXIES": "127.0.0.1"}
    with (
        migrated_database("sqlite", request, workdir) as url,
        running_server(url, workdir, **env) as server,
    ):
        yield server


async def test_a_configured_proxy_names_the_client(behind_a_proxy):
    server = behind_a_proxy
    email = f"proxied-{uuid.uuid4().hex[:10]}@example.com"
    assert await post(server, REGISTER, email, PASSWORD, source="127.0.0.1") is None
    client = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(10):
        error = await post(server, LOGIN, email, WRONG, source="127.0.0.1", headers=client)
        assert code(error) == "UNAUTHENTICATED"
    # The proxy's own address is not the one counted: another client behind it is free.
    refused = await post(server, LOGIN, email, PASSWORD, source="127.0.0.1", headers=client)
    assert code(refused) == "RATE_LIMITED"
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert await post(server, LOGIN, email, PASSWORD, source="127.0.0.1", headers=other) is None
