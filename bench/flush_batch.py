"""What flushing running answers to their rows costs: one transaction per answer (each
turn's own flusher, before the coalescing round) against one per interval for all of
them (the process's `Flusher`).

Each round writes every answer's text, tool calls, seq and lease with the same
`save_progress` statement, as a one-second flush interval does with that many streams
running; the figure is this process's CPU per answer flushed, and the wall time of a
round. Prints both ways from this one run.

    uv run python bench/flush_batch.py [--answers 200] [--rounds 10] [--database-url URL]
"""

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop
from harness import load_average

from db.chat import generation_rows
from db.chat.states import MessageRole, MessageStatus
from db.engine import create_engine, create_session_factory, normalize_database_url, unit_of_work
from db.migrate import upgrade_database
from db.models import Message, StudySession, User

logger = logging.getLogger("bench.flush_batch")
TEXT = "A loop repeats its body for each item of a sequence. " * 20  # ~1 KB so far


async def seed(session_factory, answers: int) -> list[int]:
    """One learner, `answers` sessions with an answer STREAMING each."""
    now = datetime.now(UTC)
    async with unit_of_work(session_factory) as session:
        user = User(
            email=f"flush-{time.time_ns()}@bench.example.com",
            display_name="Flush",
            password_hash="x",
        )
        session.add(user)
        await session.flush()
        # One running answer per session (a unique index says so).
        studies = [
            StudySession(owner_id=user.id, title="Flush", mode="EXPLAIN", model="m")
            for _ in range(answers)
        ]
        session.add_all(studies)
        await session.flush()
        rows = [
            Message(
                owner_id=user.id,
                session_id=study.id,
                role=MessageRole.ASSISTANT,
                status=MessageStatus.STREAMING,
                mode="EXPLAIN",
                lease_expires_at=now,
            )
            for study in studies
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def _save(session, message_id: int, seq: int) -> bool:
    return await generation_rows.save_progress(
        session,
        message_id=message_id,
        content=TEXT[: seq * 10],
        tool_calls=[],
        last_seq=seq,
        lease_expires_at=datetime.now(UTC) + timedelta(seconds=30),
    )


async def one_per_answer(session_factory, ids: list[int], seq: int) -> None:
    async def flush(message_id: int) -> None:
        async with unit_of_work(session_factory) as session:
            assert await _save(session, message_id, seq)

    await asyncio.gather(*(flush(message_id) for message_id in ids))


async def one_per_interval(session_factory, ids: list[int], seq: int) -> None:
    async with unit_of_work(session_factory) as session:
        for message_id in ids:
            assert await _save(session, message_id, seq)


async def measure(url: str, answers: int, rounds: int) -> None:
    await upgrade_database(url)
    engine = create_engine(url)
    try:
        session_factory = create_session_factory(engine)
        ids = await seed(session_factory, answers)
        seq = 1
        for name, way in (("per answer", one_per_answer), ("per interval", one_per_interval)) * 2:
            await way(session_factory, ids, seq)  # warm-up round
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                seq += 1
                await way(session_factory, ids, seq)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(
                f"  one transaction {name:<13} {cpu * 1e6 / (rounds * answers):7.0f} us CPU per "
                f"answer flushed, {wall * 1e3 / rounds:7.1f} ms wall per round of {answers}"
            )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", help="a scratch database (default: temporary SQLite)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="studygraph-flush-") as tmp:
        url = normalize_database_url(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        print(f"flushing {args.answers} running answers, {args.rounds} rounds each way, {url}")
        print(f"load average before the run {load_average()}")
        uvloop.run(measure(url, args.answers, args.rounds))
        print(f"load average after the run {load_average()}")


if __name__ == "__main__":
    main()
