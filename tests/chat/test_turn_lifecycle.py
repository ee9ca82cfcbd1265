"""The edges of a turn's life: stops racing its end, reaping a live turn, timeouts, lost
events and database blips. Each test is a race a review found; most inject a delay or a
failure at the exact point where the race opens."""

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from db.channels import message_channel, session_channel
from db.chat import generation_rows
from db.engine import unit_of_work
from db.models import Message as MessageRow
from db.pubsub import Bus
from schema.relay import row_id_of, to_global_id
from tests.chat.helpers import (
    SESSION_EVENTS,
    collect,
    learner_with_session,
    pace,
    read_message,
    send,
    subscribe,
    until,
    wait_for_status,
)
from tutor.stream import drain, finish, followers, reaper, stop
from tutor.stream.codec import MessageEventData
from tutor.stream.generations import Generations

STOP = "mutation($id: ID!) { stopGeneration(messageId: $id) { status content } }"
ENDED = {"COMPLETE", "FAILED", "CANCELLED"}


async def _start(harness, content="What does a for loop do?"):
    user_id, study_session = await learner_with_session(harness)
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), content)
    answer_id = sent["assistantMessage"]["id"]
    return user_id, study_session, answer_id, row_id_of(answer_id, "Message")


async def _row(harness, message_id: int) -> MessageRow:
    async with unit_of_work(harness.session_factory) as session:
        return await session.get(MessageRow, message_id)


def _other_process(harness, clock) -> Generations:
    """Another API process sharing the database and the bus, with its own clock."""
    return Generations(
        session_factory=harness.session_factory,
        bus=harness.bus,
        catalog=harness.models,
        clock=clock,
        settings=harness.generations.settings,
    )


async def test_a_stop_while_the_end_is_being_written_keeps_the_answer(harness, monkeypatch):
    writing_end = asyncio.Event()
    real_finish = generation_rows.finish_generation

    async def slow_finish(session, **fields):
        if fields["status"] == "COMPLETE":
            writing_end.set()
            await asyncio.sleep(0.5)  # a slow database round trip
        return await real_finish(session, **fields)

    monkeypatch.setattr(generation_rows, "finish_generation", slow_finish)
    user_id, _, answer_id, row_id = await _start(harness)
    async with asyncio.timeout(20):
        await writing_end.wait()
    stopped = (await harness.data(STOP, {"id": answer_id}, user_id=user_id))["stopGeneration"]

    final = await _row(harness, row_id)
    assert stopped["status"] == "COMPLETE"
    assert final.status == "COMPLETE" and final.content == stopped["content"] != ""
    assert final.output_tokens and not harness.generations.running_here(row_id)


async def test_the_reaper_spares_a_turn_that_renewed_its_lease_meanwhile(harness):
    pace(harness, 0.1)  # about 5 s: still streaming after the reaper's round trips
    _, _, _, row_id = await _start(harness)

    async def some_text_flushed():
        return bool((await _row(harness, row_id)).content)

    await until(some_text_flushed)
    stale = await _row(harness, row_id)
    # The reaper read the row at a moment its lease had just lapsed...
    reaper_now = stale.lease_expires_at + timedelta(milliseconds=1)
    other = _other_process(harness, clock=lambda: reaper_now)
    async with unit_of_work(harness.session_factory) as session:
        expired = await generation_rows.list_expired_generations(session, now=reaper_now)
    assert row_id in [message.id for message in expired]

    # ...and the owner, slow but alive, flushes and renews before the reaper writes.
    async def renewed():
        return (await _row(harness, row_id)).lease_expires_at > reaper_now

    await until(renewed)
    fresh = await _row(harness, row_id)
    assert await reaper.end_abandoned(other, stale, status="FAILED") is None

    after = await _row(harness, row_id)
    assert after.status == "STREAMING"
    assert len(after.content) >= len(fresh.content) > len(stale.content)

    async def completed():
        return (await _row(harness, row_id)).status == "COMPLETE"

    await until(completed, seconds=30)


async def test_a_turn_reaped_elsewhere_stops_generating_here(harness, monkeypatch):
    pace(harness, 0.3)  # an answer of about 14 s, so it cannot just end by itself
    _, _, _, row_id = await _start(harness)
    channel = message_channel(row_id)

    # Record each publish on the answer's channel at the moment it is made, with whether
    # the turn was still running here. (Reading the events back from a subscription would
    # race: deltas published before the reaper's event may arrive after it is written.)
    publishes: list[tuple[str, bool]] = []
    real_publish = harness.bus.publish

    async def recording_publish(to, payload):
        if to == channel:
            kind = MessageEventData.decode(payload).type
            publishes.append((kind, harness.generations.running_here(row_id)))
        await real_publish(to, payload)

    monkeypatch.setattr(harness.bus, "publish", recording_publish)

    async def streaming():
        return (await _row(harness, row_id)).status == "STREAMING"

    await until(streaming)
    # Another process believes ours is dead (its clock is a minute ahead) and ends it.
    other = _other_process(harness, clock=lambda: harness.clock() + timedelta(minutes=1))
    ended = await reaper.end_abandoned(other, await _row(harness, row_id), status="FAILED")
    assert ended is not None and ended.status == "FAILED"

    async def stopped_here():
        return not harness.generations.running_here(row_id)

    # The flusher (every 0.2 s) notices at its next write and stops the model.
    await until(stopped_here, seconds=8)
    await asyncio.sleep(0.5)  # time for anything still going to show itself

    kinds = [kind for kind, _ in publishes]
    assert "failed" in kinds
    # A few words were in flight before the flusher noticed; nothing once it stopped.
    assert all(running for _, running in publishes)
    assert (await _row(harness, row_id)).status == "FAILED"


async def test_a_turn_timeout_stops_the_model_too(harness, monkeypatch):
    pace(harness, 0.01)
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, turn_timeout_seconds=0.5, retry_attempts=0
    )
    runs = []
    real_run_streamed = drain.Runner.run_streamed

    def remember_run(*args, **kwargs):
        runs.append(real_run_streamed(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(drain.Runner, "run_streamed", remember_run)
    real_publish = harness.bus.publish

    async def network_publish(channel, payload):
        await asyncio.sleep(0.02)  # a Redis or PostgreSQL round trip: the timeout lands here
        await real_publish(channel, payload)

    monkeypatch.setattr(harness.bus, "publish", network_publish)
    user_id, _, answer_id, _ = await _start(harness)
    final = await wait_for_status(harness, user_id, answer_id, ENDED)

    assert (final["status"], final["errorCode"]) == ("FAILED", "TIMEOUT")
    [run] = runs
    words_at_failure = run.context_wrapper.usage.output_tokens
    await asyncio.sleep(0.5)
    assert run.run_loop_task.done()
    assert run.context_wrapper.usage.output_tokens == words_at_failure


def _drop_terminal_events_on(harness, monkeypatch, channel: str) -> None:
    """The bus loses the terminal event on one channel (a failed publish, a reconnect)."""
    real_publish = harness.bus.publish

    async def lossy_publish(published_channel, payload):
        if published_channel == channel and MessageEventData.decode(payload).terminal:
            return
        await real_publish(published_channel, payload)

    monkeypatch.setattr(harness.bus, "publish", lossy_publish)


async def _session_events_until_end(harness, user_id, session_global_id, *, after_answer_ends):
    baseline = harness.bus.subscriber_count()
    stream = await subscribe(harness, user_id, SESSION_EVENTS, {"id": session_global_id})
    iterator = aiter(stream)
    first = asyncio.ensure_future(anext(iterator))
    await harness.subscribers_beyond(baseline)
    sent = await send(harness, user_id, session_global_id, "What does a for loop do?")
    answer_id = sent["assistantMessage"]["id"]
    events = [(await first).data["sessionEvents"]]
    await wait_for_status(harness, user_id, answer_id, ENDED)
    await after_answer_ends()
    try:
        async with asyncio.timeout(15):
            while True:
                result = await anext(iterator)
                assert result.errors is None, result.errors
                events.append(result.data["sessionEvents"])
                if events[-1]["__typename"] == "MessageCompleted":
                    break
    finally:
        await stream.aclose()
    return answer_id, events


@pytest.mark.parametrize("how", ["lagged", "quiet"])
async def test_session_events_recover_an_end_the_bus_lost(harness, monkeypatch, how):
    user_id, study_session = await learner_with_session(harness)
    session_global_id = to_global_id("StudySession", study_session.id)
    _drop_terminal_events_on(harness, monkeypatch, session_channel(study_session.id))

    async def after_answer_ends():
        if how == "lagged":  # e.g. the Redis connection dropped and came back
            for subscribers in harness.bus._subscribers.values():
                for subscription in subscribers:
                    subscription._mark_lagged()

    if how == "quiet":  # nothing more arrives: the liveness re-read must notice
        monkeypatch.setattr(followers, "LIVENESS_SECONDS", 0.2)
    answer_id, events = await _session_events_until_end(
        harness, user_id, session_global_id, after_answer_ends=after_answer_ends
    )
    stored = await read_message(harness, user_id, answer_id)
    completed = [event for event in events if event["__typename"] == "MessageCompleted"]
    assert [event["messageId"] for event in completed] == [answer_id]
    assert completed[0]["message"]["content"] == stored["content"]
    added = [event["messageId"] for event in events if event["__typename"] == "MessageAdded"]
    assert len(added) == len(set(added)) == 2  # the question and the answer, once each


async def test_a_database_blip_while_storing_the_end_is_retried(harness, monkeypatch):
    real_finish = generation_rows.finish_generation
    attempts = []

    async def blipping_finish(session, **fields):
        attempts.append(fields["status"])
        if len(attempts) == 1:
            raise ConnectionError("server closed the connection unexpectedly")
        return await real_finish(session, **fields)

    monkeypatch.setattr(generation_rows, "finish_generation", blipping_finish)
    monkeypatch.setattr(finish, "FINISH_RETRY_PAUSES", (0.05,))
    user_id, study_session, answer_id, _ = await _start(harness)
    final = await wait_for_status(harness, user_id, answer_id, ENDED)

    assert final["status"] == "COMPLETE" and final["content"]
    assert attempts == ["COMPLETE", "COMPLETE"]
    # The session is free for the next question.
    await send(harness, user_id, to_global_id("StudySession", study_session.id), "And while?")


async def test_stopping_an_answer_that_just_ended_returns_at_once(harness, monkeypatch):
    monkeypatch.setattr(stop, "STOP_WAIT_SECONDS", 30.0)
    user_id, _, answer_id, row_id = await _start(harness)
    as_read_while_running = await _row(harness, row_id)
    await wait_for_status(harness, user_id, answer_id, {"COMPLETE"})
    loop = asyncio.get_running_loop()
    started = loop.time()
    row = await harness.generations.stop(as_read_while_running)
    assert row.status == "COMPLETE"
    assert loop.time() - started < 10.0  # no wait for a terminal event that already went


async def test_resuming_past_a_reaped_answers_last_flush_still_gets_its_end(harness):
    pace(harness, 0.1)  # still streaming when this process "dies"
    user_id, _, answer_id, row_id = await _start(harness)

    async def some_text_flushed():
        return bool((await _row(harness, row_id)).content)

    await until(some_text_flushed)
    await harness.generations.close()  # this process "dies": its turn ends INTERRUPTED
    row = await _row(harness, row_id)
    assert row.status == "FAILED"
    # A client that saw more events than the row ever stored resumes from there.
    events = await collect(harness, user_id, answer_id, after=row.last_seq + 3)
    assert [(event["__typename"], event["seq"]) for event in events] == [
        ("MessageFailed", row.last_seq + 4)
    ]


async def test_start_fails_instead_of_hanging_when_the_bus_cannot_subscribe(harness):
    class BrokenBus(Bus):
        def subscribe(self, channel):
            raise ConnectionError("broadcast backend unreachable")

    generations = _other_process(harness, clock=harness.clock)
    generations.bus = BrokenBus("memory://")
    with pytest.raises(ConnectionError):
        async with asyncio.timeout(5):
            await generations.start(reap=False)
