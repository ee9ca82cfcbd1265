"""Embedding the passages that have no vectors from the current model, in the background.

Passages stored before hybrid retrieval, passages whose upload could not be embedded
(a remote endpoint down) and, after the embedding model changed, every passage of the
old model or recipe: all are found by a query (`embedding_model` NULL or another
`index_name`), so the
work left is state in the database, and a restart simply picks it up again. Batches
run on the extraction workers, off the event loop. Several processes may backfill at
once: each UPDATE writes the same vectors for the same text, so overlap costs time,
never correctness.
"""

import asyncio
import logging

from sqlalchemy import or_, update
from sqlmodel import col, select

from db.engine import SessionFactory, unit_of_work
from db.materials.embeddings import EmbeddingModel, index_name, local_model
from db.materials.extraction_pool import ExtractionPool
from db.materials.library import MaterialStatus
from db.models import MaterialChunk, StudyMaterial

logger = logging.getLogger(__name__)

BATCH_CHUNKS = 16
SECONDS_PER_CHUNK = 5.0


async def _headings_before(session, rows) -> list[str | None]:
    """The section heading in force where each pending passage starts, read from the
    passages of its material up to it (a batch holds a few passages of any material)."""
    from db.materials.vectors import section_headings

    material_ids = sorted({row.material_id for row in rows})
    siblings = (
        await session.exec(
            select(MaterialChunk.id, MaterialChunk.material_id, MaterialChunk.text)
            .where(
                col(MaterialChunk.material_id).in_(material_ids),
                col(MaterialChunk.ordinal) <= max(row.ordinal for row in rows),
            )
            .order_by(col(MaterialChunk.material_id), col(MaterialChunk.ordinal))
        )
    ).all()
    heading_of_chunk: dict[int, str | None] = {}
    for material_id in material_ids:
        chunks = [chunk for chunk in siblings if chunk.material_id == material_id]
        found = section_headings([chunk.text for chunk in chunks])
        heading_of_chunk.update(zip((chunk.id for chunk in chunks), found, strict=True))
    return [heading_of_chunk.get(row.id) for row in rows]


class EmbeddingBackfill:
    """Embeds READY materials' passages that lack the current model's vectors."""

    def __init__(
        self,
        session_factory: SessionFactory,
        pool: ExtractionPool,
        *,
        idle_seconds: float = 30.0,
        batch: int = BATCH_CHUNKS,
    ) -> None:
        self.session_factory = session_factory
        self.pool = pool
        self.idle_seconds = idle_seconds
        self.batch = batch
        self._task: asyncio.Task | None = None

    @property
    def model(self) -> EmbeddingModel:
        return self.pool.embedder or local_model()

    async def pending(self) -> int:
        """How many passages still lack vectors of the current model and recipe."""
        async with unit_of_work(self.session_factory) as session:
            return len((await session.exec(self._pending_ids(limit=None))).all())

    def _pending_ids(self, *, limit: int | None):
        statement = (
            select(
                MaterialChunk.id,
                MaterialChunk.text,
                MaterialChunk.material_id,
                MaterialChunk.ordinal,
            )
            .join(StudyMaterial, col(StudyMaterial.id) == MaterialChunk.material_id)
            .where(
                StudyMaterial.status == MaterialStatus.READY,
                or_(
                    col(MaterialChunk.embedding_model).is_(None),
                    col(MaterialChunk.embedding_model) != index_name(self.model.name),
                ),
            )
            .order_by(col(MaterialChunk.id))
        )
        return statement if limit is None else statement.limit(limit)

    async def run_once(self) -> int:
        """Embeds one batch; how many passages it stored (0: nothing left)."""
        model = self.model
        async with unit_of_work(self.session_factory) as session:
            rows = (await session.exec(self._pending_ids(limit=self.batch))).all()
            if not rows:
                return 0
            headings = await _headings_before(session, rows)
        texts = [row.text for row in rows]
        from db.materials.vectors import embed_chunks  # numpy: loaded on first use

        blobs = await self.pool.run(
            lambda deadline: embed_chunks(texts, model, headings=headings, deadline=deadline),
            seconds=SECONDS_PER_CHUNK * len(texts),
        )
        async with unit_of_work(self.session_factory) as session:
            for row, blob in zip(rows, blobs, strict=True):
                # A passage deleted meanwhile simply matches nothing.
                await session.exec(
                    update(MaterialChunk)
                    .where(col(MaterialChunk.id) == row.id, MaterialChunk.text == row.text)
                    .values(embedding=blob, embedding_model=index_name(model.name))
                )
        return len(rows)

    async def run_until_done(self) -> int:
        """Batches until nothing is left; how many passages were embedded."""
        total = 0
        while stored := await self.run_once():
            total += stored
        return total

    def start(self) -> None:
        """Backfill in the background until close()."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="embedding-backfill")

    async def _run(self) -> None:
        while True:
            try:
                stored = await self.run_once()
            except Exception:  # e.g. not migrated yet, or a remote endpoint down
                logger.warning("embedding backfill failed; retrying later", exc_info=True)
                stored = 0
            if stored:
                logger.info("embedded %d passages for meaning search", stored)
                await asyncio.sleep(0)  # let uploads and searches in between batches
            else:
                await asyncio.sleep(self.idle_seconds)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
