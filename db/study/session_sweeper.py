"""Writing down the end of study sessions that went idle: at start-up and periodically.

Readers already see an idle session as ended (db/study/session_clock.py), on every
process; the sweep stores that end in `ended_at` so that the rows say so too. Any
process may sweep any learner's sessions; rows another process is sweeping are skipped.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from db.engine import SessionFactory, unit_of_work
from db.study.study_sessions import end_idle_sessions
from db.types import utcnow

logger = logging.getLogger(__name__)


class IdleSessionSweeper:
    """Ends sessions past their idle deadline, every interval."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        interval_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.interval_seconds = interval_seconds
        self.clock = clock
        self._task: asyncio.Task | None = None

    async def sweep_once(self) -> int:
        """One sweep; how many sessions it ended (0 when it could not run)."""
        try:
            async with unit_of_work(self.session_factory) as session:
                return await end_idle_sessions(session, now=self.clock())
        except Exception:  # e.g. not migrated yet: requests will say so, sweeping need not
            logger.warning("could not end idle study sessions", exc_info=True)
            return 0

    def start(self) -> None:
        """Sweep every interval in the background until close()."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="idle-session-sweeper")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            await self.sweep_once()

    async def close(self) -> None:
        """Stop the periodic sweep."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
