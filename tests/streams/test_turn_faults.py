"""How a turn on an OpenAI-compatible provider ends when things go wrong: one deadline
for the whole turn, no cut of a slow but steady answer, provider errors mid-stream,
tools that raise, fallback models, and answers past the size limit."""

import dataclasses

import pytest

from schema.relay import to_global_id
from tests.chat.helpers import collect, learner_with_session, send, wait_for_status
from tests.fakes.openai_server import drop, sse_error, stall, status, text, tool_call
from tutor.providers import ModelCatalog, ProviderSettings

MODEL = "fake:gpt-test"
FULL = "A loop repeats its body for each item."


@pytest.fixture
def provider(harness, fake_openai):
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=5.0,
    )
    harness.models = catalog
    harness.generations.catalog = catalog
    _settings(harness, retry_backoff_seconds=0.05, model_call_timeout_seconds=5.0)
    return fake_openai


def _settings(harness, **changes) -> None:
    harness.generations.settings = dataclasses.replace(harness.generations.settings, **changes)


async def _ask(harness, content="What is a loop?"):
    user_id, study_session = await learner_with_session(harness, model=MODEL)
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), content)
    answer_id = sent["assistantMessage"]["id"]
    await wait_for_status(harness, user_id, answer_id, {"COMPLETE", "FAILED"})
    row = await harness.data(
        """query($id: ID!) { message(id: $id) {
             status content errorCode model toolCalls { name status output } } }""",
        {"id": answer_id},
        user_id=user_id,
    )
    return user_id, answer_id, row["message"]


async def test_the_turn_timeout_bounds_all_attempts_together(harness, provider):
    # Each attempt alone could wait 30 s for a first token; the turn may take 1 s in all.
    _settings(harness, turn_timeout_seconds=1.0, model_call_timeout_seconds=30.0)
    provider.script([stall(30), stall(30), stall(30)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["errorCode"]) == ("FAILED", "TIMEOUT")
    assert len(provider.completions) == 1  # no retry starts past the turn's deadline


async def test_a_slow_but_steady_answer_is_not_cut(harness, provider):
    # 5 s of words a quarter of a second apart: the whole answer takes 2.5 times the
    # 2 s limit, while each wait is an eighth of it (room for a busy machine).
    _settings(harness, model_call_timeout_seconds=2.0)
    slow = " ".join(["word"] * 20)
    provider.script([text(slow, delay=0.25)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["content"]) == ("COMPLETE", slow)


async def test_a_silence_between_chunks_ends_on_the_idle_timeout(harness, provider):
    _settings(harness, model_call_timeout_seconds=30.0, stream_idle_timeout_seconds=0.5)
    provider.script([stall(30, content=FULL, after_words=2)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["errorCode"]) == ("FAILED", "TIMEOUT")
    assert message["content"] == "A loop "


async def test_an_error_event_after_tokens_is_the_provider_failing(harness, provider):
    provider.script([sse_error(FULL, after_words=3), text("never asked for")])
    user_id, answer_id, message = await _ask(harness)
    assert (message["status"], message["errorCode"]) == ("FAILED", "PROVIDER_UNAVAILABLE")
    assert message["content"] == "A loop repeats "
    assert len(provider.completions) == 1  # tokens went out: never retried
    # Its words may have been merged into fewer events: the terminal one comes last.
    failed = (await collect(harness, user_id, answer_id, after=0))[-1]
    assert failed["__typename"] == "MessageFailed"
    assert (failed["code"], failed["retryable"]) == ("PROVIDER_UNAVAILABLE", True)


async def test_a_tool_that_raises_is_a_failed_step_the_model_and_learner_see(
    harness, provider, monkeypatch
):
    async def broken_search(*args, **kwargs):
        raise RuntimeError("index corrupted at /var/lib/secret-path")

    monkeypatch.setattr("tutor.tools.search.search_passages", broken_search)
    provider.script([tool_call("search_material", {"query": "loops"}), text("Loops repeat.")])
    _, _, message = await _ask(harness)
    assert message["status"] == "COMPLETE"
    [call] = message["toolCalls"]
    assert (call["name"], call["status"]) == ("search_material", "FAILED")
    assert "failed" in call["output"] and "secret-path" not in call["output"]
    # The model was told the step failed (not handed a result).
    [tool_message] = [
        item for item in provider.completions[1]["json"]["messages"] if item["role"] == "tool"
    ]
    assert "search_material step failed" in tool_message["content"]
    # And the answer says so, whatever the model wrote.
    assert message["content"].startswith("Loops repeat.")
    assert "a step of this answer failed (search_material)" in message["content"]


async def test_a_fallback_model_answers_when_the_chosen_one_fails_first(harness, provider):
    _settings(harness, retry_attempts=1, model_fallbacks=("fake:backup",))
    provider.script([status(500), status(500), text(FULL)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["content"]) == ("COMPLETE", FULL)
    assert message["model"] == "fake:backup"  # the answer records who answered
    assert [c["json"]["model"] for c in provider.completions] == [
        "gpt-test",
        "gpt-test",
        "backup",
    ]


async def test_no_fallback_once_tokens_went_out(harness, provider):
    _settings(harness, model_fallbacks=("fake:backup",))
    provider.script([drop(FULL, after_words=3), text("never asked for")])
    _, _, message = await _ask(harness)
    assert (message["status"], message["model"]) == ("FAILED", MODEL)
    assert len(provider.completions) == 1


async def test_when_every_model_fails_the_answer_keeps_the_chosen_one(harness, provider):
    _settings(harness, retry_attempts=0, model_fallbacks=("fake:backup",))
    provider.script([status(500), status(401)])
    _, _, message = await _ask(harness)
    assert (message["status"], message["errorCode"], message["model"]) == (
        "FAILED",
        "PROVIDER_AUTH",
        MODEL,
    )
    assert [c["json"]["model"] for c in provider.completions] == ["gpt-test", "backup"]


async def test_an_answer_past_the_size_limit_ends_with_its_text_kept(harness, provider):
    _settings(harness, max_answer_bytes=20)
    provider.script([text(FULL)])
    user_id, answer_id, message = await _ask(harness)
    assert (message["status"], message["errorCode"]) == ("FAILED", "ANSWER_TOO_LONG")
    assert message["content"] == FULL.encode()[:20].decode()
    events = await collect(harness, user_id, answer_id)
    assert (events[-1]["code"], events[-1]["retryable"]) == ("ANSWER_TOO_LONG", False)
