"""`models` and model choice over HTTP, with a real provider listing behind them."""

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.factories import graphql
from tests.harness import TEST_JWT_SECRET

MODELS = "{ models { id provider name contextLength isDefault } }"
START = """mutation($model: String) {
  startStudySession(input: {model: $model}) { model }
}"""


@pytest.fixture
async def http(database_url, tmp_path, fake_openai):
    settings = Settings(
        database_url=database_url,
        jwt_secret=TEST_JWT_SECRET,
        jwt_secret_file=tmp_path / "unused",
        model="local:tutor",
        providers={"fake": {"base_url": fake_openai.base_url, "api_key": "test"}},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = await graphql(
                client,
                'mutation { register(input: {email: "m@example.com", '
                'password: "correct horse battery"}) { accessToken } }',
            )
            client.token = body["data"]["register"]["accessToken"]
            yield client


async def test_models_lists_local_and_provider_models_cached(http, fake_openai):
    body = await graphql(http, MODELS, token=http.token)
    assert "errors" not in body, body
    models = {model["id"]: model for model in body["data"]["models"]}
    assert models["local:tutor"] == {
        "id": "local:tutor",
        "provider": "local",
        "name": "Offline study tutor (extractive, no LLM)",
        "contextLength": None,
        "isDefault": True,
    }
    assert models["fake:gpt-test"]["contextLength"] == 8192
    assert models["fake:vendor/model:free"]["isDefault"] is False
    again = await graphql(http, MODELS, token=http.token)
    assert again["data"] == body["data"]
    # The second query was served from the one-hour cache.
    assert [r["path"] for r in fake_openai.requests] == ["/v1/models"]


async def test_models_needs_sign_in(http):
    body = await graphql(http, MODELS)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sessions_take_only_models_the_server_can_run(http):
    ok = await graphql(http, START, {"model": "fake:vendor/model:free"}, token=http.token)
    assert ok["data"]["startStudySession"]["model"] == "fake:vendor/model:free"
    default = await graphql(http, START, {"model": None}, token=http.token)
    assert default["data"]["startStudySession"]["model"] == "local:tutor"
    for bad in ("openai:gpt-4o", "local:gpt", "no-colon"):
        refused = await graphql(http, START, {"model": bad}, token=http.token)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
