"""The app's own small thread pool for document extraction.

Extraction is synchronous and CPU-bound, and a hostile file can keep a thread busy up
to its time limit. It therefore runs on a bounded pool of its own, never on asyncio's
shared default executor, where a few hostile PDFs would hold up unrelated work. The
time limit starts when a worker picks a job up, never while it waits in the queue: the
job is handed its deadline (on `time.monotonic()`) computed at that moment, and the
backstop that abandons a job stuck inside one page starts then too. A thread cannot
be killed: an abandoned job keeps its worker until it reaches its next deadline check,
and the pool stays bounded meanwhile. The app builds one pool in its lifespan (see
api/services.py), passes it down through the GraphQL context and closes it at shutdown.
The same workers embed the passages for meaning search (vectors.py), off the event loop.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from db.materials.embeddings import LOCAL_MODEL_NAME, EmbeddingModel, index_name
from db.materials.extraction.limits import ExtractionLimits

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long past its own deadline a running job may take before it is abandoned (the
# job checks its deadline between pages; one page can still take long).
BACKSTOP_SECONDS = 5.0


class ExtractionPool:
    """A bounded set of worker threads for extraction jobs, with per-job deadlines."""

    def __init__(
        self,
        *,
        max_workers: int = 2,
        limits: ExtractionLimits | None = None,
        embedder: EmbeddingModel | None = None,
    ) -> None:
        self.max_workers = max_workers
        self.limits = limits or ExtractionLimits()
        # The model the workers embed passages with (None: the packaged local model);
        # searches embed questions with the same one.
        self.embedder = embedder
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="studygraph-extract"
        )
        self._unfinished = 0  # queued or running, including abandoned jobs

    def upload_processed(self, outcome: str, seconds: float) -> None:
        """Told when an upload's processing (extraction, then embedding) ends: "ok",
        "timeout" or "error", and how long it took. Nothing here; the API observes it."""

    @property
    def embedding_model_name(self) -> str:
        """The name stored with the vectors the workers make."""
        return index_name(self.embedder.name if self.embedder is not None else LOCAL_MODEL_NAME)

    @property
    def has_idle_worker(self) -> bool:
        """Whether a job submitted now would start at once."""
        return self._unfinished < self.max_workers

    async def run(self, job: Callable[[float], T], *, seconds: float | None = None) -> T:
        """job(deadline) on a worker; TimeoutError once it outlives seconds + BACKSTOP_SECONDS.

        The clock starts when a worker starts the job; time spent queued does not count.
        """
        seconds = self.limits.seconds if seconds is None else seconds
        loop = asyncio.get_running_loop()
        started = loop.create_future()

        def work() -> T:
            deadline = time.monotonic() + seconds
            loop.call_soon_threadsafe(_resolve, started)
            return job(deadline)

        future = asyncio.wrap_future(self._executor.submit(work))
        self._unfinished += 1
        future.add_done_callback(self._finished)
        try:
            await asyncio.wait([started, future], return_when=asyncio.FIRST_COMPLETED)
            return await asyncio.wait_for(asyncio.shield(future), seconds + BACKSTOP_SECONDS)
        except asyncio.CancelledError:
            future.cancel()  # a job still queued never starts; a running one cannot stop
            raise
        finally:
            started.cancel()

    def _finished(self, future: asyncio.Future) -> None:
        self._unfinished -= 1
        if not future.cancelled():
            future.exception()  # an abandoned job's error was already reported as a timeout

    def close(self) -> None:
        """Drop queued jobs and take no more; running ones end at their next check."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def _resolve(started: asyncio.Future) -> None:
    if not started.done():
        started.set_result(None)
