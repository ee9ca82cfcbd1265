"""Following the tutor's answers live: `messageEvents` and `sessionEvents`.

`messageEvents` delivers every event of one answer exactly once and in order, whether
the client joins late, resumes with `afterSeq`, falls behind, or listens on another
process than the one generating. It subscribes first and reads the row second, so
nothing published in between is lost; events it has missed (published before it
subscribed, or dropped because it fell behind) are covered by a MessageSnapshot taken
from the row, which the runner flushes together with the seq it covers. When the next
live event is ahead of the row, the subscriber waits (at most a flush interval) for the
row to catch up before sending the snapshot.
"""

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from db.chat import turns
from db.engine import unit_of_work
from db.errors import BadUserInput
from db.models import Message as MessageRow
from db.pubsub import SubscriberLagged
from db.study import study_sessions
from schema.chat.types import (
    RETRYABLE_CODES,
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
from schema.context import Context, Info
from schema.relay import row_id_of, to_global_id
from tutor.events import (
    ADDED,
    DELTA,
    MessageEventData,
    message_channel,
    session_channel,
)

# With no event for this long, re-read the row (a reaped turn, a lost terminal event)
# and re-check the token: a subscription must not outlive its access token.
LIVENESS_SECONDS = 5.0
# How long a subscriber waits for the row to cover a gap before it settles for less.
CATCH_UP_SECONDS = 5.0
CATCH_UP_POLL_SECONDS = 0.05


async def _read_message(context: Context, owner_id: int, message_id: int) -> MessageRow:
    async with unit_of_work(context.session_factory) as session:
        return await turns.get_message(session, owner_id=owner_id, message_id=message_id)


def _terminal_event(row: MessageRow, seq: int, event: MessageEventData | None = None):
    message = Message.from_row(row)
    message_id = message.id
    if row.status == turns.COMPLETE:
        return MessageCompleted(message_id=message_id, seq=seq, message=message)
    if row.status == turns.CANCELLED:
        return MessageCancelled(message_id=message_id, seq=seq, message=message)
    code = (event.code if event else None) or row.error_code or "INTERNAL"
    retryable = event.retryable if event and event.retryable is not None else None
    return MessageFailed(
        message_id=message_id,
        seq=seq,
        code=code,
        retryable=code in RETRYABLE_CODES if retryable is None else retryable,
        message=message,
    )


def _live_event(event: MessageEventData):
    message_id = to_global_id("Message", event.message_id)
    if event.type == DELTA:
        return MessageDelta(message_id=message_id, seq=event.seq, delta=event.delta or "")
    return ToolCallEvent(
        message_id=message_id, seq=event.seq, tool_call=ToolCall.from_json(event.tool_call or {})
    )


class _MessageFollower:
    """One messageEvents subscriber: its cursor and the events it holds back."""

    def __init__(self, context: Context, owner_id: int, message_id: int, cursor: int) -> None:
        self.context = context
        self.owner_id = owner_id
        self.message_id = message_id
        self.cursor = cursor
        self.finished = False
        self.held: dict[int, MessageEventData] = {}

    async def follow(self, events) -> AsyncGenerator[MessageEvent, None]:
        for item in self._from_row(await self._read(), initial=True):
            yield item
        while not self.finished:
            try:
                payload = await events.next_within(LIVENESS_SECONDS)
            except TimeoutError:
                self.context.require_user_id()
                for item in self._from_row(await self._read()):
                    yield item
                continue
            except SubscriberLagged:
                for item in self._from_row(await self._read_covering(None)):
                    yield item
                continue
            async for item in self._on_event(MessageEventData.decode(payload)):
                yield item

    async def _on_event(self, event: MessageEventData) -> AsyncGenerator[MessageEvent, None]:
        if event.seq <= self.cursor:
            if event.terminal:
                # A reaped turn: its process published past the last flush, so the
                # terminal seq can be at or below what this client already saw.
                for item in self._from_row(await self._read()):
                    yield item
            return
        self.held[event.seq] = event
        if event.seq > self.cursor + 1:
            # A gap: wait for the row to cover what is missing, then snapshot from it.
            row = await self._read_covering(min(self.held) - 1)
            for item in self._from_row(row):
                yield item
        while not self.finished and self.cursor + 1 in self.held:
            next_event = self.held.pop(self.cursor + 1)
            if next_event.terminal:
                row = await self._read()
                self.cursor = next_event.seq
                self.finished = True
                yield _terminal_event(row, next_event.seq, next_event)
                return
            self.cursor = next_event.seq
            yield _live_event(next_event)
        self.held = {seq: held for seq, held in self.held.items() if seq > self.cursor}

    def _from_row(self, row: MessageRow, *, initial: bool = False):
        """What the client lacks of the row's state, as snapshot and terminal events."""
        if row.status in turns.TERMINAL_STATUSES:
            self.finished = True
            if self.cursor < row.last_seq - 1:
                yield MessageSnapshot(
                    message_id=to_global_id("Message", row.id),
                    seq=row.last_seq - 1,
                    message=Message.from_row(row),
                )
            if self.cursor < row.last_seq:
                yield _terminal_event(row, row.last_seq)
            elif not initial or self.cursor > row.last_seq:
                # A reaped turn whose process published past its last flush: this client
                # saw seqs the row never stored (also when it resumes with such an
                # afterSeq). Keep seq monotonic for it.
                yield _terminal_event(row, self.cursor + 1)
            return
        if row.last_seq > self.cursor:
            self.cursor = row.last_seq
            yield MessageSnapshot(
                message_id=to_global_id("Message", row.id),
                seq=row.last_seq,
                message=Message.from_row(row),
            )

    async def _read(self) -> MessageRow:
        return await _read_message(self.context, self.owner_id, self.message_id)

    async def _read_covering(self, seq: int | None) -> MessageRow:
        """The row once it covers `seq` (or has ended), waiting a bounded time for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_SECONDS
        while True:
            row = await self._read()
            done = row.status in turns.TERMINAL_STATUSES
            if done or seq is None or row.last_seq >= seq or loop.time() >= deadline:
                return row
            await asyncio.sleep(CATCH_UP_POLL_SECONDS)


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
        cursor = after_seq or 0
        if cursor < 0:
            raise BadUserInput("afterSeq must not be negative", field="afterSeq")
        row = await _read_message(context, owner_id, row_id)  # NOT_FOUND before anything
        if row.role != turns.ASSISTANT:
            raise BadUserInput("only the tutor's answers have events", field="messageId")
        async with context.listen(owner_id, message_channel(row_id)) as events:
            follower = _MessageFollower(context, owner_id, row_id, cursor)
            async for item in follower.follow(events):
                yield item

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
        async with unit_of_work(context.session_factory) as session:
            await study_sessions.get_study_session(session, owner_id=owner_id, session_id=row_id)
        async with context.listen(owner_id, session_channel(row_id)) as events:
            async with unit_of_work(context.session_factory) as session:
                newest = await turns.get_newest_message_id(
                    session, owner_id=owner_id, session_id=row_id
                )
            follower = _SessionFollower(context, owner_id, row_id, newest)
            async for item in follower.follow(events):
                yield item


class _SessionFollower:
    """One sessionEvents subscriber: which answers it has seen start but not end.

    Live events pass straight through. After a lag, and on quiet periods while an answer
    it follows is still open, it re-reads the session: messages added meanwhile are
    announced, answers that ended meanwhile get their terminal event, and (after a lag)
    running ones a snapshot. Without this a dropped terminal event would leave the
    client waiting forever.
    """

    def __init__(self, context: Context, owner_id: int, session_id: int, newest: int) -> None:
        self.context = context
        self.owner_id = owner_id
        self.session_id = session_id
        # Messages up to this id are the client's already (or were announced to it).
        self.newest_announced = newest
        # Answers whose events it has had but not their end.
        self.open: set[int] = set()
        # What a re-read already sent, so the live event arriving later is not repeated.
        self.announced_by_reread: set[int] = set()
        self.ended_by_reread: set[int] = set()

    async def follow(self, events) -> AsyncGenerator[MessageEvent, None]:
        while True:
            try:
                payload = await events.next_within(LIVENESS_SECONDS)
            except TimeoutError:
                self.context.require_user_id()
                if self.open:
                    for item in await self._reread(lagged=False):
                        yield item
                continue
            except SubscriberLagged:
                for item in await self._reread(lagged=True):
                    yield item
                continue
            item = await self._on_event(MessageEventData.decode(payload))
            if item is not None:
                yield item

    async def _on_event(self, event: MessageEventData):
        message_id = event.message_id
        if event.type == ADDED:
            self.newest_announced = max(self.newest_announced, message_id)
            if message_id in self.announced_by_reread:
                return None
            row = await _read_message(self.context, self.owner_id, message_id)
            return MessageAdded(
                message_id=to_global_id("Message", row.id),
                seq=event.seq,
                message=Message.from_row(row),
            )
        if message_id in self.ended_by_reread:
            return None  # a straggler of an answer whose end the client already has
        if event.terminal:
            self.open.discard(message_id)
            row = await _read_message(self.context, self.owner_id, message_id)
            return _terminal_event(row, event.seq, event)
        self.open.add(message_id)
        return _live_event(event)

    async def _reread(self, *, lagged: bool) -> list:
        async with unit_of_work(self.context.session_factory) as session:
            rows = await turns.list_session_changes(
                session,
                owner_id=self.owner_id,
                session_id=self.session_id,
                after_id=self.newest_announced,
                message_ids=sorted(self.open),
            )
        items: list = []
        for row in rows:
            message_id = to_global_id("Message", row.id)
            if row.id > self.newest_announced:
                self.newest_announced = row.id
                self.announced_by_reread.add(row.id)
                items.append(
                    MessageAdded(message_id=message_id, seq=0, message=Message.from_row(row))
                )
                if row.role == turns.ASSISTANT:
                    self.open.add(row.id)  # ended already: its terminal event follows
            if row.id not in self.open:
                continue
            if row.status in turns.TERMINAL_STATUSES:
                self.open.discard(row.id)
                self.ended_by_reread.add(row.id)
                items.append(_terminal_event(row, row.last_seq))
            elif lagged and row.last_seq > 0:
                items.append(
                    MessageSnapshot(
                        message_id=message_id, seq=row.last_seq, message=Message.from_row(row)
                    )
                )
        return items
