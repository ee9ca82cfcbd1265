"""The wire form of stream events: round trips, bounded tool output, stop requests."""

import json

from db.chat.states import MessageStatus
from db.chat.tool_calls import ToolCall
from tutor.stream.byte_bounds import TOOL_ARGUMENTS_EVENT_BYTES, TOOL_OUTPUT_EVENT_BYTES
from tutor.stream.codec import (
    TERMINAL_TYPE_BY_STATUS,
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


def test_a_long_tool_output_travels_as_a_preview_bounded_in_bytes():
    # 3 bytes a character: a character count would let three times the bytes through.
    call = ToolCall(call_id="c1", name="search_material", arguments={}).returned("€" * 5000)
    event = MessageEventData(
        type=EventType.TOOL_CALL, message_id=7, session_id=3, seq=2, tool_call=call
    )
    decoded = MessageEventData.decode(event.encode())
    output = decoded.tool_call.output
    assert output.startswith("€" * 100) and output.endswith("…")
    assert len(output.encode()) <= TOOL_OUTPUT_EVENT_BYTES


def test_long_tool_arguments_travel_as_a_bounded_preview():
    arguments = {"query": "ü" * 9000}
    call = ToolCall(call_id="c1", name="search_material", arguments=arguments)
    event = MessageEventData(
        type=EventType.TOOL_CALL, message_id=7, session_id=3, seq=2, tool_call=call
    )
    payload = event.encode()
    assert len(payload.encode()) < 8000
    sent = MessageEventData.decode(payload).tool_call.arguments
    assert sent["truncated"] is True
    assert sent["preview"].startswith('{"query": "üü')
    assert len(json.dumps(sent, ensure_ascii=False).encode()) <= TOOL_ARGUMENTS_EVENT_BYTES


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
