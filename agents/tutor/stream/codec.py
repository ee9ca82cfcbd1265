"""The wire form of a message's events on the bus, shared by the runner and followers.

Every event of a message is published twice, on the message's channel (for
`messageEvents`) and on its session's (for `sessionEvents`). Payloads are small JSON
objects (PostgreSQL NOTIFY carries less than 8000 bytes, and the bus refuses more on
every backend): a long delta is split into several events before it gets here
(`publish`), tool events carry their arguments and output truncated in bytes, and
terminal events carry no text at all, since a subscriber reads the final message from
the database.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from db.chat.states import FailureCode, MessageStatus
from db.chat.tool_calls import ToolCall
from tutor.stream.byte_bounds import (
    TOOL_ARGUMENTS_EVENT_BYTES,
    TOOL_OUTPUT_EVENT_BYTES,
    bounded_arguments,
    truncate_by_bytes,
)


class EventType(StrEnum):
    """What one published event says."""

    DELTA = "delta"
    TOOL_CALL = "tool_call"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    # A new message in the session (seq 0), on the session's channel only.
    ADDED = "added"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_TYPE_BY_STATUS.values()


TERMINAL_TYPE_BY_STATUS = {
    MessageStatus.COMPLETE: EventType.COMPLETED,
    MessageStatus.CANCELLED: EventType.CANCELLED,
    MessageStatus.FAILED: EventType.FAILED,
}


@dataclass(frozen=True)
class MessageEventData:
    """One event of one message, as published and as received."""

    type: EventType
    message_id: int
    session_id: int
    seq: int
    delta: str | None = None
    tool_call: ToolCall | None = None
    # Why it failed, on failed events.
    code: FailureCode | None = None
    # Followers derive it from the code; still sent for processes of an older release
    # that read it from the event during a rolling upgrade.
    retryable: bool | None = None

    @property
    def terminal(self) -> bool:
        return self.type.terminal

    def encode(self) -> str:
        payload: dict[str, Any] = {
            "type": self.type.value,
            "message_id": self.message_id,
            "session_id": self.session_id,
            "seq": self.seq,
        }
        if self.delta is not None:
            payload["delta"] = self.delta
        if self.tool_call is not None:
            payload["tool_call"] = _bounded_tool_call(self.tool_call.to_json())
        if self.code is not None:
            payload["code"] = str(self.code)
            payload["retryable"] = bool(self.retryable)
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, payload: str) -> "MessageEventData":
        data = json.loads(payload)
        tool_call = data.get("tool_call")
        return cls(
            type=EventType(data["type"]),
            message_id=data["message_id"],
            session_id=data["session_id"],
            seq=data["seq"],
            delta=data.get("delta"),
            tool_call=None if tool_call is None else ToolCall.from_json(tool_call),
            code=None if data.get("code") is None else FailureCode(data["code"]),
            retryable=data.get("retryable"),
        )


def _bounded_tool_call(tool_call: dict[str, Any]) -> dict[str, Any]:
    # The full call is in the row (Message.toolCalls); the event carries a preview.
    bounded = {
        **tool_call,
        "arguments": bounded_arguments(tool_call.get("arguments"), TOOL_ARGUMENTS_EVENT_BYTES),
    }
    output = tool_call.get("output")
    if isinstance(output, str):
        bounded["output"] = truncate_by_bytes(output, TOOL_OUTPUT_EVENT_BYTES)
    return bounded


def encode_cancel_request(message_id: int) -> str:
    return json.dumps({"cancel": message_id})


def decode_cancel_request(payload: str) -> int | None:
    try:
        value = json.loads(payload).get("cancel")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None
