"""Embedding a material's passages for meaning search, on the extraction workers.

Runs after extraction and before the material turns READY, so that a READY material is
searchable by words and by meaning. A long document reports its progress on the topic's
channel (materialEvents: UPDATED, status PROCESSING, progress done/total). When
embedding fails (a remote embedding endpoint down, a document too long to embed in
time) the material still turns READY, searchable by words, and the backfill
(backfill.py) embeds its passages later: an outage never loses an upload.
"""

import asyncio
import logging
from dataclasses import dataclass
from functools import partial

from db.materials.embeddings import EmbeddingModel, index_name, local_model
from db.materials.events import MaterialChange, publish_material_event
from db.materials.extraction_pool import ExtractionPool
from db.models import StudyMaterial
from db.pubsub import Bus

logger = logging.getLogger(__name__)

# Documents with at least this many passages report embedding progress.
PROGRESS_MIN_CHUNKS = 16
# Time allowed to embed: the extraction limit plus this much per passage (a passage
# takes ~0.1-0.3 s on one busy core).
SECONDS_PER_CHUNK = 2.0


@dataclass(frozen=True)
class Embedded:
    """The passages' stored vectors, in passage order, and what made them (index_name)."""

    model_name: str
    blobs: list[bytes]


async def embed_passages(
    pool: ExtractionPool,
    bus: Bus | None,
    material: StudyMaterial,
    texts: list[str],
    *,
    base_seconds: float,
) -> Embedded | None:
    """The passages embedded on a pool worker; None when that failed (logged)."""
    if not texts:
        return None
    model: EmbeddingModel = pool.embedder or local_model()
    progress = None
    if bus is not None and len(texts) >= PROGRESS_MIN_CHUNKS:
        progress = partial(_report, asyncio.get_running_loop(), bus, material)
    job = partial(_embed, texts, model, progress)
    try:
        blobs = await pool.run(job, seconds=base_seconds + SECONDS_PER_CHUNK * len(texts))
    except Exception:
        logger.warning(
            "could not embed material %s with %s; the backfill will retry",
            material.id,
            model.name,
            exc_info=True,
        )
        return None
    return Embedded(index_name(model.name), blobs)


def _embed(texts, model, progress, deadline: float) -> list[bytes]:
    from db.materials.vectors import embed_chunks  # numpy: loaded on first use

    # One material's passages in order: each sentence's section heading comes from them.
    return embed_chunks(texts, model, deadline=deadline, progress=progress)


def _report(loop, bus: Bus, material: StudyMaterial, done: int, total: int) -> None:
    """Called on the worker thread: the event is published from the loop."""
    if done < total:  # the last step is the READY event itself
        asyncio.run_coroutine_threadsafe(
            publish_material_event(
                bus, material, kind=MaterialChange.UPDATED, progress=(done, total)
            ),
            loop,
        )
