"""One tool call of an answer, as stored in `Message.tool_calls` and sent in its events."""

from dataclasses import dataclass, replace
from typing import Any

from db.chat.states import ToolCallStatus


@dataclass(frozen=True)
class ToolCall:
    """A tool the tutor called: what it asked for and, once returned, what it got."""

    call_id: str
    name: str
    arguments: Any
    output: str | None = None
    status: ToolCallStatus = ToolCallStatus.RUNNING

    def returned(self, output: str) -> "ToolCall":
        """The call once the tool has answered."""
        return replace(self, output=output, status=ToolCallStatus.DONE)

    def failed(self, error: str) -> "ToolCall":
        """The call once the tool has raised: what the model was told, and FAILED."""
        return replace(self, output=error, status=ToolCallStatus.FAILED)

    def ended_unanswered(self) -> "ToolCall":
        """The call as stored when the turn ended: one still running never returned."""
        if self.status is ToolCallStatus.RUNNING:
            return replace(self, status=ToolCallStatus.FAILED)
        return self

    def to_json(self) -> dict[str, Any]:
        """The stored (and published) shape: a plain JSON object."""
        return {
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments,
            "output": self.output,
            "status": self.status.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ToolCall":
        """A stored or published call; missing fields read as empty (and status DONE)."""
        return cls(
            call_id=str(data.get("call_id") or ""),
            name=str(data.get("name") or ""),
            arguments=data.get("arguments") or {},
            output=data.get("output"),
            status=ToolCallStatus(data.get("status") or ToolCallStatus.DONE),
        )
