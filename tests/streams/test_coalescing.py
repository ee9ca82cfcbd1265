"""Coalesced streams end to end: fewer events, the same text, the row never ahead of seq.

The offline tutor sends one delta per word, much faster than the coalescing window:
most of its words are merged. Events are read on the bus itself (the session channel),
so each test sees exactly what the runner published.
"""

import asyncio
import dataclasses

from db.channels import session_channel
from db.chat import generation_rows
from schema.relay import to_global_id
from tests.chat.helpers import (
    collect,
    learner_with_session,
    pace,
    read_message,
    send,
    text_of,
    until,
)
from tutor.stream import drain
from tutor.stream.codec import EventType, MessageEventData

QUESTION = "What does a for loop do?"


def _settings(harness, **changes) -> None:
    harness.generations.settings = dataclasses.replace(harness.generations.settings, **changes)


async def _answer_on_the_bus(harness, *, started=None):
    """Ask; the answer's events as published (until its terminal one), and its row."""
    user_id, study_session = await learner_with_session(harness)
    received: list[MessageEventData] = []
    session_global_id = to_global_id("StudySession", study_session.id)
    async with harness.bus.subscribe(session_channel(study_session.id)) as events:
        sent = await send(harness, user_id, session_global_id, QUESTION)
        answer_id = sent["assistantMessage"]["id"]
        if started is not None:
            await started(user_id, answer_id)
        async with asyncio.timeout(30):
            async for payload in events:
                event = MessageEventData.decode(payload)
                if event.type != EventType.ADDED:
                    received.append(event)
                    if event.terminal:
                        break
    return received, await read_message(harness, user_id, answer_id)


def _deltas(events: list[MessageEventData], up_to: int | None = None) -> list[str]:
    return [
        event.delta
        for event in events
        if event.type == EventType.DELTA and (up_to is None or event.seq <= up_to)
    ]


def _check_stream(events: list[MessageEventData], stored: dict) -> None:
    """seq from 1 without a hole, the end last, and the text exactly the stored one."""
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert events[-1].terminal and not any(event.terminal for event in events[:-1])
    assert "".join(_deltas(events)) == stored["content"]


async def test_words_within_the_window_are_merged_and_the_text_is_exact(harness):
    events, stored = await _answer_on_the_bus(harness)
    _check_stream(events, stored)
    assert events[-1].type == EventType.COMPLETED
    words = len(stored["content"].split())
    assert words > 10
    # One event per model delta before: now a handful for the whole answer.
    assert len(_deltas(events)) < words / 3
    # Tool calls still come between the text around them, in order.
    assert EventType.TOOL_CALL in {event.type for event in events}


async def test_a_window_of_zero_sends_one_event_per_word(harness):
    _settings(harness, coalesce_window_seconds=0)
    events, stored = await _answer_on_the_bus(harness)
    _check_stream(events, stored)
    assert len(_deltas(events)) >= len(stored["content"].split())


async def test_a_flush_never_stores_text_beyond_its_seq_and_a_late_subscriber_is_exact(
    harness, monkeypatch
):
    pace(harness, 0.003)
    _settings(harness, flush_interval=0.02)
    flushes: list[tuple[int, str]] = []
    pending_at_flush: list[str] = []
    turn_states = []
    real_append, real_save = drain._append_text, generation_rows.save_progress

    async def append(generations, request, state, delta):
        turn_states.append(state)
        await real_append(generations, request, state, delta)

    async def save_progress(session, **row):
        flushes.append((row["last_seq"], row["content"]))
        pending_at_flush.append(turn_states[-1].coalescer.pending if turn_states else "")
        return await real_save(session, **row)

    monkeypatch.setattr(drain, "_append_text", append)
    monkeypatch.setattr(generation_rows, "save_progress", save_progress)
    late: list[dict] = []

    async def join_late(user_id, answer_id):
        async def flushed_some_text():
            return any(content for _, content in flushes)

        await until(flushed_some_text)
        late.extend(await collect(harness, user_id, answer_id))

    events, stored = await _answer_on_the_bus(harness, started=join_late)
    _check_stream(events, stored)
    assert len(flushes) >= 2 and any(pending_at_flush)  # flushed while text was held
    for last_seq, content in flushes:
        assert content == "".join(_deltas(events, up_to=last_seq))
    assert late[0]["__typename"] == "MessageSnapshot" and late[0]["message"]["content"]
    assert late[-1]["__typename"] == "MessageCompleted"
    assert text_of(late) == stored["content"]


async def test_a_stop_publishes_the_held_text_before_the_cancelled_event(harness, monkeypatch):
    pace(harness, 0.002)
    real_append = drain._append_text
    held_at_stop: list[str] = []

    async def append_then_stop(generations, request, state, delta):
        await real_append(generations, request, state, delta)
        if not held_at_stop and len(state.coalescer.pending.split()) >= 2:
            held_at_stop.append(state.coalescer.pending)
            generations.stop_here(request.message_id)

    monkeypatch.setattr(drain, "_append_text", append_then_stop)
    events, stored = await _answer_on_the_bus(harness)
    _check_stream(events, stored)
    assert events[-1].type == EventType.CANCELLED and stored["status"] == "CANCELLED"
    # What was held when the stop came went out, just before the end.
    [held] = held_at_stop
    assert events[-2].type == EventType.DELTA and events[-2].delta.endswith(held)


async def test_an_answer_cut_for_length_keeps_exactly_what_was_published(harness):
    _settings(harness, max_answer_bytes=120)
    events, stored = await _answer_on_the_bus(harness)
    _check_stream(events, stored)
    assert events[-1].type == EventType.FAILED and stored["errorCode"] == "ANSWER_TOO_LONG"
    assert 0 < len(stored["content"].encode()) <= 120
    assert len(_deltas(events)) < len(stored["content"].split())
