"""Coalescing a turn's text: what a window merges, when it publishes, and its bounds."""

import asyncio

import pytest
from pydantic import ValidationError

from api.settings import Settings
from db.channels import message_channel
from db.chat.tool_calls import ToolCall
from db.pubsub import Bus
from tutor.stream.coalesce import TextCoalescer, check_window
from tutor.stream.codec import EventType, MessageEventData
from tutor.stream.publish import publish_next, publish_text, publish_text_now
from tutor.stream.settings import GenerationSettings, TurnRequest
from tutor.stream.state import TurnState

WINDOW = 0.03


class Published:
    """What a coalescer hands on, with the loop time of each publish."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.times: list[float] = []

    async def __call__(self, text: str) -> None:
        self.texts.append(text)
        self.times.append(asyncio.get_running_loop().time())


async def test_deltas_within_the_window_become_one_event():
    published = Published()
    coalescer = TextCoalescer(WINDOW, published)
    started = asyncio.get_running_loop().time()
    for word in ("A ", "loop ", "repeats ", "its ", "body."):
        await coalescer.add(word)
    # The first goes out at once; the rest wait for the window to end, together.
    assert published.texts == ["A "]
    assert coalescer.pending == "loop repeats its body."
    await asyncio.sleep(WINDOW * 3)
    assert published.texts == ["A ", "loop repeats its body."]
    assert coalescer.pending == ""
    # Not before the window ended (a busy machine may run the timer late, never early).
    assert published.times[1] - started >= WINDOW * 0.95


async def test_a_delta_after_a_quiet_window_goes_out_at_once():
    published = Published()
    coalescer = TextCoalescer(WINDOW, published)
    await coalescer.add("one ")
    await asyncio.sleep(WINDOW * 1.5)
    await coalescer.add("two ")
    assert published.texts == ["one ", "two "]


async def test_a_flush_publishes_the_buffer_now_and_nothing_follows():
    published = Published()
    coalescer = TextCoalescer(WINDOW, published)
    await coalescer.add("one ")
    await coalescer.add("two ")
    await coalescer.flush()
    assert published.texts == ["one ", "two "]
    await asyncio.sleep(WINDOW * 2)  # the window's timer was cancelled with the flush
    assert published.texts == ["one ", "two "]


async def test_a_window_of_zero_publishes_every_delta_alone():
    published = Published()
    coalescer = TextCoalescer(0, published)
    for word in ("a ", "b ", "c "):
        await coalescer.add(word)
    assert published.texts == ["a ", "b ", "c "]


def _turn(bus: Bus) -> tuple[TurnRequest, TurnState]:
    request = TurnRequest(
        user_id=1, session_id=2, message_id=3, topic_id=None, mode="explain", model="local:tutor"
    )
    state = TurnState()
    state.coalescer = TextCoalescer(
        WINDOW, lambda text: publish_text_now(bus, request, state, text)
    )
    return request, state


async def test_text_pending_before_a_tool_call_is_published_before_it_in_order():
    bus = Bus("memory://")
    await bus.connect()
    try:
        request, state = _turn(bus)
        async with bus.subscribe(message_channel(request.message_id)) as events:
            for word in ("Let ", "me ", "look."):
                await publish_text(bus, request, state, word)
            # The row is flushed from these: the buffered text is not in them yet.
            assert (state.text, state.seq) == ("Let ", 1)
            call = ToolCall(call_id="c1", name="search_material", arguments={})
            await publish_next(bus, request, state, EventType.TOOL_CALL, tool_call=call)
            received = [MessageEventData.decode(await anext(events)) for _ in range(3)]
    finally:
        await bus.disconnect()
    assert [(event.seq, event.type, event.delta) for event in received] == [
        (1, EventType.DELTA, "Let "),
        (2, EventType.DELTA, "me look."),
        (3, EventType.TOOL_CALL, None),
    ]
    assert (state.text, state.seq) == ("Let me look.", 3)


def test_a_window_over_50_ms_is_refused():
    assert check_window(0.05) == 0.05
    with pytest.raises(ValueError, match="50 ms"):
        check_window(0.051)
    with pytest.raises(ValueError):
        check_window(-0.01)
    with pytest.raises(ValueError, match="50 ms"):
        GenerationSettings(coalesce_window_seconds=0.06)
    with pytest.raises(ValidationError):
        Settings(stream_coalesce_ms=51)
    assert GenerationSettings().coalesce_window_seconds == 0.03


async def test_a_failed_background_publish_is_reported_and_the_next_text_still_goes_out(caplog):
    calls: list[str] = []

    async def publish(text: str) -> None:
        calls.append(text)
        if len(calls) == 2:
            raise RuntimeError("bus refused it")

    coalescer = TextCoalescer(WINDOW, publish)
    unretrieved: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: unretrieved.append(context))
    await coalescer.add("first ")
    await coalescer.add("second ")  # held: published by the window's background task
    await asyncio.sleep(WINDOW * 3)
    await coalescer.add("third")
    await coalescer.flush()  # does not raise the background task's failure
    assert calls == ["first ", "second ", "third"]
    assert "publishing coalesced text failed" in caplog.text
    assert not unretrieved
