"""Every event of a turn fits the bus, whatever the backend: PostgreSQL's NOTIFY refuses
8000 bytes, so a 9 KB delta or 9 KB of tool arguments must travel bounded in bytes
(the delta split into several events, the arguments as a preview) and still reach a
live subscriber."""

import asyncio
import dataclasses

import pytest

from db.channels import session_channel
from db.pubsub import PayloadTooLarge
from schema.relay import to_global_id
from tests.chat.helpers import SESSION_EVENTS, learner_with_session, send, subscribe
from tests.fakes.openai_server import text, tool_call
from tests.streams.buses import BUS_KINDS, harness_on_bus
from tutor.providers import ModelCatalog, ProviderSettings

# One SSE chunk each: 9,200 bytes of two-byte characters, and 9,200 bytes of arguments.
LONG_DELTA = "é" * 4600
LONG_QUERY = "ü" * 4600


def _on_fake_provider(harness, fake_openai) -> None:
    catalog = ModelCatalog(
        default_model="local:tutor",
        providers={"fake": ProviderSettings(base_url=fake_openai.base_url, api_key="test")},
        request_timeout_seconds=10.0,
    )
    harness.models = catalog
    harness.generations.catalog = catalog
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, model_call_timeout_seconds=10.0
    )


async def _live_session_events(harness, user_id, session_id, answer_ready, collected):
    stream = await subscribe(harness, user_id, SESSION_EVENTS, {"id": session_id})
    async for result in stream:
        assert result.errors is None, result.errors
        event = result.data["sessionEvents"]
        collected.append(event)
        if event["__typename"] in ("MessageCompleted", "MessageFailed"):
            await stream.aclose()
            return


async def _raw_payloads(bus, channel, into, started):
    async with bus.subscribe(channel) as payloads:
        started.set()
        async for payload in payloads:
            into.append(payload)


@pytest.mark.parametrize("kind", BUS_KINDS)
async def test_a_long_delta_and_long_tool_arguments_reach_a_live_subscriber(
    database_url, fake_openai, kind
):
    async with harness_on_bus(database_url, kind) as harness:
        _on_fake_provider(harness, fake_openai)
        fake_openai.script([tool_call("search_material", {"query": LONG_QUERY}), text(LONG_DELTA)])
        user_id, study_session = await learner_with_session(harness, model="fake:gpt-test")
        session_gid = to_global_id("StudySession", study_session.id)
        raw: list[str] = []
        raw_started = asyncio.Event()
        spy = asyncio.create_task(
            _raw_payloads(harness.bus, session_channel(study_session.id), raw, raw_started)
        )
        await raw_started.wait()
        events: list[dict] = []
        baseline = harness.bus.subscriber_count()
        listener = asyncio.create_task(
            _live_session_events(harness, user_id, session_gid, None, events)
        )
        await harness.subscribers_beyond(baseline)
        await send(harness, user_id, session_gid, "Tell me everything")
        async with asyncio.timeout(30):
            await listener
        spy.cancel()

    deltas = [event["delta"] for event in events if event["__typename"] == "MessageDelta"]
    assert "".join(deltas) == LONG_DELTA
    assert len(deltas) >= 3  # split, each piece its own event
    calls = [event["toolCall"] for event in events if event["__typename"] == "ToolCallEvent"]
    assert [call["status"] for call in calls] == ["RUNNING", "DONE"]
    assert events[-1]["__typename"] == "MessageCompleted"
    assert events[-1]["message"]["content"] == LONG_DELTA
    assert raw and max(len(payload.encode()) for payload in raw) < 8000


async def test_the_bus_refuses_an_oversized_payload_on_memory_too():
    from db.pubsub import Bus

    bus = Bus("memory://")
    await bus.connect()
    try:
        with pytest.raises(PayloadTooLarge):
            await bus.publish("anything", "é" * 4000)
        await bus.publish("anything", "é" * 3999)
    finally:
        await bus.disconnect()
