"""A turn streams over messageEvents: complete, in order, resumable, stoppable."""

import asyncio

from schema.relay import to_global_id
from tests.chat.helpers import (
    MESSAGE_EVENTS,
    SESSION_EVENTS,
    assert_exactly_once_in_order,
    collect,
    learner_with_session,
    pace,
    read_message,
    send,
    subscribe,
    text_of,
    until,
    wait_for_status,
)


async def _start(harness, content="What does a for loop do?"):
    user_id, study_session = await learner_with_session(harness)
    sent = await send(harness, user_id, to_global_id("StudySession", study_session.id), content)
    return user_id, sent


async def _session_stream_until_end(harness, user_id, session_global_id, ready):
    """sessionEvents until an answer's terminal event; subscribed before anything is sent."""
    stream = await subscribe(harness, user_id, SESSION_EVENTS, {"id": session_global_id})
    events = []
    async with asyncio.timeout(30):
        iterator = aiter(stream)
        ready.set()
        async for result in iterator:
            assert result.errors is None, result.errors
            event = result.data["sessionEvents"]
            events.append(event)
            if event["__typename"] in {"MessageCompleted", "MessageFailed", "MessageCancelled"}:
                await stream.aclose()
                return events
    return events


async def test_the_stream_rebuilds_exactly_the_stored_answer(harness):
    user_id, study_session = await learner_with_session(harness)
    session_id = to_global_id("StudySession", study_session.id)
    ready = asyncio.Event()
    subscribed = harness.bus.subscriber_count()
    listener = asyncio.create_task(_session_stream_until_end(harness, user_id, session_id, ready))
    await ready.wait()
    await harness.subscribers_beyond(subscribed)
    sent = await send(harness, user_id, session_id, "What does a for loop do?")
    assert sent["userMessage"]["status"] == "COMPLETE"
    assert sent["assistantMessage"]["status"] == "PENDING"
    assert sent["assistantMessage"]["parent"]["id"] == sent["userMessage"]["id"]
    session_events = await listener

    added = [event["message"]["role"] for event in session_events[:2]]
    assert added == ["USER", "ASSISTANT"]
    answer_events = [
        e for e in session_events[2:] if e["messageId"] == sent["assistantMessage"]["id"]
    ]
    assert [event["seq"] for event in answer_events] == list(range(1, len(answer_events) + 1))
    assert answer_events[-1]["__typename"] == "MessageCompleted"
    final = answer_events[-1]["message"]
    assert final["status"] == "COMPLETE"
    assert final["usage"]["outputTokens"] > 0
    assert text_of(answer_events) == final["content"]
    assert len(final["content"].split()) > 10  # a real answer
    # Streamed, not sent whole: its first word goes out at once, the words that follow
    # within the coalescing window in the events after it.
    deltas = [event for event in answer_events if event["__typename"] == "MessageDelta"]
    assert len(deltas) >= 2 and deltas[0]["delta"] == final["content"].split(" ")[0] + " "
    tools = [e["toolCall"] for e in answer_events if e["__typename"] == "ToolCallEvent"]
    assert {"RUNNING", "DONE"} <= {tool["status"] for tool in tools}
    stored = await read_message(harness, user_id, sent["assistantMessage"]["id"])
    assert stored["content"] == final["content"]
    assert {tool["name"] for tool in stored["toolCalls"]} == {tool["name"] for tool in tools}

    # messageEvents on the finished answer: a snapshot standing for it all, and the end.
    replay = await collect(harness, user_id, sent["assistantMessage"]["id"])
    assert [event["__typename"] for event in replay] == ["MessageSnapshot", "MessageCompleted"]
    assert replay[-1]["seq"] == answer_events[-1]["seq"]
    assert text_of(replay) == final["content"]


async def test_a_late_subscriber_gets_a_snapshot_then_the_rest_once(harness):
    pace(harness, 0.01)
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]

    # Join once part of the answer is stored (the runner flushes every 0.2 s here).
    async def stored_some():
        return (await read_message(harness, user_id, answer_id))["content"]

    await until(stored_some)
    events = await collect(harness, user_id, answer_id)

    assert events[0]["__typename"] == "MessageSnapshot"
    assert events[0]["seq"] > 0 and events[0]["message"]["content"]
    assert_exactly_once_in_order(events)
    assert events[-1]["__typename"] == "MessageCompleted"
    assert text_of(events) == events[-1]["message"]["content"]


async def test_resuming_with_after_seq_misses_nothing_and_repeats_nothing(harness):
    pace(harness, 0.05)  # about 2.4 s: the answer is still running when the client is back
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]
    first_part = await collect(harness, user_id, answer_id, limit=7)
    assert_exactly_once_in_order(first_part)
    seen = first_part[-1]["seq"]
    await asyncio.sleep(0.3)  # events go by while the client is away

    rest = await collect(harness, user_id, answer_id, after=seen)
    assert_exactly_once_in_order(rest, after=seen)
    final = rest[-1]["message"]["content"]
    assert text_of(first_part + rest) == final


async def test_resuming_a_finished_answer_gives_snapshot_and_end_or_nothing(harness):
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]
    events = await collect(harness, user_id, answer_id)
    last_seq = events[-1]["seq"]

    behind = await collect(harness, user_id, answer_id, after=2)
    assert [event["__typename"] for event in behind] == ["MessageSnapshot", "MessageCompleted"]
    assert [event["seq"] for event in behind] == [last_seq - 1, last_seq]
    assert behind[0]["message"]["content"] == events[-1]["message"]["content"]
    assert await collect(harness, user_id, answer_id, after=last_seq - 1) == [events[-1]]
    assert await collect(harness, user_id, answer_id, after=last_seq) == []


async def test_stop_generation_keeps_the_partial_text(harness):
    pace(harness, 0.2)  # about 10 s: the stop lands mid-answer even on a busy machine
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]
    stream_task = asyncio.create_task(collect(harness, user_id, answer_id))

    async def streaming():
        return (await read_message(harness, user_id, answer_id))["status"] == "STREAMING"

    await until(streaming)
    await asyncio.sleep(0.2)
    stopped = await harness.data(
        "mutation($id: ID!) { stopGeneration(messageId: $id) { status content } }",
        {"id": answer_id},
        user_id=user_id,
    )
    assert stopped["stopGeneration"]["status"] == "CANCELLED"
    events = await stream_task
    assert events[-1]["__typename"] == "MessageCancelled"
    partial = events[-1]["message"]["content"]
    assert partial and text_of(events) == partial == stopped["stopGeneration"]["content"]
    # Stopping again is a no-op that reports the same end.
    again = await harness.data(
        "mutation($id: ID!) { stopGeneration(messageId: $id) { status content } }",
        {"id": answer_id},
        user_id=user_id,
    )
    assert again["stopGeneration"] == stopped["stopGeneration"]


async def test_closing_the_subscription_leaves_the_answer_running(harness):
    pace(harness, 0.05)  # still streaming when the subscriber has its three events
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]
    first = await collect(harness, user_id, answer_id, limit=3)
    assert len(first) == 3
    final = await wait_for_status(harness, user_id, answer_id, {"COMPLETE", "FAILED"})
    assert final["status"] == "COMPLETE"
    assert final["content"].startswith(text_of(first))


async def test_a_slow_subscriber_is_resynced_from_a_snapshot_not_buffered(harness):
    harness.bus._max_queued = 4  # queues made from now on hold 4 events at most
    pace(harness, 0.02)
    user_id, sent = await _start(harness)
    answer_id = sent["assistantMessage"]["id"]
    stream = await subscribe(harness, user_id, MESSAGE_EVENTS, {"id": answer_id, "after": 0})
    events = []
    async with asyncio.timeout(30):
        async for result in stream:
            assert result.errors is None, result.errors
            events.append(result.data["messageEvents"])
            await asyncio.sleep(0.2)  # a consumer far slower than the model
    assert_exactly_once_in_order(events)
    resyncs = [event for event in events[1:] if event["__typename"] == "MessageSnapshot"]
    assert resyncs  # it fell behind while following and was resynced
    assert len(events) < 60  # it never received the whole backlog one by one
    assert events[-1]["__typename"] == "MessageCompleted"
    assert text_of(events) == events[-1]["message"]["content"]
