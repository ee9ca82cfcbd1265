"""Following an answer, or a whole session, as a subscriber: every event once, in order.

`MessageFollower` delivers every event of one answer exactly once and in order,
whether the client joins late, resumes with `afterSeq`, falls behind, or listens on
another process than the one generating. Its caller subscribes first and the follower
reads the row second, so nothing published in between is lost; events it has missed
(published before it subscribed, or dropped because it fell behind) are covered by a
`Snapshot` taken from the row, which the runner flushes together with the seq it
covers. When the next live event is ahead of the row, the follower holds it and waits
(at most CATCH_UP_SECONDS) for the row to catch up before sending the snapshot.

`SessionFollower` passes a session's live events through and re-reads the session
after a lag or a quiet spell, so that a lost event never leaves the client waiting.

Both yield plain items (`Snapshot`, `Ended`, `Added`, or a live `MessageEventData`);
the API layer turns them into its own types.
"""

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from db.chat import messages
from db.chat.states import (
    TERMINAL_STATUSES,
    FailureCode,
    MessageRole,
    MessageStatus,
    is_retryable,
)
from db.engine import SessionFactory, unit_of_work
from db.errors import BadUserInput
from db.models import Message
from db.pubsub import LIVENESS_SECONDS, SubscriberLagged, Subscription
from db.study import study_sessions
from tutor.stream.codec import EventType, MessageEventData

# LIVENESS_SECONDS: with no event for that long, re-read the row (a reaped turn, a
# lost terminal event) and re-check access.

# How long a follower waits for the row to cover a gap before it settles for less.
CATCH_UP_SECONDS = 5.0
CATCH_UP_POLL_SECONDS = 0.05
# GraphQL's Int: no seq can be sent beyond it.
MAX_SEQ = 2**31 - 1


@dataclass(frozen=True)
class Snapshot:
    """The message as stored: it stands for every event up to and including `seq`."""

    row: Message
    seq: int


@dataclass(frozen=True)
class Ended:
    """The terminal event; the row's status says how it ended."""

    row: Message
    seq: int
    # Why it failed (meaningful for FAILED).
    code: FailureCode

    @property
    def retryable(self) -> bool:
        """Whether asking again may work: the one rule, from the code."""
        return is_retryable(self.code)


@dataclass(frozen=True)
class Added:
    """A new message in the session."""

    row: Message
    seq: int


FollowedItem = Snapshot | Ended | Added | MessageEventData


def ended(row: Message, seq: int, event: MessageEventData | None = None) -> Ended:
    """The terminal item, with the code the event carried (or the row's)."""
    code = FailureCode((event.code if event else None) or row.error_code or FailureCode.INTERNAL)
    return Ended(row=row, seq=seq, code=code)


class MessageFollower:
    """One messageEvents subscriber: its cursor and the events it holds back."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        message_id: int,
        cursor: int,
        check_access: Callable[[], object],
    ) -> None:
        self.session_factory = session_factory
        self.owner_id = owner_id
        self.message_id = message_id
        self.cursor = cursor
        self.check_access = check_access
        self.finished = False
        self.held: dict[int, MessageEventData] = {}

    @classmethod
    async def open(
        cls,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        message_id: int,
        after_seq: int,
        check_access: Callable[[], object],
    ) -> "MessageFollower":
        """A follower of the caller's answer; NOT_FOUND or BAD_USER_INPUT before anything."""
        if after_seq < 0:
            raise BadUserInput("afterSeq must not be negative", field="afterSeq")
        if after_seq >= MAX_SEQ:
            raise BadUserInput(f"afterSeq must be below {MAX_SEQ}", field="afterSeq")
        row = await messages.read_message(session_factory, owner_id=owner_id, message_id=message_id)
        if row.role != MessageRole.ASSISTANT:
            raise BadUserInput("only the tutor's answers have events", field="messageId")
        if row.status in TERMINAL_STATUSES:
            _check_cursor(row, after_seq)
        return cls(
            session_factory,
            owner_id=owner_id,
            message_id=message_id,
            cursor=after_seq,
            check_access=check_access,
        )

    async def follow(self, events: Subscription) -> AsyncGenerator[FollowedItem, None]:
        """Everything after the cursor, from the row and `events` (already subscribed)."""
        for item in self._from_row(await self._read(), initial=True):
            yield item
        while not self.finished:
            try:
                payload = await events.next_within(LIVENESS_SECONDS)
            except TimeoutError:
                self.check_access()
                for item in self._from_row(await self._read()):
                    yield item
                continue
            except SubscriberLagged:
                for item in self._from_row(await self._read_covering(None)):
                    yield item
                continue
            async for item in self._on_event(MessageEventData.decode(payload)):
                yield item

    async def _on_event(self, event: MessageEventData) -> AsyncGenerator[FollowedItem, None]:
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
                yield ended(row, next_event.seq, next_event)
                return
            self.cursor = next_event.seq
            yield next_event
        self.held = {seq: held for seq, held in self.held.items() if seq > self.cursor}

    def _from_row(self, row: Message, *, initial: bool = False):
        """What the client lacks of the row's state, as snapshot and terminal items."""
        if row.status in TERMINAL_STATUSES:
            self.finished = True
            if self.cursor < row.last_seq - 1:
                yield Snapshot(row=row, seq=row.last_seq - 1)
            if self.cursor < row.last_seq:
                yield ended(row, row.last_seq)
            elif not initial or self.cursor > row.last_seq:
                # A reaped turn whose process published past its last flush: this client
                # saw seqs the row never stored (also when it resumes with such an
                # afterSeq). Keep seq monotonic for it.
                _check_cursor(row, self.cursor)
                yield ended(row, self.cursor + 1)
            return
        if row.last_seq > self.cursor:
            self.cursor = row.last_seq
            yield Snapshot(row=row, seq=row.last_seq)

    async def _read(self) -> Message:
        return await messages.read_message(
            self.session_factory, owner_id=self.owner_id, message_id=self.message_id
        )

    async def _read_covering(self, seq: int | None) -> Message:
        """The row once it covers `seq` (or has ended), waiting a bounded time for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CATCH_UP_SECONDS
        while True:
            row = await self._read()
            done = row.status in TERMINAL_STATUSES
            if done or seq is None or row.last_seq >= seq or loop.time() >= deadline:
                return row
            await asyncio.sleep(CATCH_UP_POLL_SECONDS)


def _check_cursor(row: Message, cursor: int) -> None:
    """BAD_USER_INPUT for a cursor past the end of an answer that ended where it ran.

    Its stored terminal seq is its last event: a client claiming more made it up, and
    is told so rather than sent a terminal event with an invented seq. Only an answer
    ended by another process (its own died: FAILED INTERRUPTED, or a stop that found
    it abandoned: CANCELLED) may have published events past its stored end."""
    ended_elsewhere = row.status == MessageStatus.CANCELLED or (
        row.error_code == FailureCode.INTERRUPTED
    )
    if cursor > row.last_seq and not ended_elsewhere:
        raise BadUserInput(
            f"afterSeq {cursor} is past this answer's last event (seq {row.last_seq})",
            field="afterSeq",
        )


class SessionFollower:
    """One sessionEvents subscriber: which answers it has seen start but not end.

    Live events pass straight through. After a lag, and on quiet periods while an answer
    it follows is still open, it re-reads the session: messages added meanwhile are
    announced, answers that ended meanwhile get their terminal item, and (after a lag)
    running ones a snapshot. Without this a dropped terminal event would leave the
    client waiting forever.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        session_id: int,
        check_access: Callable[[], object],
    ) -> None:
        self.session_factory = session_factory
        self.owner_id = owner_id
        self.session_id = session_id
        self.check_access = check_access
        # Messages up to this id are the client's already (or were announced to it).
        self.newest_announced = 0
        # Answers whose events it has had but not their end.
        self.open: set[int] = set()
        # What a re-read already sent, so the live event arriving later is not repeated.
        self.announced_by_reread: set[int] = set()
        self.ended_by_reread: set[int] = set()

    @classmethod
    async def open_for(
        cls,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        session_id: int,
        check_access: Callable[[], object],
    ) -> "SessionFollower":
        """A follower of the caller's session; NOT_FOUND before anything."""
        async with unit_of_work(session_factory) as session:
            await study_sessions.get_study_session(
                session, owner_id=owner_id, session_id=session_id
            )
        return cls(
            session_factory, owner_id=owner_id, session_id=session_id, check_access=check_access
        )

    async def follow(self, events: Subscription) -> AsyncGenerator[FollowedItem, None]:
        """Messages newer than now, and their events, from `events` (already subscribed).

        While it waits, this generator's frame holds no database session, payload or
        row: an idle subscriber may wait for hours, and a row can be a whole answer.
        The work happens in methods whose frames end before the wait.
        """
        self.newest_announced = await self._newest_message_id()
        while True:
            batch = await self._next_batch(events)
            while batch:
                yield batch.pop(0)

    async def _newest_message_id(self) -> int:
        async with unit_of_work(self.session_factory) as session:
            return await messages.get_newest_message_id(
                session, owner_id=self.owner_id, session_id=self.session_id
            )

    async def _next_batch(self, events: Subscription) -> list[FollowedItem]:
        """What the next event, lag or quiet period gives the client (maybe nothing)."""
        try:
            payload = await events.next_within(LIVENESS_SECONDS)
        except TimeoutError:
            self.check_access()
            return await self._reread(lagged=False) if self.open else []
        except SubscriberLagged:
            return await self._reread(lagged=True)
        item = await self._on_event(MessageEventData.decode(payload))
        return [] if item is None else [item]

    async def _on_event(self, event: MessageEventData) -> FollowedItem | None:
        message_id = event.message_id
        if event.type == EventType.ADDED:
            self.newest_announced = max(self.newest_announced, message_id)
            if message_id in self.announced_by_reread:
                return None
            row = await messages.read_message(
                self.session_factory, owner_id=self.owner_id, message_id=message_id
            )
            return Added(row=row, seq=event.seq)
        if message_id in self.ended_by_reread:
            return None  # a straggler of an answer whose end the client already has
        if event.terminal:
            self.open.discard(message_id)
            row = await messages.read_message(
                self.session_factory, owner_id=self.owner_id, message_id=message_id
            )
            return ended(row, event.seq, event)
        self.open.add(message_id)
        return event

    async def _reread(self, *, lagged: bool) -> list[FollowedItem]:
        async with unit_of_work(self.session_factory) as session:
            rows = await messages.list_session_changes(
                session,
                owner_id=self.owner_id,
                session_id=self.session_id,
                after_id=self.newest_announced,
                message_ids=sorted(self.open),
            )
        items: list[FollowedItem] = []
        for row in rows:
            if row.id > self.newest_announced:
                self.newest_announced = row.id
                self.announced_by_reread.add(row.id)
                items.append(Added(row=row, seq=0))
                if row.role == MessageRole.ASSISTANT:
                    self.open.add(row.id)  # ended already: its terminal item follows
            if row.id not in self.open:
                continue
            if row.status in TERMINAL_STATUSES:
                self.open.discard(row.id)
                self.ended_by_reread.add(row.id)
                items.append(ended(row, row.last_seq))
            elif lagged and row.last_seq > 0:
                items.append(Snapshot(row=row, seq=row.last_seq))
        return items
