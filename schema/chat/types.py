"""GraphQL types of messages and their events."""

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from db.chat.budget import TokenUsageToday
from db.chat.tool_calls import ToolCall as ToolCallData
from db.chat.turns import Turn
from db.models import Message as MessageRow
from schema.context import Info
from schema.materials.types import Citation, live_citations
from schema.relay import Node, load_or_not_found, to_global_id
from schema.sessions.modes import StudyMode

if TYPE_CHECKING:
    from schema.sessions.types import StudySession

StudySessionType = Annotated["StudySession", strawberry.lazy("schema.sessions.types")]


@strawberry.enum(description="Who wrote a message.")
class MessageRole(Enum):
    USER = strawberry.enum_value("USER", description="The learner.")
    ASSISTANT = strawberry.enum_value("ASSISTANT", description="The tutor.")


@strawberry.enum(description="Where an assistant message is in its life.")
class MessageStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Stored; the tutor has not begun.")
    STREAMING = strawberry.enum_value("STREAMING", description="The tutor is writing it.")
    COMPLETE = strawberry.enum_value("COMPLETE", description="Finished.")
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Stopped by stopGeneration; the partial text is kept."
    )
    FAILED = strawberry.enum_value(
        "FAILED", description="Ended by an error (see errorCode); the partial text is kept."
    )


@strawberry.type(description="Tokens a model call consumed.")
class TokenUsage:
    input_tokens: int = strawberry.field(description="Prompt tokens, history included.")
    output_tokens: int = strawberry.field(description="Generated tokens.")


@strawberry.enum(description="Where a tool call is.")
class ToolCallStatus(Enum):
    RUNNING = strawberry.enum_value("RUNNING", description="Called; no result yet.")
    DONE = strawberry.enum_value("DONE", description="Returned its output.")
    FAILED = strawberry.enum_value("FAILED", description="Never returned (the turn ended).")


@strawberry.type(description="A tool the tutor called while answering.")
class ToolCall:
    call_id: str = strawberry.field(description="The model's id for this call.")
    name: str = strawberry.field(description="The tool's name.")
    arguments: JSON = strawberry.field(description="The arguments the model chose.")
    output: str | None = strawberry.field(description="What the tool returned; null if running.")
    status: ToolCallStatus = strawberry.field(description="Where the call is.")

    @classmethod
    def from_data(cls, call: ToolCallData) -> "ToolCall":
        return cls(
            call_id=call.call_id,
            name=call.name,
            arguments=call.arguments,
            output=call.output,
            status=ToolCallStatus(call.status.value),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ToolCall":
        """A call as stored in the message row."""
        return cls.from_data(ToolCallData.from_json(data))


@strawberry.type(description="A learner's message or one of the tutor's answers.")
class Message(Node):
    role: MessageRole = strawberry.field(description="Who wrote it.")
    content: str = strawberry.field(
        description="The text; while streaming, as of the last flush (at most a second old)."
    )
    status: MessageStatus = strawberry.field(description="Where the message is in its life.")
    mode: StudyMode = strawberry.field(description="The tutor's mode for this turn.")
    model: str | None = strawberry.field(
        description="`provider:model` that wrote it: a fallback model's when the chosen one "
        "failed before answering."
    )
    error_code: str | None = strawberry.field(description="Why it FAILED, as a code.")
    created_at: datetime = strawberry.field(description="When it was stored.")
    completed_at: datetime | None = strawberry.field(description="When it reached its end.")
    row: strawberry.Private[MessageRow]

    @classmethod
    def from_row(cls, row: MessageRow) -> "Message":
        return cls(
            id=to_global_id("Message", row.id),
            row=row,
            role=MessageRole(row.role),
            content=row.content,
            status=MessageStatus(row.status),
            mode=StudyMode(row.mode),
            model=row.model,
            error_code=row.error_code,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )

    @strawberry.field(description="The session the message belongs to.")
    async def session(self, info: Info) -> StudySessionType:
        from schema.sessions.types import StudySession

        loader = info.context.loaders.session_by_id
        row = await load_or_not_found(loader, self.row.session_id, "StudySession")
        return StudySession.from_row(row)

    @strawberry.field(
        description="The message this one answers or re-answers; siblings with one parent "
        "are branches."
    )
    async def parent(self, info: Info) -> "Message | None":
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.message_by_id.load(self.row.parent_id)
        return Message.from_row(row) if row else None

    @strawberry.field(
        description="The passages of the learner's material this answer rests on (those of "
        "since-deleted material drop out)."
    )
    async def citations(self, info: Info) -> list[Citation]:
        return await live_citations(info, self.row.citations or [])

    @strawberry.field(description="The tools the tutor called for this answer, in order.")
    def tool_calls(self) -> list[ToolCall]:
        return [ToolCall.from_json(item) for item in self.row.tool_calls or []]

    @strawberry.field(description="Tokens the answer cost; null until known.")
    def usage(self) -> TokenUsage | None:
        if self.row.input_tokens is None and self.row.output_tokens is None:
            return None
        return TokenUsage(
            input_tokens=self.row.input_tokens or 0, output_tokens=self.row.output_tokens or 0
        )


@strawberry.input(description="A message to the tutor.")
class SendMessageInput:
    session_id: strawberry.ID = strawberry.field(description="The session to write in.")
    content: str = strawberry.field(description="The learner's text (at most 20,000 characters).")
    client_message_id: str | None = strawberry.field(
        default=None,
        description="Client-chosen idempotency key: a retry with the same key returns the "
        "first result.",
    )
    mode: StudyMode | None = strawberry.field(
        default=None, description="The tutor's mode for this turn; defaults to the session's."
    )
    model: str | None = strawberry.field(
        default=None, description="`provider:model` for this turn; defaults to the session's."
    )


@strawberry.type(description="The messages a turn created; the answer streams afterwards.")
class SendMessagePayload:
    user_message: Message | None = strawberry.field(
        description="The learner's message; null for giveMoreInfo and regenerateMessage."
    )
    assistant_message: Message = strawberry.field(
        description="The tutor's answer, PENDING: follow it with messageEvents."
    )

    @classmethod
    def from_turn(cls, turn: Turn) -> "SendMessagePayload":
        return cls(
            user_message=Message.from_row(turn.user_message) if turn.user_message else None,
            assistant_message=Message.from_row(turn.assistant_message),
        )


@strawberry.interface(
    description="One event of an assistant message's life. `seq` starts at 1 and grows by "
    "one per event of that message; a client that resumes with `afterSeq` receives every "
    "later event exactly once, in order."
)
class MessageEvent:
    message_id: strawberry.ID = strawberry.field(description="The message's id.")
    seq: int = strawberry.field(description="The event's position in the message's life.")


@strawberry.type(
    description="The message as stored when a subscriber is behind: it stands for every "
    "event up to and including `seq`."
)
class MessageSnapshot(MessageEvent):
    message: Message = strawberry.field(description="The message as of `seq`.")


@strawberry.type(description="More text of the answer.")
class MessageDelta(MessageEvent):
    delta: str = strawberry.field(description="Text to append.")


@strawberry.type(description="A tool call started or returned.")
class ToolCallEvent(MessageEvent):
    tool_call: ToolCall = strawberry.field(description="The call, as it stands now.")


@strawberry.type(description="The answer is complete: the terminal event.")
class MessageCompleted(MessageEvent):
    message: Message = strawberry.field(description="The final message.")


@strawberry.type(description="stopGeneration stopped the answer: the terminal event.")
class MessageCancelled(MessageEvent):
    message: Message = strawberry.field(description="The message with its partial text.")


@strawberry.type(description="The answer failed: the terminal event.")
class MessageFailed(MessageEvent):
    code: str = strawberry.field(
        description="PROVIDER_UNAVAILABLE, RATE_LIMITED, PROVIDER_AUTH, TIMEOUT, MAX_TURNS, "
        "INTERRUPTED (the server running it stopped), ANSWER_TOO_LONG (the text up to the "
        "size limit is kept) or INTERNAL."
    )
    retryable: bool = strawberry.field(description="Whether asking again may work.")
    message: Message = strawberry.field(description="The message with its partial text.")


@strawberry.type(description="A new message in the session (sessionEvents only).")
class MessageAdded(MessageEvent):
    message: Message = strawberry.field(description="The new message.")


MESSAGE_EVENT_TYPES = [
    MessageSnapshot,
    MessageDelta,
    ToolCallEvent,
    MessageCompleted,
    MessageCancelled,
    MessageFailed,
    MessageAdded,
]


@strawberry.type(description="The learner's token use today and what is left of the budget.")
class UsageSummary:
    day: date = strawberry.field(description="Today in the learner's time zone.")
    input_tokens: int = strawberry.field(description="Prompt tokens used today.")
    output_tokens: int = strawberry.field(description="Generated tokens used today.")
    daily_token_budget: int | None = strawberry.field(
        description="Tokens allowed per day; null when unlimited."
    )
    remaining_tokens: int | None = strawberry.field(
        description="What is left today; null when unlimited."
    )

    @classmethod
    def from_usage(cls, usage: TokenUsageToday) -> "UsageSummary":
        return cls(
            day=usage.day,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            daily_token_budget=usage.budget,
            remaining_tokens=usage.remaining,
        )
