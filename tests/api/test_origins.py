"""Development CORS that just works; production allows only STUDYGRAPH_ALLOWED_ORIGINS."""

import logging

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.origins import OriginPolicy

PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type",
}
DEV_SERVERS = [
    "http://localhost:5173",  # Vite
    "http://127.0.0.1:3000",  # Next.js, CRA
    "http://[::1]:8080",
    "https://localhost:5173",
    "http://localhost",
]
LOOK_ALIKES = [
    "http://localhost.evil.example:5173",
    "http://127.0.0.1.nip.io:5173",
    "http://evil.example/http://localhost:5173",
    "https://evil-localhost:5173",
    "null",
]


async def preflight(settings, origin: str) -> httpx.Response:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
        return await http.options("/graphql", headers={"origin": origin, **PREFLIGHT})


@pytest.fixture
def production(settings):
    return settings.model_copy(update={"env": "production", "allowed_origins": []})


@pytest.mark.parametrize("origin", DEV_SERVERS)
def test_development_allows_pages_on_this_machine(origin):
    assert OriginPolicy.for_settings([], production=False).allows(origin)
    assert not OriginPolicy.for_settings([], production=True).allows(origin)


@pytest.mark.parametrize("origin", LOOK_ALIKES)
def test_look_alikes_of_localhost_are_refused_even_in_development(origin):
    assert not OriginPolicy.for_settings([], production=False).allows(origin)


async def test_preflight_from_a_vite_dev_server_is_allowed_in_development(settings):
    response = await preflight(settings, "http://localhost:5173")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_the_same_preflight_is_refused_in_production_and_the_log_names_our_setting(
    production, caplog
):
    with caplog.at_level(logging.WARNING, logger="studygraph.origins"):
        response = await preflight(production, "http://localhost:5173")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "STUDYGRAPH_ALLOWED_ORIGINS" in caplog.text
    assert "http://localhost:5173" in caplog.text


async def test_production_allows_the_configured_origins(production):
    configured = production.model_copy(update={"allowed_origins": ["https://app.example"]})
    allowed = await preflight(configured, "https://app.example")
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = await preflight(configured, "https://other.example")
    assert refused.status_code == 400


def websocket_close_code(settings, origin: str) -> int:
    """How the server ends a tokenless graphql-transport-ws handshake from `origin`:
    4403 once it has accepted the socket (the origin passed, the token is missing), 1008
    when it turned the handshake itself down."""
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        try:
            with client.websocket_connect(
                "/graphql", subprotocols=["graphql-transport-ws"], headers={"origin": origin}
            ) as socket:
                socket.send_json({"type": "connection_init", "payload": {}})
                socket.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code
    raise AssertionError("the server kept a tokenless socket open")


def test_websockets_from_a_dev_server_are_allowed_in_development_only(settings, production, caplog):
    assert websocket_close_code(settings, "http://localhost:5173") == 4403
    with caplog.at_level(logging.WARNING):
        assert websocket_close_code(production, "http://localhost:5173") == 1008
    assert "STUDYGRAPH_ALLOWED_ORIGINS" in caplog.text
    assert "`allowed_origins`" not in caplog.text, "Strawberry's hint names its argument"


async def test_a_browser_client_may_send_and_read_the_request_id(settings):
    response = await preflight(settings, "http://localhost:5173")
    assert "x-request-id" in response.headers["access-control-allow-headers"].lower()
    with TestClient(create_app(settings)) as client:
        answered = client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"origin": "http://localhost:5173"},
        )
    assert answered.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert answered.headers["access-control-expose-headers"].lower() == "x-request-id"
    assert answered.headers["x-request-id"]
