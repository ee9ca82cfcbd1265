"""Requests that llama.cpp's and Ollama's OpenAI-compatible servers accept, over real HTTP."""

import re

from agents import ModelSettings, ModelTracing

from tests.fakes.openai_server import text, tool_call
from tests.tutor.helpers import make_learner, run_turn
from tutor.compat import supports_required_tool_choice
from tutor.providers import ModelCatalog, ProviderSettings, configured_providers

CITED = "“The `break` statement, like in C, breaks out of the innermost enclosing"
PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>(.*?)</passage>', re.DOTALL)


def catalog_for(fake, name: str = "fake", **settings) -> ModelCatalog:
    return ModelCatalog(
        default_model="local:tutor",
        providers={name: ProviderSettings(base_url=fake.base_url, api_key="k", **settings)},
        request_timeout_seconds=5.0,
    )


async def test_assistant_tool_call_messages_never_carry_null_content(harness, fake_openai):
    # llama.cpp's server answers 422 to an assistant message whose content is null.
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    fake_openai.script(
        [tool_call("search_material", {"query": "break loop"}), text("It leaves the loop [1].")]
    )
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "break?"}])
    assert turn.status == "COMPLETE"
    messages = fake_openai.completions[1]["json"]["messages"]
    assistant = [m for m in messages if m["role"] == "assistant"]
    assert assistant and assistant[0]["tool_calls"]
    assert all(isinstance(m.get("content"), str) for m in assistant)


async def _ask_with_required_tool_choice(fake, catalog: ModelCatalog) -> str | None:
    fake.script([text("ok")])
    model = catalog.model_for(f"{next(iter(catalog.providers))}:gpt-test")
    await model.get_response(
        "instructions", "hello", ModelSettings(tool_choice="required"), [], None, [],
        ModelTracing.DISABLED,
    )  # fmt: skip
    return fake.completions[-1]["json"].get("tool_choice")


async def test_required_tool_choice_becomes_auto_for_local_servers(fake_openai):
    # llama.cpp answers 500 to tool_choice "required".
    sent = await _ask_with_required_tool_choice(fake_openai, catalog_for(fake_openai, "llamacpp"))
    assert sent == "auto"


async def test_required_tool_choice_is_kept_where_the_provider_supports_it(fake_openai):
    catalog = catalog_for(fake_openai, "fake", tool_choice_required=True)
    assert await _ask_with_required_tool_choice(fake_openai, catalog) == "required"


def test_which_providers_accept_required_tool_choice():
    assert supports_required_tool_choice("openai", None)
    assert not supports_required_tool_choice("ollama", None)
    assert supports_required_tool_choice("ollama", True)
    assert not supports_required_tool_choice("openai", False)
    providers = configured_providers(
        {"llamacpp": ProviderSettings(base_url="http://127.0.0.1:8080/v1", api_key="x")}
    )
    assert providers["llamacpp"].tool_choice_required is False


async def test_real_model_answers_store_only_the_passages_they_cite(harness, fake_openai):
    learner = await make_learner(harness, chapter="tutorial-controlflow.md")
    search = tool_call("search_material", {"query": "break statement loop"})
    model = catalog_for(fake_openai).model_for("fake:gpt-test")
    # Which number search gives the passage with the quoted sentence depends on ranking;
    # a first turn asks, the second cites that number.
    fake_openai.script([search, text("Let me look.")])
    first = await run_turn(harness, learner, model, [{"role": "user", "content": "break?"}])
    shown = first.tool_calls[0]["output"]
    assert shown.count("<passage ") > 1  # it was shown several passages...
    [number] = [n for n, body in PASSAGE.findall(shown) if "The `break` statement, like" in body]
    fake_openai.script(
        [search, text(f"{CITED} `for` or `while` loop.” [{number}] It never skips code (see [9]).")]
    )
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "break?"}])
    # ...and stores the one it cited, narrowed to the sentence it quoted; [9] names none.
    [citation] = turn.citations
    assert citation["marker"] == int(number)
    assert citation["quote"].startswith("The `break` statement, like in C")
    assert citation["quote"].endswith("loop.")
