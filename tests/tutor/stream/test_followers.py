"""The followers driven directly, without GraphQL: gaps, snapshots, held events, lags.

Each test publishes on a real bus and writes the row on a real database, as a turn
would, and reads what the follower yields.
"""

import asyncio

import pytest
from sqlalchemy import update
from sqlmodel import col

from db.channels import message_channel, session_channel
from db.chat.states import FailureCode, MessageStatus
from db.engine import unit_of_work
from db.models import Message
from tests.factories import make_message, make_session, make_user
from tutor.stream import followers
from tutor.stream.codec import EventType, MessageEventData
from tutor.stream.followers import (
    Added,
    Ended,
    MessageFollower,
    SessionFollower,
    Snapshot,
)


async def _answer(harness, **fields) -> Message:
    """An assistant message in a fresh session of a fresh learner."""
    me = await make_user(harness)
    study_session = await make_session(harness, owner_id=me.user.id)
    return await make_message(
        harness,
        owner_id=me.user.id,
        session_id=study_session.id,
        status=fields.pop("status", MessageStatus.PENDING),
        **fields,
    )


async def _store(harness, row: Message, **values) -> None:
    """The row as a turn's flush (or end) writes it."""
    async with unit_of_work(harness.session_factory) as session:
        await session.exec(update(Message).where(col(Message.id) == row.id).values(**values))


def _event(row: Message, seq: int, kind: EventType = EventType.DELTA, **fields) -> str:
    if kind == EventType.DELTA:
        fields.setdefault("delta", f"w{seq} ")
    return MessageEventData(
        type=kind, message_id=row.id, session_id=row.session_id, seq=seq, **fields
    ).encode()


def _described(item) -> tuple[str, int]:
    if isinstance(item, Snapshot):
        return ("snapshot", item.seq)
    if isinstance(item, Ended):
        return ("ended", item.seq)
    if isinstance(item, Added):
        return ("added", item.row.id)
    return (item.type.value, item.seq)


def _message_follower(harness, row: Message, cursor: int = 0) -> MessageFollower:
    return MessageFollower(
        harness.session_factory,
        owner_id=row.owner_id,
        message_id=row.id,
        cursor=cursor,
        check_access=lambda: None,
    )


class _Collector:
    """Runs a follower in the background and keeps what it yields."""

    def __init__(self, stream) -> None:
        self.items: list = []
        self.grown = asyncio.Event()
        self.task = asyncio.create_task(self._run(stream))

    async def _run(self, stream) -> None:
        async for item in stream:
            self.items.append(item)
            self.grown.set()

    async def until(self, count: int) -> list:
        async with asyncio.timeout(10):
            while len(self.items) < count:
                self.grown.clear()
                await self.grown.wait()
        return self.items

    async def finished(self) -> list:
        async with asyncio.timeout(10):
            await self.task
        return self.items

    async def close(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def test_a_gap_waits_for_the_row_and_snapshots_from_it(harness):
    row = await _answer(harness)
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        collector = _Collector(_message_follower(harness, row).follow(events))
        await harness.bus.publish(message_channel(row.id), _event(row, 1))
        await harness.bus.publish(message_channel(row.id), _event(row, 3))  # 2 went missing
        await collector.until(1)
        await asyncio.sleep(0.2)  # the follower holds 3 until the row covers 2
        assert [_described(item) for item in collector.items] == [("delta", 1)]

        await _store(harness, row, status=MessageStatus.STREAMING, content="w1 w2 ", last_seq=2)
        await collector.until(3)
        await _store(harness, row, status=MessageStatus.COMPLETE, content="w1 w2 w3", last_seq=4)
        await harness.bus.publish(message_channel(row.id), _event(row, 4, EventType.COMPLETED))
        items = await collector.finished()

    assert [_described(item) for item in items] == [
        ("delta", 1),
        ("snapshot", 2),
        ("delta", 3),
        ("ended", 4),
    ]
    assert items[1].row.content == "w1 w2 "
    assert items[3].row.status == MessageStatus.COMPLETE


async def test_events_arriving_out_of_order_are_held_and_sent_in_order(harness, monkeypatch):
    monkeypatch.setattr(followers, "CATCH_UP_SECONDS", 0.1)  # the row never covers 1
    row = await _answer(harness)
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        collector = _Collector(_message_follower(harness, row).follow(events))
        await harness.bus.publish(message_channel(row.id), _event(row, 2))
        await asyncio.sleep(0.3)  # past the catch-up wait: 2 is still held
        assert collector.items == []
        await harness.bus.publish(message_channel(row.id), _event(row, 1))
        await collector.until(2)
        await _store(harness, row, status=MessageStatus.CANCELLED, content="w1 w2 ", last_seq=3)
        await harness.bus.publish(message_channel(row.id), _event(row, 3, EventType.CANCELLED))
        items = await collector.finished()

    assert [_described(item) for item in items] == [("delta", 1), ("delta", 2), ("ended", 3)]


async def test_a_late_joiner_gets_a_snapshot_then_only_newer_events(harness):
    row = await _answer(harness, status=MessageStatus.STREAMING, content="hello", last_seq=5)
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        collector = _Collector(_message_follower(harness, row).follow(events))
        await harness.bus.publish(message_channel(row.id), _event(row, 4))  # covered already
        await harness.bus.publish(message_channel(row.id), _event(row, 6))
        items = await collector.until(2)
        await asyncio.sleep(0.1)
        await collector.close()

    assert [_described(item) for item in items] == [("snapshot", 5), ("delta", 6)]
    assert items[0].row.content == "hello"


@pytest.mark.parametrize(
    ("cursor", "expected"),
    [
        (0, [("snapshot", 6), ("ended", 7)]),
        (6, [("ended", 7)]),
        (7, []),
        # The client saw events the row never stored (a reaped turn): seq stays monotonic.
        (9, [("ended", 10)]),
    ],
)
async def test_an_ended_answer_is_told_from_its_row(harness, cursor, expected):
    row = await _answer(
        harness,
        status=MessageStatus.FAILED,
        content="partial",
        last_seq=7,
        error_code=FailureCode.INTERRUPTED,
    )
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        follower = _message_follower(harness, row, cursor)
        items = [item async for item in follower.follow(events)]

    assert [_described(item) for item in items] == expected
    for item in items:
        if isinstance(item, Ended):
            assert (item.code, item.retryable) == ("INTERRUPTED", True)


async def test_a_terminal_event_carries_its_code_over_the_rows(harness):
    row = await _answer(harness)
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        collector = _Collector(_message_follower(harness, row).follow(events))
        await harness.bus.publish(message_channel(row.id), _event(row, 1))
        await collector.until(1)  # past its first read of the row
        await _store(harness, row, status=MessageStatus.FAILED, last_seq=2, error_code="TIMEOUT")
        failed = _event(row, 2, EventType.FAILED, code="PROVIDER_AUTH", retryable=False)
        await harness.bus.publish(message_channel(row.id), failed)
        [_, item] = await collector.finished()

    assert (item.seq, item.code, item.retryable) == (2, "PROVIDER_AUTH", False)


async def test_a_lagging_follower_catches_up_from_the_row(harness):
    row = await _answer(harness)
    async with harness.bus.subscribe(message_channel(row.id)) as events:
        collector = _Collector(_message_follower(harness, row).follow(events))
        await harness.bus.publish(message_channel(row.id), _event(row, 1))
        await collector.until(1)
        await _store(harness, row, status=MessageStatus.STREAMING, content="abc", last_seq=4)
        events._mark_lagged()  # events 2 to 4 were dropped
        await collector.until(2)
        await harness.bus.publish(message_channel(row.id), _event(row, 5))
        items = await collector.until(3)
        await collector.close()

    assert [_described(item) for item in items] == [("delta", 1), ("snapshot", 4), ("delta", 5)]


async def test_a_session_follower_recovers_an_end_the_bus_lost(harness):
    row = await _answer(harness)
    channel = session_channel(row.session_id)
    follower = SessionFollower(
        harness.session_factory,
        owner_id=row.owner_id,
        session_id=row.session_id,
        check_access=lambda: None,
    )
    async with harness.bus.subscribe(channel) as events:
        collector = _Collector(follower.follow(events))
        await harness.bus.publish(channel, _event(row, 0, EventType.ADDED))
        await harness.bus.publish(channel, _event(row, 1))
        await collector.until(2)
        await _store(harness, row, status=MessageStatus.COMPLETE, content="w1 ", last_seq=2)
        events._mark_lagged()  # the terminal event was lost
        await collector.until(3)
        # The lost event turns up after all: the client already has the end.
        await harness.bus.publish(channel, _event(row, 2, EventType.COMPLETED))
        await asyncio.sleep(0.2)
        await collector.close()

    assert [_described(item) for item in collector.items] == [
        ("added", row.id),
        ("delta", 1),
        ("ended", 2),
    ]
