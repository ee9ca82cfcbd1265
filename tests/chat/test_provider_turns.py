"""Turns on an OpenAI-compatible provider over real HTTP: the stored row in every case.

The fake server (tests/fakes/openai_server.py) streams SSE like the real API and fails
on cue; the assertions are on the message row a client reads afterwards.
"""

import asyncio
import dataclasses

import pytest

from schema.relay import to_global_id
from tests.chat.helpers import collect, learner_with_session, send, wait_for_status
from tests.fakes.openai_server import drop, stall, status, text, tool_call
from tutor.providers import ModelCatalog, ProviderSettings

MODEL = "fake:gpt-test"
FULL = "A loop repeats its body for each item."


@pytest.fixture
def provider(harness, fake_openai):
    """The harness's tutor on the fake provider, with quick retries.

    Call limits are generous (a busy machine's stall must not retry a scripted step);
    the stall test shortens them itself."""
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=5.0,
    )
    harness.models = catalog
    harness.generations.catalog = catalog
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings,
        retry_backoff_seconds=0.05,
        model_call_timeout_seconds=5.0,
    )
    return fake_openai


async def _ask(harness, content="What is a loop?"):
    user_id, study_session = await learner_with_session(harness, model=MODEL)
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), content)
    answer_id = sent["assistantMessage"]["id"]
    final = await wait_for_status(harness, user_id, answer_id, {"COMPLETE", "FAILED"})
    row = await harness.data(
        """query($id: ID!) { message(id: $id) {
             status content errorCode model usage { inputTokens outputTokens }
             toolCalls { name status output } } }""",
        {"id": answer_id},
        user_id=user_id,
    )
    assert row["message"]["status"] == final["status"]
    return user_id, answer_id, row["message"]


async def test_a_streamed_answer_is_stored_with_its_usage(harness, provider):
    provider.script([text(FULL)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["content"], message["errorCode"]) == ("COMPLETE", FULL, None)
    assert message["model"] == MODEL
    assert message["usage"]["outputTokens"] > 0  # include_usage was asked for and honoured
    assert provider.completions[0]["json"]["stream_options"] == {"include_usage": True}


async def test_a_tool_round_trip_runs_the_real_tool(harness, provider):
    provider.script([tool_call("get_topic_overview", {}), text("You have no cards yet.")])
    _, _, message = await _ask(harness)
    assert message["status"] == "COMPLETE"
    assert message["content"] == "You have no cards yet."
    [call] = message["toolCalls"]
    assert (call["name"], call["status"]) == ("get_topic_overview", "DONE")
    assert call["output"]
    # The model's second request carried the tool's real output back to it.
    second = provider.completions[1]["json"]["messages"]
    assert any(item.get("role") == "tool" for item in second)


@pytest.mark.parametrize(
    ("failure", "code", "retryable", "attempts"),
    [
        (status(401), "PROVIDER_AUTH", False, 1),
        (status(429), "RATE_LIMITED", True, 3),
        (status(500), "PROVIDER_UNAVAILABLE", True, 3),
    ],
)
async def test_failures_before_the_first_token(
    harness, provider, failure, code, retryable, attempts
):
    provider.script([failure, failure, failure])
    user_id, answer_id, message = await _ask(harness)
    assert (message["status"], message["errorCode"], message["content"]) == ("FAILED", code, "")
    # Retried only when a retry may help, and then only before the first token.
    assert len(provider.completions) == attempts
    [failed] = await collect(harness, user_id, answer_id)
    assert (failed["__typename"], failed["code"], failed["retryable"]) == (
        "MessageFailed",
        code,
        retryable,
    )


async def test_a_failure_before_the_first_token_is_retried_into_an_answer(harness, provider):
    provider.script([status(500), text(FULL)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["content"]) == ("COMPLETE", FULL)
    assert len(provider.completions) == 2


async def test_a_connection_drop_after_some_tokens_keeps_them(harness, provider):
    provider.script([drop(FULL, after_words=3), text("never asked for")])
    _, _, message = await _ask(harness)
    assert message["status"] == "FAILED"
    assert message["errorCode"] == "PROVIDER_UNAVAILABLE"
    assert message["content"] == "A loop repeats "
    assert len(provider.completions) == 1  # never retried after tokens went out


async def test_a_stall_past_the_timeout_fails_with_the_partial_text(harness, provider):
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, model_call_timeout_seconds=1.0
    )
    provider.script([stall(30, content=FULL, after_words=2)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["errorCode"]) == ("FAILED", "TIMEOUT")
    assert message["content"] == "A loop "


async def test_a_stop_during_the_retry_back_off_makes_no_new_call(harness, provider):
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, retry_backoff_seconds=1.0
    )
    provider.script([status(500), text(FULL)])
    user_id, study_session = await learner_with_session(harness, model=MODEL)
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), "Loops?")
    answer_id = sent["assistantMessage"]["id"]
    async with asyncio.timeout(10):
        while not provider.completions:  # noqa: ASYNC110 - waiting on the fake's log
            await asyncio.sleep(0.02)
    stopped = await harness.data(
        "mutation($id: ID!) { stopGeneration(messageId: $id) { status content } }",
        {"id": answer_id},
        user_id=user_id,
    )
    assert stopped["stopGeneration"] == {"status": "CANCELLED", "content": ""}
    await asyncio.sleep(1.5)  # past the back-off
    assert len(provider.completions) == 1
