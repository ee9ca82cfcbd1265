"""Writing down the end of study sessions that went idle: at start-up and periodically.

Readers already see an idle session as ended (db/study/session_clock.py), on every
process; the sweep stores that end in `ended_at` so that the rows say so too. Any
process may sweep any learner's sessions; rows another process is sweeping are skipped.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from db.engine import SessionFactory, unit_of_work
from db.periodic import PeriodicJob
from db.study.study_sessions import end_idle_sessions
from db.types import utcnow

logger = logging.getLogger(__name__)


class IdleSessionSweeper(PeriodicJob):
    """Ends sessions past their idle deadline, every interval."""

    task_name = "idle-session-sweeper"

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        interval_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.session_factory = session_factory
        self.clock = clock

    async def sweep_once(self) -> int:
        """One sweep; how many sessions it ended (0 when it could not run)."""
        try:
            async with unit_of_work(self.session_factory) as session:
                return await end_idle_sessions(session, now=self.clock())
        except Exception:  # e.g. not migrated yet: requests will say so, sweeping need not
            logger.warning("could not end idle study sessions", exc_info=True)
            return 0
