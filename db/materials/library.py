"""Study material: uploads checked by content, text extracted into citable chunks.

A material is PROCESSING from upload until its chunks are stored (READY) or the
extraction fails (FAILED, with `error`). Chunks and the READY status are written in
one transaction, so search never sees half a document. Extraction runs on the app's
extraction pool under a deadline that starts when a worker picks it up
(extraction_pool.py; the extraction package caps pages, characters and stream sizes).
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, partial

from sqlalchemy import Integer, bindparam, delete, func, update
from sqlalchemy import select as select_columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import SessionFactory, unit_of_work
from db.errors import RateLimited
from db.materials.events import MaterialChange, publish_material_event
from db.materials.extraction.chunking import chunk_pages
from db.materials.extraction.kinds import sanitize_filename, sniff_content_type
from db.materials.extraction.limits import ExtractionFailed, ExtractionLimits
from db.materials.extraction.pages import extract_pages
from db.materials.extraction_pool import ExtractionPool
from db.materials.indexing import Embedded, embed_passages
from db.models import MaterialChunk, StudyMaterial, Topic
from db.ownership import get_owned
from db.pagination import Page, PageRequest, partitioned_page_statement, to_page
from db.pubsub import Bus
from db.user_lock import take_turns_per_user

logger = logging.getLogger(__name__)


class MaterialStatus(StrEnum):
    """Where a material is: being extracted, searchable, or failed with a reason."""

    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


# A material still PROCESSING after this long belongs to a process that died.
STALE_AFTER = timedelta(minutes=10)
STALE_REASON = "processing was interrupted (the server stopped); upload the file again"
ERROR_MAX = 1000


async def create_material(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int,
    filename: str | None,
    data: bytes,
    max_processing: int | None = None,
) -> StudyMaterial:
    """A PROCESSING material for the owner's topic, once its bytes pass the type check.

    RATE_LIMITED while the owner already has `max_processing` uploads PROCESSING (None:
    no limit): each one holds its file in a server's memory until it is extracted.
    """
    await get_owned(session, Topic, owner_id=owner_id, row_id=topic_id, kind="Topic")
    name = sanitize_filename(filename)
    content_type = sniff_content_type(data, name)
    if max_processing is not None:
        await _check_processing(session, owner_id=owner_id, limit=max_processing)
    material = StudyMaterial(
        owner_id=owner_id,
        topic_id=topic_id,
        filename=name,
        content_type=content_type,
        size_bytes=len(data),
        status=MaterialStatus.PROCESSING,
    )
    session.add(material)
    await session.flush()
    return material


async def _check_processing(session: AsyncSession, *, owner_id: int, limit: int) -> None:
    await take_turns_per_user(session, owner_id)  # concurrent uploads count one by one
    processing = (
        await session.exec(
            select(func.count())
            .select_from(StudyMaterial)
            .where(
                StudyMaterial.owner_id == owner_id,
                StudyMaterial.status == MaterialStatus.PROCESSING,
            )
        )
    ).one()
    if processing >= limit:
        raise RateLimited(
            f"{processing} of your uploads are still being processed (at most {limit} at "
            "once); wait for one to be READY or FAILED, then upload again",
            limit=limit,
        )


async def get_material(session: AsyncSession, *, owner_id: int, material_id: int) -> StudyMaterial:
    """The owner's material, or NotFound (also for another user's)."""
    return await get_owned(
        session, StudyMaterial, owner_id=owner_id, row_id=material_id, kind="StudyMaterial"
    )


async def get_materials_by_ids(
    session: AsyncSession, *, owner_id: int, material_ids: list[int]
) -> dict[int, StudyMaterial]:
    """The owner's materials among the ids, keyed by id (others are simply absent)."""
    query = select(StudyMaterial).where(
        StudyMaterial.owner_id == owner_id, col(StudyMaterial.id).in_(material_ids)
    )
    return {row.id: row for row in await session.exec(query)}


async def list_materials_for_topics(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int], page: PageRequest
) -> dict[int, Page[StudyMaterial]]:
    """One page of materials per topic, newest first, in one statement."""
    statement = partitioned_page_statement(
        StudyMaterial,
        StudyMaterial.topic_id,
        topic_ids,
        page,
        StudyMaterial.owner_id == owner_id,
    )
    rows_by_topic: dict[int, list[StudyMaterial]] = defaultdict(list)
    for row in await session.exec(statement):
        rows_by_topic[row.topic_id].append(row)
    return {topic_id: to_page(rows_by_topic[topic_id], page) for topic_id in topic_ids}


async def list_material_pages_and_counts(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int], page: PageRequest
) -> tuple[dict[int, Page], dict[int, int] | None]:
    """list_materials_for_topics and, for a first page, count_materials_for_topics, in one
    statement (a window count beside the page's row numbers).

    The rows are plain rows with a StudyMaterial's attributes, not ORM objects (a page
    is only read). The counts are None after a cursor: the window then sees only the
    rows past it.
    """
    params = {"owner_id": owner_id, "topic_ids": topic_ids, "rank_limit": page.first + 1}
    if page.after_id is not None:
        params["after_id"] = page.after_id
    statement = _page_and_count_statement(page.newest_first, page.after_id is not None)
    rows_by_topic: dict[int, list] = defaultdict(list)
    counts = dict.fromkeys(topic_ids, 0)
    for row in await session.exec(statement, params=params):
        rows_by_topic[row.topic_id].append(row)
        counts[row.topic_id] = row.total
    pages = {topic_id: to_page(rows_by_topic[topic_id], page) for topic_id in topic_ids}
    return pages, counts if page.after_id is None else None


@cache
def _page_and_count_statement(newest_first: bool, after: bool):
    """list_material_pages_and_counts's statement, built once per kind of page."""
    table = StudyMaterial.__table__
    order = table.c.id.desc() if newest_first else table.c.id.asc()
    conditions = [
        table.c.owner_id == bindparam("owner_id", type_=Integer),
        table.c.topic_id.in_(bindparam("topic_ids", expanding=True)),
    ]
    if after:
        after_id = bindparam("after_id", type_=Integer)
        conditions.append(table.c.id < after_id if newest_first else table.c.id > after_id)
    ranked = (
        select_columns(
            *table.columns,
            func.row_number().over(partition_by=table.c.topic_id, order_by=order).label("rank"),
            func.count().over(partition_by=table.c.topic_id).label("total"),
        )
        .where(*conditions)
        .subquery()
    )
    return (
        select_columns(*(ranked.c[column.key] for column in table.columns), ranked.c.total)
        .where(ranked.c.rank <= bindparam("rank_limit", type_=Integer))
        .order_by(ranked.c.topic_id, ranked.c.rank)
    )


async def count_materials_for_topics(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int]
) -> dict[int, int]:
    """How many materials each topic has."""
    query = (
        select(StudyMaterial.topic_id, func.count())
        .where(StudyMaterial.owner_id == owner_id, col(StudyMaterial.topic_id).in_(topic_ids))
        .group_by(StudyMaterial.topic_id)
    )
    counts = dict((await session.exec(query)).all())
    return {topic_id: counts.get(topic_id, 0) for topic_id in topic_ids}


async def delete_material(
    session: AsyncSession, *, owner_id: int, material_id: int
) -> StudyMaterial:
    """Delete a material and its chunks (which leaves the search index with them)."""
    material = await get_material(session, owner_id=owner_id, material_id=material_id)
    await session.exec(delete(MaterialChunk).where(MaterialChunk.material_id == material_id))
    await session.delete(material)
    await session.flush()
    return material


async def fail_stale_materials(session: AsyncSession, *, now: datetime) -> list[StudyMaterial]:
    """Mark materials stuck in PROCESSING longer than STALE_AFTER as FAILED; those marked."""
    result = await session.exec(
        update(StudyMaterial)
        .where(
            StudyMaterial.status == MaterialStatus.PROCESSING,
            StudyMaterial.created_at < now - STALE_AFTER,
        )
        .values(status=MaterialStatus.FAILED, error=STALE_REASON)
        .returning(StudyMaterial)
    )
    return list(result.scalars().all())


def _extract(data: bytes, content_type: str, limits: ExtractionLimits, deadline: float):
    pages = extract_pages(data, content_type, limits, deadline=deadline)
    return len(pages) if pages[0].page is not None else None, chunk_pages(pages)


async def process_material(
    session_factory: SessionFactory,
    bus: Bus | None,
    *,
    material: StudyMaterial,
    data: bytes,
    pool: ExtractionPool | None = None,
    limits: ExtractionLimits | None = None,
) -> StudyMaterial | None:
    """Extract, chunk and index a PROCESSING material; it ends READY or FAILED.

    `material` is the row as create_material returned it. Runs on `pool` (the app's;
    without one, on a private one-worker pool) under its limits unless `limits` is
    given. None when the material was deleted (or ended) meanwhile.
    """
    limits = limits or (pool.limits if pool is not None else ExtractionLimits())
    upload = _Upload(material.id, material.owner_id, material.created_at)
    async with unit_of_work(session_factory) as session:
        if await _current_row(session, upload) is None:
            return None
    own_pool = pool is None
    if pool is None:
        pool = ExtractionPool(max_workers=1, limits=limits)
    try:
        return await _extract_and_index(
            session_factory, bus, upload, material, data=data, pool=pool, limits=limits
        )
    finally:
        if own_pool:
            pool.close()


async def _extract_and_index(
    session_factory: SessionFactory,
    bus: Bus | None,
    upload: "_Upload",
    material: StudyMaterial,
    *,
    data: bytes,
    pool: ExtractionPool,
    limits: ExtractionLimits,
) -> StudyMaterial | None:
    started = time.perf_counter()
    outcome = "error"
    try:
        # The worker checks the deadline between pages; the pool's backstop covers a
        # single page that never returns (its thread is then abandoned).
        page_count, chunks = await pool.run(
            partial(_extract, data, material.content_type, limits), seconds=limits.seconds
        )
    except (ExtractionFailed, TimeoutError) as error:
        outcome = "timeout" if isinstance(error, TimeoutError) else "error"
        reason = str(error) or f"processing took longer than {limits.seconds:g} seconds"
        return await _finish(session_factory, bus, upload, MaterialStatus.FAILED, error=reason)
    except Exception:
        logger.exception("extracting material %s failed", upload.material_id)
        return await _finish(
            session_factory,
            bus,
            upload,
            MaterialStatus.FAILED,
            error="the file could not be processed",
        )
    else:
        embedded = await embed_passages(
            pool, bus, material, [chunk.text for chunk in chunks], base_seconds=limits.seconds
        )
        outcome = "ok"
        return await _finish(
            session_factory,
            bus,
            upload,
            MaterialStatus.READY,
            chunks=chunks,
            page_count=page_count,
            embedded=embedded,
        )
    finally:
        pool.upload_processed(outcome, time.perf_counter() - started)


@dataclass(frozen=True)
class _Upload:
    """Which upload a processing job belongs to: more than its id, because SQLite reuses
    the id of a deleted row, and a job queued for a deleted upload must never write into
    the next one (possibly another user's)."""

    material_id: int
    owner_id: int
    created_at: datetime


async def _current_row(session: AsyncSession, upload: _Upload) -> StudyMaterial | None:
    """The upload's row while it is still this upload and still PROCESSING."""
    material = await session.get(StudyMaterial, upload.material_id)
    if (
        material is None
        or material.owner_id != upload.owner_id
        or material.created_at != upload.created_at
        or material.status != MaterialStatus.PROCESSING
    ):
        return None
    return material


async def _finish(
    session_factory: SessionFactory,
    bus: Bus | None,
    upload: _Upload,
    status: MaterialStatus,
    *,
    error: str | None = None,
    chunks=(),
    page_count: int | None = None,
    embedded: Embedded | None = None,
) -> StudyMaterial | None:
    async with unit_of_work(session_factory) as session:
        material = await _current_row(session, upload)
        if material is None:  # deleted (or ended by the sweeper) meanwhile
            logger.info("material %s is gone or ended; its result is dropped", upload.material_id)
            return None
        for ordinal, chunk in enumerate(chunks):
            session.add(
                MaterialChunk(
                    owner_id=material.owner_id,
                    material_id=material.id,
                    topic_id=material.topic_id,
                    ordinal=ordinal,
                    page=chunk.page,
                    start_offset=chunk.start_offset,
                    end_offset=chunk.end_offset,
                    text=chunk.text,
                    embedding=embedded.blobs[ordinal] if embedded else None,
                    embedding_model=embedded.model_name if embedded else None,
                )
            )
        material.status = status
        material.error = error[:ERROR_MAX] if error else None
        material.page_count = page_count
        material.chunk_count = len(chunks)
        session.add(material)
        await session.flush()
    if bus is not None:
        await publish_material_event(bus, material, kind=MaterialChange.UPDATED)
    return material
