"""Following the tutor's answers live: `messageEvents` and `sessionEvents`.

The protocol (cursors, gaps, snapshots, held events, re-reads) is the followers' in
`tutor.stream.followers`; these resolvers only turn what a follower yields into
GraphQL events.
"""

from collections.abc import AsyncGenerator

import strawberry

from db.channels import message_channel, session_channel
from db.chat.states import MessageStatus
from db.chat.tool_calls import ToolCall as ToolCallData
from schema.chat.types import (
    Message,
    MessageAdded,
    MessageCancelled,
    MessageCompleted,
    MessageDelta,
    MessageEvent,
    MessageFailed,
    MessageSnapshot,
    ToolCall,
    ToolCallEvent,
)
from schema.context import Info
from schema.relay import row_id_of, to_global_id
from tutor.stream.codec import EventType, MessageEventData
from tutor.stream.followers import (
    Added,
    Ended,
    FollowedItem,
    MessageFollower,
    SessionFollower,
    Snapshot,
)


def to_event(item: FollowedItem) -> MessageEvent:
    """The GraphQL event for one item a follower yields."""
    if isinstance(item, MessageEventData):
        return _live_event(item)
    message = Message.from_row(item.row)
    if isinstance(item, Snapshot):
        return MessageSnapshot(message_id=message.id, seq=item.seq, message=message)
    if isinstance(item, Added):
        return MessageAdded(message_id=message.id, seq=item.seq, message=message)
    return _terminal_event(item, message)


def _terminal_event(item: Ended, message: Message) -> MessageEvent:
    if item.row.status == MessageStatus.COMPLETE:
        return MessageCompleted(message_id=message.id, seq=item.seq, message=message)
    if item.row.status == MessageStatus.CANCELLED:
        return MessageCancelled(message_id=message.id, seq=item.seq, message=message)
    return MessageFailed(
        message_id=message.id,
        seq=item.seq,
        code=item.code,
        retryable=item.retryable,
        message=message,
    )


def _live_event(event: MessageEventData) -> MessageEvent:
    message_id = to_global_id("Message", event.message_id)
    if event.type == EventType.DELTA:
        return MessageDelta(message_id=message_id, seq=event.seq, delta=event.delta or "")
    call = event.tool_call or ToolCallData.from_json({})
    return ToolCallEvent(message_id=message_id, seq=event.seq, tool_call=ToolCall.from_data(call))


@strawberry.type
class ChatSubscriptions:
    @strawberry.subscription(
        description="Events of one assistant message: a MessageSnapshot first when the "
        "subscriber is behind (afterSeq below the current seq), then live events; it "
        "completes after the terminal event (MessageCompleted, MessageCancelled or "
        "MessageFailed). Closing it never stops the generation."
    )
    async def message_events(
        self, info: Info, message_id: strawberry.ID, after_seq: int | None = 0
    ) -> AsyncGenerator[MessageEvent, None]:
        context = info.context
        owner_id = context.require_user_id()
        row_id = row_id_of(message_id, "Message", field="messageId")
        follower = await MessageFollower.open(
            context.session_factory,
            owner_id=owner_id,
            message_id=row_id,
            after_seq=after_seq or 0,
            check_access=context.require_user_id,
        )
        async with context.listen(owner_id, message_channel(row_id)) as events:
            async for item in follower.follow(events):
                yield to_event(item)

    @strawberry.subscription(
        description="Every event of every message of a session, for as long as the client "
        "listens: MessageAdded for each new message (seq 0), then each answer's events."
    )
    async def session_events(
        self, info: Info, session_id: strawberry.ID
    ) -> AsyncGenerator[MessageEvent, None]:
        context = info.context
        owner_id = context.require_user_id()
        row_id = row_id_of(session_id, "StudySession", field="sessionId")
        follower = await SessionFollower.open_for(
            context.session_factory,
            owner_id=owner_id,
            session_id=row_id,
            check_access=context.require_user_id,
        )
        async with context.listen(owner_id, session_channel(row_id)) as events:
            async for item in follower.follow(events):
                yield to_event(item)
