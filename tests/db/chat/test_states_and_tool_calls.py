"""The stored values of message states and tool calls: enums that read as the old strings."""

import json

import pytest

from db.chat.states import (
    RUNNING_STATUSES,
    TERMINAL_STATUSES,
    FailureCode,
    MessageStatus,
    ToolCallStatus,
    is_retryable,
)
from db.chat.tool_calls import ToolCall


def test_statuses_are_stored_as_the_plain_strings():
    assert [status.value for status in RUNNING_STATUSES] == ["PENDING", "STREAMING"]
    assert [status.value for status in TERMINAL_STATUSES] == ["COMPLETE", "CANCELLED", "FAILED"]
    assert json.dumps({"status": MessageStatus.COMPLETE}) == '{"status": "COMPLETE"}'
    assert "STREAMING" in RUNNING_STATUSES and MessageStatus("FAILED") in TERMINAL_STATUSES


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (FailureCode.PROVIDER_UNAVAILABLE, True),
        (FailureCode.RATE_LIMITED, True),
        (FailureCode.TIMEOUT, True),
        (FailureCode.INTERRUPTED, True),
        (FailureCode.PROVIDER_AUTH, False),
        (FailureCode.MAX_TURNS, False),
        (FailureCode.INTERNAL, False),
        ("SOMETHING_NEW", False),
    ],
)
def test_the_one_retryable_rule(code, retryable):
    assert is_retryable(code) is retryable


def test_a_tool_call_keeps_the_stored_json_shape():
    call = ToolCall(call_id="c1", name="search_material", arguments={"query": "loops"})
    assert call.to_json() == {
        "call_id": "c1",
        "name": "search_material",
        "arguments": {"query": "loops"},
        "output": None,
        "status": "RUNNING",
    }
    done = call.returned("[1] a for loop repeats")
    assert list(done.to_json()) == ["call_id", "name", "arguments", "output", "status"]
    assert (done.output, done.status) == ("[1] a for loop repeats", ToolCallStatus.DONE)
    assert ToolCall.from_json(done.to_json()) == done


def test_a_tool_call_left_running_ends_failed_and_others_keep_their_state():
    running = ToolCall(call_id="c1", name="search_material", arguments={})
    assert running.ended_unanswered().status == ToolCallStatus.FAILED
    done = running.returned("x")
    assert done.ended_unanswered() is done


def test_a_sparse_stored_call_reads_as_done_with_empty_fields():
    call = ToolCall.from_json({"name": "search_material"})
    assert (call.call_id, call.arguments, call.output, call.status) == (
        "",
        {},
        None,
        ToolCallStatus.DONE,
    )
