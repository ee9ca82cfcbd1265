"""The provider path over real HTTP: the agent on a fake OpenAI-compatible server."""

import json
import time

import pytest

from db.errors import BadUserInput
from tests.fakes.openai_server import drop, stall, status, text, tool_call
from tests.tutor.helpers import make_learner, run_turn
from tutor.failures import classify_failure
from tutor.providers import ModelCatalog, ProviderSettings, configured_providers

# Generous where the fake must answer (a stall of a busy machine is not the test's
# subject); short only where the test is about a stall.
TIMEOUT = 5.0
STALL_TIMEOUT = 1.0


def catalog_for(fake, *, timeout: float = TIMEOUT) -> ModelCatalog:
    return ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake.base_url, api_key="test")},
        request_timeout_seconds=timeout,
    )


async def test_streams_text_and_reports_usage(harness, fake_openai):
    learner = await make_learner(harness)
    fake_openai.script([text("Loops repeat a block of code.")])
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    question = [{"role": "user", "content": "What is a loop?"}]
    # The provider's own deltas, one event each: no coalescing window.
    turn = await run_turn(harness, learner, model, question, coalesce_window_seconds=0)
    assert turn.text == "Loops repeat a block of code."
    assert "".join(turn.deltas) == turn.text
    assert len(turn.deltas) == 6
    request = fake_openai.completions[0]
    assert request["authorization"] == "Bearer test"
    assert request["json"]["model"] == "gpt-test"
    assert request["json"]["stream_options"] == {"include_usage": True}
    assert request["json"]["messages"][-1] == {"role": "user", "content": "What is a loop?"}
    # The usage the server reported (include_usage) reaches the stored answer.
    assert turn.row.output_tokens == 6
    assert turn.row.input_tokens > 0


async def test_tool_round_trip_runs_the_real_tool(harness, fake_openai):
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    fake_openai.script(
        [
            tool_call("search_material", {"query": "break statement loop"}),
            text("The break statement exits the loop [1]."),
        ]
    )
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    turn = await run_turn(
        harness, learner, model, [{"role": "user", "content": "What does break do?"}]
    )
    assert turn.text == "The break statement exits the loop [1]."
    assert [call["name"] for call in turn.tool_calls] == ["search_material"]
    # The second request carried the tool's real output: passages of the learner's chapter.
    tool_message = fake_openai.completions[1]["json"]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == "call_fake_1"
    assert '<passage n="1" source="tutorial-controlflow.md"' in tool_message["content"]
    assert "innermost enclosing" in tool_message["content"]
    assert turn.citations[0]["material_id"] == learner.material_id


@pytest.mark.parametrize(
    ("step", "code", "retryable"),
    [
        (status(401, "bad key"), "PROVIDER_AUTH", False),
        (status(403, "forbidden"), "PROVIDER_AUTH", False),
        (status(429, "slow down"), "RATE_LIMITED", True),
        (status(500, "boom"), "PROVIDER_UNAVAILABLE", True),
        (status(503, "overloaded"), "PROVIDER_UNAVAILABLE", True),
    ],
)
async def test_error_statuses_before_the_first_token(harness, fake_openai, step, code, retryable):
    learner = await make_learner(harness)
    fake_openai.script([step])
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "hi"}])
    assert (turn.status, turn.row.error_code) == ("FAILED", code)
    assert (turn.terminal["code"], turn.terminal["retryable"]) == (code, retryable)
    # One request only: the client does not retry on its own (the runner decides).
    assert len(fake_openai.completions) == 1


async def test_connection_drop_after_some_tokens(harness, fake_openai):
    learner = await make_learner(harness)
    fake_openai.script([drop("one two three four five six", after_words=3)])
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "count"}])
    assert "".join(turn.deltas) == "one two three "
    # The partial answer is kept.
    assert (turn.status, turn.text) == ("FAILED", "one two three ")
    assert (turn.terminal["code"], turn.terminal["retryable"]) == ("PROVIDER_UNAVAILABLE", True)


async def test_stall_past_the_timeout_ends_in_time(harness, fake_openai):
    learner = await make_learner(harness)
    fake_openai.script([stall(30, content="slow answer here", after_words=2)])
    model = catalog_for(fake_openai, timeout=STALL_TIMEOUT).model_for("fake:gpt-test")
    started = time.monotonic()
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "hi"}])
    elapsed = time.monotonic() - started
    assert elapsed < STALL_TIMEOUT + 5, elapsed  # the stall lasts 30 s
    assert "".join(turn.deltas) == "slow answer "
    assert (turn.terminal["code"], turn.terminal["retryable"]) == ("TIMEOUT", True)


async def test_max_turns_exceeded_is_max_turns(harness, fake_openai):
    learner = await make_learner(harness)
    fake_openai.script([tool_call("get_topic_overview", {}, call_id=f"c{i}") for i in range(3)])
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "hi"}], max_turns=2)
    assert (turn.status, turn.row.error_code) == ("FAILED", "MAX_TURNS")


def test_model_names_split_on_the_first_colon_and_need_a_configured_provider():
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers=configured_providers(
            {
                "openrouter": ProviderSettings(api_key="k"),
                "together": ProviderSettings(),  # no key: not configured
                "ollama": ProviderSettings(base_url="http://127.0.0.1:11434/v1"),
                "vllm": ProviderSettings(base_url="http://gpu:8000/v1", api_key="k"),
            }
        ),
        request_timeout_seconds=5,
    )
    assert set(catalog.providers) == {"openrouter", "ollama", "vllm"}
    assert catalog.providers["openrouter"].base_url == "https://openrouter.ai/api/v1"
    assert catalog.check(" OpenRouter:meta-llama/llama-3:free ") == (
        "openrouter:meta-llama/llama-3:free"
    )
    assert catalog.check("local:tutor") == "local:tutor"
    for bad in (
        "together:m",
        "openai:gpt-4o",
        "nocolon",
        ":x",
        "local:",
        "local:gpt",
        "a:" + "b" * 300,
    ):
        with pytest.raises(BadUserInput) as raised:
            catalog.check(bad)
        assert raised.value.code == "BAD_USER_INPUT"


async def test_models_are_listed_and_cached(fake_openai):
    clock = [1000.0]
    catalog = ModelCatalog(
        default_model="fake:gpt-test",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=TIMEOUT,
        monotonic=lambda: clock[0],
    )
    listed = await catalog.list_models()
    by_id = {model.id: model for model in listed}
    assert set(by_id) == {"local:tutor", "fake:gpt-test", "fake:vendor/model:free"}
    assert by_id["fake:gpt-test"].context_length == 8192
    assert by_id["fake:gpt-test"].is_default and not by_id["local:tutor"].is_default
    assert "no LLM" in by_id["local:tutor"].name
    await catalog.list_models()
    assert len([r for r in fake_openai.requests if r["path"] == "/v1/models"]) == 1
    clock[0] += 3601  # an hour later the listing is fetched again
    await catalog.list_models()
    assert len([r for r in fake_openai.requests if r["path"] == "/v1/models"]) == 2
    await catalog.close()


async def test_a_failing_provider_is_skipped_not_fatal(fake_openai):
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={
            "fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test"),
            "down": ProviderSettings(base_url="http://127.0.0.1:9/v1", api_key="test"),
        },
        request_timeout_seconds=TIMEOUT,
    )
    ids = [model.id for model in await catalog.list_models()]
    assert "fake:gpt-test" in ids and "local:tutor" in ids
    assert not any(model_id.startswith("down:") for model_id in ids)
    await catalog.close()


def test_unknown_errors_are_internal():
    assert classify_failure(ValueError("x")).code == "INTERNAL"
    assert json.dumps(classify_failure(TimeoutError()).__dict__)
