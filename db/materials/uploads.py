"""An upload from request to index: stored, announced, then extracted inline or later.

Small text files are processed before the upload returns (READY at once); PDFs, DOCX
and larger files in the background, followed through node() or materialEvents. DOCX
is a zip: even a small one can inflate into minutes of work, so it never runs inside
the request. All extraction runs on the app's pool (extraction_pool.py).
"""

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from db.engine import SessionFactory, unit_of_work
from db.errors import NotFound
from db.materials import library
from db.materials.events import MaterialChange, publish_material_event
from db.materials.extraction_pool import ExtractionPool
from db.models import StudyMaterial
from db.pubsub import Bus

T = TypeVar("T")

INLINE_MAX_BYTES = 64 * 1024
INLINE_CONTENT_TYPES = frozenset({"text/plain", "text/markdown", "text/html"})


class Spawn(Protocol):
    """Starts work that outlives the request and keeps it referenced until it ends."""

    def __call__(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> object: ...


async def upload_material(
    session_factory: SessionFactory,
    bus: Bus,
    *,
    owner_id: int,
    topic_id: int,
    filename: str | None,
    data: bytes,
    max_processing: int | None,
    pool: ExtractionPool | None,
    hold_bytes: Callable[[int], Callable[[], None]],
    spawn: Spawn,
) -> StudyMaterial:
    """Store the upload as PROCESSING and extract it, inline when small, else in `spawn`.

    `hold_bytes` reserves the bytes against the process's backlog (RATE_LIMITED when
    full) and returns their release, called once the extraction ends however it ends.
    """
    # The bytes stay in memory until extracted: held against the process's backlog.
    release = hold_bytes(len(data))
    try:
        async with unit_of_work(session_factory) as session:
            row = await library.create_material(
                session,
                owner_id=owner_id,
                topic_id=topic_id,
                filename=filename,
                data=data,
                max_processing=max_processing,
            )
        await publish_material_event(bus, row, kind=MaterialChange.CREATED)
        work = _releasing(
            library.process_material(session_factory, bus, material=row, data=data, pool=pool),
            release,
        )
        # When every extraction worker is busy, even a small file would wait in the
        # queue inside the request: it goes to the background instead.
        inline = len(data) <= INLINE_MAX_BYTES and row.content_type in INLINE_CONTENT_TYPES
        if inline and (pool is None or pool.has_idle_worker):
            row = await work
            if row is None:  # deleted by a concurrent request in the meantime
                raise NotFound("StudyMaterial")
        else:
            spawn(work, name=f"material-{row.id}")
    except BaseException:
        release()  # refused, or a task that never started
        raise
    return row


async def _releasing(work: Awaitable[T], release: Callable[[], None]) -> T:
    """Awaits the work, then gives its bytes back to the backlog however it ended."""
    try:
        return await work
    finally:
        release()
