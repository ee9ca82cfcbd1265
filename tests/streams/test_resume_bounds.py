"""messageEvents with an afterSeq past an answer's end: a clear BAD_USER_INPUT, never a
terminal event with a made-up seq, nor an internal error at the top of GraphQL's Int."""

import asyncio

import pytest

from schema.relay import to_global_id
from tests.chat.helpers import (
    MESSAGE_EVENTS,
    collect,
    learner_with_session,
    send,
    subscribe,
    wait_for_status,
)

INT_MAX = 2**31 - 1


async def _completed_answer(harness):
    user_id, study_session = await learner_with_session(harness)
    sent = await send(
        harness, user_id, to_global_id("StudySession", study_session.id), "What is a loop?"
    )
    answer_id = sent["assistantMessage"]["id"]
    await wait_for_status(harness, user_id, answer_id, {"COMPLETE"})
    events = await collect(harness, user_id, answer_id)
    return user_id, answer_id, events[-1]["seq"]


async def _first_result(harness, user_id, answer_id, after):
    stream = await subscribe(harness, user_id, MESSAGE_EVENTS, {"id": answer_id, "after": after})
    if not hasattr(stream, "__aiter__"):
        return stream  # refused before the stream started
    async with asyncio.timeout(10):
        async for result in stream:
            await stream.aclose()
            return result
    return None


@pytest.mark.parametrize("beyond", [100, "int-max"])
async def test_resuming_past_the_end_is_bad_input(harness, beyond):
    user_id, answer_id, last_seq = await _completed_answer(harness)
    after = INT_MAX if beyond == "int-max" else last_seq + beyond
    result = await _first_result(harness, user_id, answer_id, after)
    assert result is not None and result.errors, result
    [error] = result.errors
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert error.extensions.get("field") == "afterSeq"


async def test_resuming_at_the_end_sends_nothing(harness):
    user_id, answer_id, last_seq = await _completed_answer(harness)
    assert await collect(harness, user_id, answer_id, after=last_seq) == []
