"""The HTTP surface through httpx.ASGITransport: auth header, health, CORS, GET rules."""

import json

import pytest

from db.accounts.tokens import TokenPolicy, issue_access_token
from tests.factories import PASSWORD, graphql, unique_email

REGISTER = """
mutation($email: String!, $password: String!) {
  register(input: {email: $email, password: $password}) { accessToken refreshToken }
}"""


async def sign_up(http) -> dict:
    body = await graphql(http, REGISTER, {"email": unique_email(), "password": PASSWORD})
    return body["data"]["register"]


async def test_bearer_token_authenticates_and_bad_tokens_are_unauthenticated(client):
    tokens = await sign_up(client)
    me = await graphql(client, "{ me { email } }", token=tokens["accessToken"])
    assert me["data"]["me"]["email"].endswith("@example.com")
    for header in ("Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "):
        response = await client.post(
            "/graphql", json={"query": "{ me { email } }"}, headers={"authorization": header}
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", header


async def test_a_bad_token_does_not_block_public_fields(client):
    body = await graphql(client, "{ serverInfo { database broadcast } }", token="garbage")
    assert body["data"]["serverInfo"]["broadcast"] == "memory"
    assert body["data"]["serverInfo"]["database"] in ("sqlite", "postgresql")


async def test_token_signed_with_another_secret_is_refused(client):
    forged, _ = issue_access_token(TokenPolicy(secret="x" * 40), user_id=1)
    body = await graphql(client, "{ me { id } }", token=forged)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "broadcast": "ok"}


async def test_readiness_fails_when_the_broadcast_is_down(client):
    await client._transport.app.state.bus.disconnect()
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["broadcast"] == "unavailable"


async def test_queries_over_get_but_never_mutations(client):
    tokens = await sign_up(client)
    headers = {"authorization": f"Bearer {tokens['accessToken']}"}
    read = await client.get("/graphql", params={"query": "{ me { email } }"}, headers=headers)
    assert read.status_code == 200 and read.json()["data"]["me"]["email"]
    write = await client.get(
        "/graphql",
        params={"query": 'mutation { createTopic(input: {title: "x"}) { id } }'},
        headers=headers,
    )
    # Strawberry refuses it (a link or an <img> must never change state)...
    assert write.status_code == 400
    # ...and nothing was written.
    topics = await graphql(client, "{ topics { totalCount } }", token=tokens["accessToken"])
    assert topics["data"]["topics"]["totalCount"] == 0


async def test_graphiql_is_served_in_development(client):
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


@pytest.fixture
def production_settings(settings):
    return settings.model_copy(update={"env": "production", "allowed_origins": []})


async def test_production_has_no_graphiql(production_settings):
    import httpx

    from api.app import create_app

    app = create_app(production_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            page = await http.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()


async def test_cors_allows_only_configured_origins(settings):
    import httpx

    from api.app import create_app

    app = create_app(settings.model_copy(update={"allowed_origins": ["https://app.example"]}))
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            allowed = await http.options(
                "/graphql", headers={"origin": "https://app.example", **preflight}
            )
            denied = await http.options(
                "/graphql", headers={"origin": "https://evil.example", **preflight}
            )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in denied.headers


async def test_oversized_bodies_are_refused_before_they_are_read(settings):
    import httpx

    from api.app import create_app

    app = create_app(settings.model_copy(update={"max_request_bytes": 4096}))
    query = {"query": "{ serverInfo { version } }"}
    padding = {**query, "variables": {"pad": "x" * 8000}}

    async def chunked():
        # No content-length: the limit must hold while the body streams in.
        for _ in range(10):
            yield b" " * 1000

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            small = await http.post("/graphql", json=query)
            declared = await http.post("/graphql", json=padding)
            streamed = await http.post(
                "/graphql", content=chunked(), headers={"content-type": "application/json"}
            )
            # Strawberry parses any Content-Type containing "application/json" as JSON,
            # so a multipart-looking type must not slip past the cap.
            disguised = await http.post(
                "/graphql",
                content=json.dumps(padding),
                headers={"content-type": "multipart/application/json"},
            )
    assert small.status_code == 200 and small.json()["data"]["serverInfo"]["version"]
    for response in (declared, streamed, disguised):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
