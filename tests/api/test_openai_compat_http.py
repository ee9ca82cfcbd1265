"""/v1 through the real ASGI app (offline tutor), on both databases: limits, errors and
where a turn is stored."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from api.app import create_app
from db.engine import create_engine
from db.models import StudySession
from tests.factories import PASSWORD, graphql, unique_email

REGISTER = """
mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }"""
USAGE = "{ me { usage { inputTokens outputTokens } } }"
SESSIONS = "{ me { id } studySessions(first: 10) { edges { node { id title mode } } } }"
SESSION_MESSAGES = """
query($id: ID!) { node(id: $id) { ... on StudySession {
  messages(last: 10) { edges { node { role status content } } } } } }"""


async def _learner(http) -> tuple[str, str]:
    variables = {"input": {"email": unique_email(), "password": PASSWORD}}
    token = (await graphql(http, REGISTER, variables))["data"]["register"]["accessToken"]
    created = await graphql(http, CREATE_KEY, {"input": {"name": "editor"}}, token=token)
    return token, created["data"]["createApiKey"]["secret"]


def _ask(question: str = "What is a list?", **extra) -> dict:
    return {"model": "studygraph", "messages": [{"role": "user", "content": question}], **extra}


async def test_too_many_messages_is_400(client, settings) -> None:
    _, key = await _learner(client)
    many = [{"role": "user", "content": "hi"}] * (settings.openai_max_messages + 1)
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "studygraph", "messages": many},
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"


async def test_oversized_body_is_refused_before_it_is_read(client, settings) -> None:
    _, key = await _learner(client)
    huge = "x" * (settings.max_request_bytes + 1)
    response = await client.post(
        "/v1/chat/completions", json=_ask(huge), headers={"authorization": f"Bearer {key}"}
    )
    assert response.status_code == 413


async def test_missing_key_is_401_in_openai_shape(client) -> None:
    response = await client.get("/v1/models")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


@pytest.mark.parametrize("model", ["gpt-4o", "studygraph/no-such-topic"])
async def test_unknown_model_is_404(client, model) -> None:
    _, key = await _learner(client)
    response = await client.post(
        "/v1/chat/completions",
        json={**_ask(), "model": model},
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


async def test_without_a_session_header_turns_go_to_the_keys_own_session(client) -> None:
    token, key = await _learner(client)
    headers = {"authorization": f"Bearer {key}"}
    for question in ("What is a list?", "And a tuple?"):
        response = await client.post("/v1/chat/completions", json=_ask(question), headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"]
    sessions = (await graphql(client, SESSIONS, token=token))["data"]["studySessions"]["edges"]
    prefix = key[:10]
    assert [edge["node"]["title"] for edge in sessions] == [f"API: editor ({prefix}) · studygraph"]
    stored = await graphql(client, SESSION_MESSAGES, {"id": sessions[0]["node"]["id"]}, token=token)
    edges = stored["data"]["node"]["messages"]["edges"]
    assert [e["node"]["content"] for e in edges if e["node"]["role"] == "USER"] == [
        "What is a list?",
        "And a tuple?",
    ]


async def test_another_learners_session_cannot_be_named(client) -> None:
    owner_token, _ = await _learner(client)
    _, other_key = await _learner(client)
    started = await graphql(
        client,
        "mutation { startStudySession(input: {}) { id } }",
        token=owner_token,
    )
    session_id = started["data"]["startStudySession"]["id"]
    response = await client.post(
        "/v1/chat/completions",
        json=_ask(),
        headers={"authorization": f"Bearer {other_key}", "x-studygraph-session": session_id},
    )
    assert response.status_code == 404
    messages = await graphql(client, SESSION_MESSAGES, {"id": session_id}, token=owner_token)
    assert messages["data"]["node"]["messages"]["edges"] == []


async def test_a_spent_daily_budget_is_429_with_retry_after(settings) -> None:
    spent_settings = settings.model_copy(update={"daily_token_budget": 1})
    app = create_app(spent_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            token, key = await _learner(http)
            headers = {"authorization": f"Bearer {key}"}
            first = await http.post("/v1/chat/completions", json=_ask(), headers=headers)
            second = await http.post("/v1/chat/completions", json=_ask(), headers=headers)
            usage = await graphql(http, USAGE, token=token)
    assert first.status_code == 200, first.text
    spent = usage["data"]["me"]["usage"]
    assert spent["inputTokens"] + spent["outputTokens"] == first.json()["usage"]["total_tokens"]
    assert second.status_code == 429
    # The budget renews at the learner's midnight (UTC here): not worth retrying sooner.
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    wait = int(second.headers["retry-after"])
    off = abs(wait - (midnight - now).total_seconds()) % 86400  # a run across midnight
    assert min(off, 86400 - off) < 120
    assert second.json()["error"]["code"] == "rate_limit_exceeded"


async def test_a_key_session_that_went_idle_is_replaced_not_refused(client, database_url) -> None:
    """The key's own session follows the idle rule: once idle it has ended (even before a
    sweeper writes it down), so the next request starts a new session instead of 409."""
    token, key = await _learner(client)
    headers = {"authorization": f"Bearer {key}"}
    first = await client.post("/v1/chat/completions", json=_ask(), headers=headers)
    assert first.status_code == 200, first.text
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            past = datetime.now(UTC) - timedelta(minutes=1)
            await connection.execute(
                update(StudySession)
                .where(col(StudySession.ended_at).is_(None))
                .values(
                    idle_deadline=past,
                    last_activity_at=past,
                )
            )
    finally:
        await engine.dispose()
    again = await client.post("/v1/chat/completions", json=_ask("And a tuple?"), headers=headers)
    assert again.status_code == 200, again.text
    sessions = (await graphql(client, SESSIONS, token=token))["data"]["studySessions"]["edges"]
    assert len(sessions) == 2
