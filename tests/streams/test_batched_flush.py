"""The process's running answers are flushed together, one transaction an interval, and
each one's lease and "ended elsewhere" check stay its own."""

import asyncio
import dataclasses
from datetime import timedelta

from sqlalchemy.exc import DataError

from db.chat import generation_rows
from db.engine import unit_of_work
from db.models import Message as MessageRow
from schema.relay import row_id_of, to_global_id
from tests.chat.helpers import learner_with_session, pace, send, until
from tutor.stream import reaper
from tutor.stream.generations import Generations

ENDED = {"COMPLETE", "FAILED", "CANCELLED"}


async def _start(harness) -> int:
    user_id, study_session = await learner_with_session(harness)
    session_id = to_global_id("StudySession", study_session.id)
    sent = await send(harness, user_id, session_id, "What does a for loop do?")
    return row_id_of(sent["assistantMessage"]["id"], "Message")


async def _row(harness, message_id: int) -> MessageRow:
    async with unit_of_work(harness.session_factory) as session:
        return await session.get(MessageRow, message_id)


def _record_flushes(monkeypatch) -> dict[object, list[int]]:
    """Transaction (its session, kept alive so that no two share an id) -> the answers
    it flushed, in order."""
    batches: dict[object, list[int]] = {}
    real_save = generation_rows.save_progress

    async def save_progress(session, **row):
        batches.setdefault(session, []).append(row["message_id"])
        return await real_save(session, **row)

    monkeypatch.setattr(generation_rows, "save_progress", save_progress)
    return batches


async def test_running_answers_are_flushed_in_one_transaction(harness, monkeypatch):
    pace(harness, 0.02)
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, flush_interval=0.05
    )
    batches = _record_flushes(monkeypatch)
    answers = [await _start(harness) for _ in range(3)]

    async def all_ended():
        return all([(await _row(harness, answer)).status in ENDED for answer in answers])

    await until(all_ended, seconds=30)
    assert {row.status for row in [await _row(harness, answer) for answer in answers]} == {
        "COMPLETE"
    }
    # While the three ran, each interval wrote all of them in one transaction.
    assert max(len(flushed) for flushed in batches.values()) == 3
    assert all(len(set(flushed)) == len(flushed) for flushed in batches.values())
    assert len(batches) < sum(len(flushed) for flushed in batches.values())


async def test_only_the_answer_ended_elsewhere_stops(harness, monkeypatch):
    pace(harness, 0.2)  # answers of about 10 s: neither ends by itself meanwhile
    reaped, spared = await _start(harness), await _start(harness)

    async def both_streaming():
        rows = [await _row(harness, answer) for answer in (reaped, spared)]
        return all(row.status == "STREAMING" for row in rows)

    await until(both_streaming)
    # Another process believes the first one is dead (its clock a minute ahead).
    other = Generations(
        session_factory=harness.session_factory,
        bus=harness.bus,
        catalog=harness.models,
        clock=lambda: harness.clock() + timedelta(minutes=1),
        settings=harness.generations.settings,
    )
    assert await reaper.end_abandoned(other, await _row(harness, reaped), status="FAILED")

    async def reaped_stopped_here():
        return not harness.generations.running_here(reaped)

    await until(reaped_stopped_here, seconds=8)  # the next flush (0.2 s) noticed
    await asyncio.sleep(0.5)
    assert harness.generations.running_here(spared)
    before = (await _row(harness, spared)).last_seq
    await asyncio.sleep(0.5)
    row = await _row(harness, spared)
    assert row.status == "STREAMING" and row.last_seq > before  # still flushed
    assert (await _row(harness, reaped)).status == "FAILED"


async def test_a_row_the_database_refuses_does_not_stop_the_others_flushes(harness, monkeypatch):
    # PostgreSQL refuses a NUL in text, say: one turn's row failing must not roll back
    # its neighbours' progress and leases with it (they would be reaped elsewhere).
    pace(harness, 0.2)
    harness.generations.settings = dataclasses.replace(
        harness.generations.settings, flush_interval=0.05
    )
    refused, healthy = await _start(harness), await _start(harness)
    real_save = generation_rows.save_progress

    async def save_progress(session, **row):
        if row["message_id"] == refused:
            raise DataError("UPDATE messages", {}, ValueError("invalid byte sequence"))
        return await real_save(session, **row)

    monkeypatch.setattr(generation_rows, "save_progress", save_progress)

    async def healthy_streaming():
        return (await _row(harness, healthy)).status == "STREAMING"

    await until(healthy_streaming)
    await asyncio.sleep(0.1)  # a flush in flight when the refusals began has landed
    before, refused_before = [(await _row(harness, m)).last_seq for m in (healthy, refused)]
    await asyncio.sleep(0.5)
    assert (await _row(harness, healthy)).last_seq > before  # still flushed
    assert (await _row(harness, refused)).last_seq == refused_before  # not written
    assert harness.generations.running_here(refused)  # and not stopped for it
