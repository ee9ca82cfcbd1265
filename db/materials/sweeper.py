"""Failing uploads whose process died: at start-up and then periodically.

A material is PROCESSING only while some process extracts it. After a crash on a
multi-process deployment the other processes keep running, so a start-up sweep alone
would leave the dead process's uploads PROCESSING until the next restart. Every process
sweeps at start-up and then every `interval_seconds`; each material marked FAILED is
announced on its topic's channel like any other change (materialEvents). The UPDATE
... RETURNING means that when several processes sweep at once each material is
announced by the one that marked it.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from db.engine import SessionFactory, unit_of_work
from db.materials.events import MaterialChange, publish_material_event
from db.materials.library import fail_stale_materials
from db.periodic import PeriodicJob
from db.pubsub import Bus
from db.types import utcnow

logger = logging.getLogger(__name__)


class StaleMaterialSweeper(PeriodicJob):
    """Marks materials left PROCESSING past STALE_AFTER as FAILED, every interval."""

    task_name = "stale-material-sweeper"

    def __init__(
        self,
        session_factory: SessionFactory,
        bus: Bus,
        *,
        interval_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.session_factory = session_factory
        self.bus = bus
        self.clock = clock

    async def sweep_once(self) -> int:
        """One sweep; how many materials it marked FAILED (0 when it could not run)."""
        try:
            async with unit_of_work(self.session_factory) as session:
                failed = await fail_stale_materials(session, now=self.clock())
        except Exception:  # e.g. not migrated yet: requests will say so, sweeping need not
            logger.warning("could not check for interrupted uploads", exc_info=True)
            return 0
        for material in failed:
            await publish_material_event(self.bus, material, kind=MaterialChange.UPDATED)
        if failed:
            logger.warning("marked %d interrupted material uploads FAILED", len(failed))
        return len(failed)
