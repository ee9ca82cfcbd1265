"""Work that outlives the request that started it (tutor turns, material processing).

asyncio keeps only weak references to tasks, so an unreferenced task can be garbage
collected mid-flight; and on shutdown the app must cancel and await what is still
running instead of leaving it to die with the event loop. The app owns one registry,
built in the lifespan and reached through `Context.tasks`.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class BackgroundTasks:
    """A set of tasks the app keeps alive until they finish or the app shuts down."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task:
        """Start the coroutine as a task the registry holds until it ends."""
        if self._closed:
            coroutine.close()
            raise RuntimeError("the server is shutting down")
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self, *, grace_seconds: float = 5.0) -> None:
        """Refuse new work, give running tasks a moment, then cancel what is left."""
        self._closed = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
