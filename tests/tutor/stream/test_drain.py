"""Draining a turn: what a stop raises ends it quietly; anything else is logged."""

import asyncio
import logging

from schema.relay import to_global_id
from tests.chat.helpers import learner_with_session, pace, send, wait_for_status
from tutor.stream import attempts, drain
from tutor.stream.drain import is_cancellation

STOP = "mutation($id: ID!) { stopGeneration(messageId: $id) { status } }"


def test_a_cancellation_carried_inside_an_exception_is_still_one():
    def wrapped() -> Exception:
        try:
            raise asyncio.CancelledError
        except asyncio.CancelledError:
            try:
                raise RuntimeError("tool cancelled") from None  # as the SDK carries it
            except RuntimeError as error:
                return error

    assert is_cancellation(asyncio.CancelledError())
    assert is_cancellation(wrapped())
    assert not is_cancellation(RuntimeError("provider down"))


async def _start(harness):
    pace(harness, 0.05)
    user_id, study_session = await learner_with_session(harness)
    session_id = to_global_id("StudySession", study_session.id)
    sent = await send(harness, user_id, session_id, "What is a loop?")
    return user_id, sent["assistantMessage"]["id"]


async def test_an_unexpected_error_during_a_stop_is_logged(harness, monkeypatch, caplog):
    real = drain._on_stream_event

    async def stop_then_fail(generations, request, state, event, context):
        await real(generations, request, state, event, context)
        if state.parts:  # some text out: the learner stops, and something else breaks
            generations.stop_here(request.message_id)
            raise LookupError("a bug that the stop must not hide")

    monkeypatch.setattr(drain, "_on_stream_event", stop_then_fail)
    user_id, answer_id = await _start(harness)
    with caplog.at_level(logging.ERROR, logger=attempts.__name__):
        ended = await wait_for_status(harness, user_id, answer_id, {"CANCELLED", "FAILED"})
    assert ended["status"] == "CANCELLED"  # as before: the stop wins
    [record] = [r for r in caplog.records if r.name == attempts.__name__]
    assert record.levelno == logging.ERROR and "while stopping" in record.getMessage()
    assert isinstance(record.exc_info[1], LookupError)


async def test_a_plain_stop_logs_no_error(harness, caplog):
    user_id, answer_id = await _start(harness)
    with caplog.at_level(logging.ERROR):
        await wait_for_status(harness, user_id, answer_id, {"STREAMING"})
        stopped = await harness.data(STOP, {"id": answer_id}, user_id=user_id)
        assert stopped["stopGeneration"]["status"] == "CANCELLED"
    assert [r for r in caplog.records if r.name in (drain.__name__, attempts.__name__)] == []
