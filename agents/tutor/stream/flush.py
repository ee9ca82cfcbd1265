"""Flushing the running turns' text to their rows, with the seq each covers, and renewing
their leases: one transaction per interval for every turn of the process.

The row is what late and lagging subscribers start from (a MessageSnapshot), so the
text, tool calls and seq written together must agree. Each turn's row is written when it
has news, and at least every lease/3 seconds (its lease); a row that is no longer
running (its statement updated nothing) was ended by another process, which declared
this one dead: that turn stops. One transaction for all of them, instead of one per
turn, is what lets a process hold hundreds of streams (see bench/README.md, "The
coalescing round"); when the database refuses one row, that interval writes each row
in its own transaction, so the others' progress and leases are still written.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from db.chat import generation_rows
from db.engine import unit_of_work
from db.throttled_log import ThrottledWarning
from tutor.stream.settings import TurnRequest
from tutor.stream.state import TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)
# During a database outage every row fails alike, each interval: one report per while.
_row_failures = ThrottledWarning(logger)


@dataclass
class FlushedTurn:
    """One running turn as the flusher sees it."""

    request: TurnRequest
    state: TurnState
    # Loop time of its last renewal (its lease was set when the turn was created).
    renewed_at: float


@dataclass(frozen=True)
class _Capture:
    """What one row gets, taken without an await in between: text, calls and seq agree."""

    turn: FlushedTurn
    seq: int
    content: str
    tool_calls: list


class Flusher:
    """The process's running turns, flushed together every flush_interval."""

    def __init__(self, generations: "Generations") -> None:
        self.generations = generations
        self._turns: dict[int, FlushedTurn] = {}
        self._task: asyncio.Task | None = None

    def add(self, request: TurnRequest, state: TurnState) -> None:
        """Flush this turn from now on (the flusher starts with the first turn)."""
        loop = asyncio.get_running_loop()
        self._turns[request.message_id] = FlushedTurn(request, state, loop.time())
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._flush_forever(), name="tutor-flusher")

    def remove(self, message_id: int) -> None:
        """The turn is ending: its end is written by `finish`, not here."""
        self._turns.pop(message_id, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _flush_forever(self) -> None:
        """Until no turn is left (the next one starts it again)."""
        while self._turns:
            await asyncio.sleep(self.generations.settings.flush_interval)
            try:
                await self.flush_due()
            except Exception:
                # The rows stay as they were; the next interval writes them again.
                logger.warning("flushing %d turns failed", len(self._turns), exc_info=True)

    async def flush_due(self) -> None:
        """Write every turn with news or a lease to renew, in one transaction."""
        settings = self.generations.settings
        now = asyncio.get_running_loop().time()
        renew_every = settings.lease_seconds / 3
        captures = [
            _Capture(turn, turn.state.seq, turn.state.text, list(turn.state.tool_calls))
            for _, turn in sorted(self._turns.items())  # one lock order for every process
            if turn.state.seq != turn.state.flushed_seq or now - turn.renewed_at >= renew_every
        ]
        if not captures:
            return
        lease = self.generations.clock() + timedelta(seconds=settings.lease_seconds)
        try:
            running = await self._save(captures, lease)
        except SQLAlchemyError:
            # One row the database refuses must not stop its neighbours' flushes and
            # lease renewals (their turns would be reaped elsewhere): each alone, then.
            logger.warning("flushing %d turns together failed; one by one", len(captures))
            running = [await self._save_alone(capture, lease) for capture in captures]
        for capture, still_running in zip(captures, running, strict=True):
            if still_running is None:
                continue  # its row was refused: tried again at the next interval
            capture.turn.state.flushed_seq = capture.seq
            capture.turn.renewed_at = now
            message_id = capture.turn.request.message_id
            if not still_running and self._turns.get(message_id) is capture.turn:
                self._ended_elsewhere(capture.turn)

    async def _save(self, captures: list[_Capture], lease: datetime) -> list[bool]:
        """Every captured row in one transaction; whether each is still running."""
        async with unit_of_work(self.generations.session_factory) as session:
            return [
                await generation_rows.save_progress(
                    session,
                    message_id=capture.turn.request.message_id,
                    content=capture.content,
                    tool_calls=capture.tool_calls,
                    last_seq=capture.seq,
                    lease_expires_at=lease,
                )
                for capture in captures
            ]

    async def _save_alone(self, capture: _Capture, lease: datetime) -> bool | None:
        """One row in its own transaction; None if the database refuses it."""
        try:
            return (await self._save([capture], lease))[0]
        except SQLAlchemyError as error:
            message_id = capture.turn.request.message_id
            _row_failures.warn(f"turn {message_id}: flushing its row failed", error)
            return None

    def _ended_elsewhere(self, turn: FlushedTurn) -> None:
        """Another process declared this turn dead (our lease lapsed): stop it."""
        message_id = turn.request.message_id
        logger.warning("turn %s ended elsewhere; stopping", message_id)
        turn.state.ended_elsewhere = True
        self.remove(message_id)
        self.generations.stop_here(message_id)
