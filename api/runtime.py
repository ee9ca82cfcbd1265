"""Process-wide tuning of the garbage collector for a long-running server process."""

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

# CPython's default (700, 10, 10) runs a young collection every 700 net allocations of
# container objects and a full one every ~70,000 plus whenever the old generation grew
# by a quarter. A GraphQL request allocates thousands of short-lived containers, so the
# defaults collected several times per request; full collections over the whole heap
# (schema, SQLAlchemy metadata, openai/Agents SDK modules) took 60-110 ms each and were
# the p99 tail of bench/topics_rate.py and bench/stream.py. Refcounting frees almost
# all of those objects anyway; only reference cycles need the collector.
# A young collection still walks every container the in-flight requests hold, and
# stops all of them while it does: at 50,000 such a pause took 6.4 ms on average and
# up to 20 ms, the p99 of topics(first: 20) at 10 connections (24.7 ms). At 10,000
# the pauses are 2.2 ms on average and the p99 14.4 ms, for the same total GC time
# (209 vs 224 ms over a 14 s run at 1,100 requests/s).
# The middle generation holds the cycles of requests that were in flight at a young
# collection; the dashboard query leaves ~900 objects of such garbage per request, and
# collecting it every 50 young collections took up to 294 ms (229,599 objects), the
# dashboard's p99 of 388 ms. Every 10: at most 41 ms, p99 146 ms, same total.
GC_THRESHOLDS = (10_000, 10, 100)


def tune_garbage_collector() -> None:
    """Freeze what start-up allocated, then collect rarely.

    `gc.freeze()` moves every object alive now (modules, the schema, the engine) into
    a permanent generation that collections never walk again, so a full collection
    costs what the live requests and streams hold, not the whole process. Call it once
    the application has started, in each worker process.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    logger.debug("gc: froze %d objects, thresholds %s", gc.get_freeze_count(), GC_THRESHOLDS)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs; used around the app's imports.

    Importing the app creates a few hundred thousand objects that live as long as the
    process (modules, classes, SQLAlchemy and Strawberry metadata) and no garbage worth
    a collection; the collector scanning them again and again as they load was ~10% of
    `import api.app` (bench/import_time.py). They are frozen at the end (see
    tune_garbage_collector), else the first young collection after the block would walk
    all of them once more (~0.15 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
