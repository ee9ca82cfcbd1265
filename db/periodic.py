"""A job each API process repeats every interval in the background (the sweepers)."""

import asyncio


class PeriodicJob:
    """Runs `sweep_once` every `interval_seconds` from start() until close().

    Subclasses implement `sweep_once` and catch what they can survive themselves: an
    exception escaping it ends the loop, as a bug should, rather than repeat silently.
    """

    task_name = "periodic-job"

    def __init__(self, *, interval_seconds: float) -> None:
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task | None = None

    async def sweep_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        """Sweep every interval in the background until close()."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.task_name)

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
