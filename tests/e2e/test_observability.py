"""/metrics and JSON logs of real `studygraph serve` processes over real sockets.

A development server per database (JSON logs on) runs chat turns with the offline tutor
and with the fake OpenAI-compatible provider, uploads, errors and subscriptions, and its
/metrics must count them; production access and several workers are in test_metrics_serving.py.
"""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from gql import GraphQLRequest

from tests.chat.helpers import MESSAGE_EVENTS, SEND
from tests.e2e.observing import log_lines_until, scrape
from tests.e2e.servers import (
    Server,
    create_topic,
    execute,
    migrated_database,
    register,
    running_server,
    websocket_client,
)
from tests.fakes.openai_server import FakeOpenAI, start_fake_openai, status, stop_fake_openai, text
from tests.metrics_text import value

START_SESSION = """
mutation Start($input: StartStudySessionInput!) { startStudySession(input: $input) { id } }"""
SESSION_EVENTS = "subscription Watch($id: ID!) { sessionEvents(sessionId: $id) { __typename } }"
TERMINAL = {"MessageCompleted", "MessageCancelled", "MessageFailed"}
EVENTS_TIMEOUT = 30


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    fake, server, thread = start_fake_openai()
    try:
        yield fake
    finally:
        stop_fake_openai(fake, server, thread)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory, fake_llm) -> Iterator[Server]:
    """A development server with JSON logs and the fake provider, per database."""
    workdir = tmp_path_factory.mktemp(f"observe-{request.param}")
    env = {
        "STUDYGRAPH_LOG_FORMAT": "json",
        "STUDYGRAPH_FAKE_BASE_URL": fake_llm.base_url,
        "STUDYGRAPH_FAKE_API_KEY": "test",
    }
    with (
        migrated_database(request.param, request, workdir) as url,
        running_server(url, workdir, **env) as running,
    ):
        yield running


async def signed_in_session(server: Server, model: str | None = None) -> tuple[str, str]:
    """An access token and a study session of a new learner."""
    token = (await register(server))["accessToken"]
    topic = await create_topic(server, token)
    fields = {"topicId": topic["id"], **({"model": model} if model else {})}
    data = await execute(server, START_SESSION, {"input": fields}, token=token)
    return token, data["startStudySession"]["id"]


async def ask_and_follow(server: Server, token: str, session_id: str) -> list[dict]:
    """sendMessage, then messageEvents over a websocket until the answer ends."""
    variables = {"input": {"sessionId": session_id, "content": "What does break do?"}}
    sent = await execute(server, SEND, variables, token=token)
    answer_id = sent["sendMessage"]["assistantMessage"]["id"]
    events = []
    async with websocket_client(server, {"authorization": f"Bearer {token}"}) as session:
        request = GraphQLRequest(MESSAGE_EVENTS, variable_values={"id": answer_id, "after": 0})
        async with (
            asyncio.timeout(EVENTS_TIMEOUT),
            contextlib.aclosing(session.subscribe(request)) as stream,
        ):
            async for data in stream:
                events.append(data["messageEvents"])
    assert events[-1]["__typename"] in TERMINAL
    return events


def wait_for_value(server: Server, name: str, expected: float, **labels: str) -> str:
    """Scrapes until the metric reads `expected` (gauges settle after a socket closes)."""
    deadline = time.monotonic() + 10
    while True:
        metrics = scrape(server).text
        if value(metrics, name, **labels) == expected or time.monotonic() > deadline:
            assert value(metrics, name, **labels) == expected, name
            return metrics
        time.sleep(0.1)


# --- a development server ---------------------------------------------------------------


async def test_metrics_count_a_chat_turn_with_the_offline_tutor(server):
    token, session_id = await signed_in_session(server)
    before = scrape(server).text
    events = await ask_and_follow(server, token, session_id)
    assert events[-1]["__typename"] == "MessageCompleted"
    after = wait_for_value(server, "studygraph_running_answers", 0)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    tutor = {"provider": "local", "model": "tutor"}
    assert grew("studygraph_answers_total", status="COMPLETE", **tutor) == 1
    assert grew("studygraph_answer_first_token_seconds_count", **tutor) == 1
    assert grew("studygraph_model_tokens_total", direction="output", **tutor) > 0
    sends = {"operation": "Send", "type": "mutation", "outcome": "ok"}
    assert grew("studygraph_graphql_requests_total", **sends) == 1
    assert grew("studygraph_graphql_request_duration_seconds_count", operation="Send") == 1
    assert grew("studygraph_graphql_requests_total", operation="Events", type="subscription") == 1
    assert value(after, "studygraph_database_connections_in_use") == 0


async def test_metrics_count_provider_tokens_and_failures_by_model(server, fake_llm):
    token, session_id = await signed_in_session(server, model="fake:gpt-test")
    before = scrape(server).text
    # One failed call, retried before the first token, then an answer of four words.
    fake_llm.script([status(503), text("Break ends the loop.")])
    events = await ask_and_follow(server, token, session_id)
    assert events[-1]["__typename"] == "MessageCompleted"
    after = wait_for_value(server, "studygraph_running_answers", 0)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    fake = {"provider": "fake", "model": "gpt-test"}
    failures = grew("studygraph_provider_failures_total", provider="fake")
    assert failures == grew(
        "studygraph_provider_failures_total", provider="fake", code="PROVIDER_UNAVAILABLE"
    )
    assert failures == 1
    assert grew("studygraph_answers_total", status="COMPLETE", **fake) == 1
    assert grew("studygraph_model_tokens_total", direction="output", **fake) == 4
    assert grew("studygraph_model_tokens_total", direction="input", **fake) > 0
    assert grew("studygraph_answer_first_token_seconds_count", **fake) == 1


async def test_metrics_count_graphql_errors_by_code(server):
    before = scrape(server).text
    await execute_error_quietly(server, "query Mine { me { id } }")
    await execute_error_quietly(server, "query Mine { me { id } }")
    await execute_error_quietly(server, "{ nextUpTopics(limit: 0) { reason } }", token=True)
    after = scrape(server).text
    name = "studygraph_graphql_errors_total"
    assert (
        value(after, name, code="UNAUTHENTICATED") - value(before, name, code="UNAUTHENTICATED")
        == 2
    )
    assert (
        value(after, name, code="BAD_USER_INPUT") - value(before, name, code="BAD_USER_INPUT") == 1
    )
    mine = {"operation": "Mine", "outcome": "error"}
    requests = "studygraph_graphql_requests_total"
    assert value(after, requests, **mine) - value(before, requests, **mine) == 2


async def execute_error_quietly(server: Server, query: str, *, token: bool = False) -> dict:
    headers = {}
    if token:
        headers["authorization"] = "Bearer " + (await register(server))["accessToken"]
    async with httpx.AsyncClient(timeout=10) as http:
        body = (await http.post(server.graphql_url, json={"query": query}, headers=headers)).json()
    assert body["errors"], body
    return body


async def test_metrics_gauge_open_websockets_and_subscriptions(server):
    token, session_id = await signed_in_session(server)
    baseline = scrape(server).text
    sockets = value(baseline, "studygraph_open_websockets")
    subscriptions = value(baseline, "studygraph_open_subscriptions")
    async with websocket_client(server, {"authorization": f"Bearer {token}"}) as session:
        request = GraphQLRequest(SESSION_EVENTS, variable_values={"id": session_id})
        stream = session.subscribe(request)
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.to_thread(
            wait_for_value, server, "studygraph_open_subscriptions", subscriptions + 1
        )
        assert value(scrape(server).text, "studygraph_open_websockets") == sockets + 1
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await waiting
        await stream.aclose()
    await asyncio.to_thread(wait_for_value, server, "studygraph_open_subscriptions", subscriptions)
    await asyncio.to_thread(wait_for_value, server, "studygraph_open_websockets", sockets)


async def test_metrics_time_upload_processing(server):
    token = (await register(server))["accessToken"]
    topic = await create_topic(server, token)
    before = scrape(server).text
    operations = {
        "query": "mutation Up($t: ID!, $f: Upload!) { uploadStudyMaterial(topicId: $t, file: $f) "
        "{ id status } }",
        "variables": {"t": topic["id"], "f": None},
    }
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            server.graphql_url,
            headers={"authorization": f"Bearer {token}", "graphql-preflight": "1"},
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
            files={"0": ("notes.txt", b"A loop repeats. Break ends it.\n", "text/plain")},
        )
    assert response.json()["data"]["uploadStudyMaterial"]["status"] in ("READY", "PROCESSING")
    deadline = time.monotonic() + 20
    while True:
        after = scrape(server).text
        grown = value(after, "studygraph_upload_processing_seconds_count", outcome="ok") - value(
            before, "studygraph_upload_processing_seconds_count", outcome="ok"
        )
        if grown or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert grown == 1


async def test_json_logs_carry_the_request_id_that_errors_report(server):
    incoming = f"trace-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": "query Mine { me { id } }"},
            headers={"x-request-id": incoming},
        )
        unnamed = await http.post(server.graphql_url, json={"query": "{ me { id } }"})
    assert response.headers["x-request-id"] == incoming
    assert response.json()["errors"][0]["extensions"]["requestId"] == incoming
    issued = unnamed.json()["errors"][0]["extensions"]["requestId"]
    assert issued == unnamed.headers["x-request-id"] != incoming

    lines = await log_lines_until(server, lambda line: line.get("request_id") == issued)
    assert all(isinstance(line, dict) and line.get("message") for line in lines)
    mine = [line for line in lines if line.get("request_id") == incoming]
    assert any("POST /graphql" in line["message"] for line in mine), mine
    assert all(line["level"] and line["time"] and line["logger"] for line in mine)
