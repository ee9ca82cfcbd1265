"""The wire form of stream events: round trips, bounded tool output, stop requests."""

import json

from db.chat.states import MessageStatus
from db.chat.tool_calls import ToolCall
from tutor.stream.codec import (
    TERMINAL_TYPE_BY_STATUS,
    TOOL_OUTPUT_EVENT_CHARS,
    EventType,
    MessageEventData,
    decode_cancel_request,
    encode_cancel_request,
)


def test_an_event_survives_the_wire():
    call = ToolCall(call_id="c1", name="search_material", arguments={"query": "loops"})
    event = MessageEventData(
        type=EventType.TOOL_CALL, message_id=7, session_id=3, seq=2, tool_call=call
    )
    payload = event.encode()
    assert json.loads(payload)["tool_call"]["status"] == "RUNNING"
    assert MessageEventData.decode(payload) == event


def test_a_long_tool_output_travels_as_a_preview():
    call = ToolCall(call_id="c1", name="search_material", arguments={}).returned("x" * 5000)
    event = MessageEventData(
        type=EventType.TOOL_CALL, message_id=7, session_id=3, seq=2, tool_call=call
    )
    decoded = MessageEventData.decode(event.encode())
    assert decoded.tool_call.output == "x" * TOOL_OUTPUT_EVENT_CHARS + "…"


def test_terminal_events_carry_their_code_and_only_they_end_a_stream():
    failed = MessageEventData(
        type=TERMINAL_TYPE_BY_STATUS[MessageStatus.FAILED],
        message_id=7,
        session_id=3,
        seq=9,
        code="TIMEOUT",
        retryable=True,
    )
    assert json.loads(failed.encode()) == {
        "type": "failed",
        "message_id": 7,
        "session_id": 3,
        "seq": 9,
        "code": "TIMEOUT",
        "retryable": True,
    }
    assert MessageEventData.decode(failed.encode()).terminal
    assert not EventType.DELTA.terminal and not EventType.ADDED.terminal


def test_stop_requests_decode_only_what_they_encode():
    assert decode_cancel_request(encode_cancel_request(42)) == 42
    assert decode_cancel_request("not json") is None
    assert decode_cancel_request('{"cancel": "42"}') is None
