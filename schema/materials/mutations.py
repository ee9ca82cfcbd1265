"""Uploading and deleting study material."""

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from strawberry.file_uploads import Upload

from db.engine import unit_of_work
from db.errors import BadUserInput, NotFound
from db.materials import library
from schema.context import Info
from schema.materials.types import StudyMaterial
from schema.relay import row_id_of

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Small text files are processed before the mutation returns (READY at once); PDFs,
# DOCX and larger files in the background, followed through node() or materialEvents.
# DOCX is a zip: even a small one can inflate into minutes of work, so it never runs
# inside the request. All extraction runs on the app's pool (Context.extraction).
INLINE_MAX_BYTES = 64 * 1024
INLINE_CONTENT_TYPES = frozenset({"text/plain", "text/markdown", "text/html"})


@strawberry.type
class MaterialMutations:
    @strawberry.mutation(
        description="Upload a file to a topic (GraphQL multipart request; send a "
        "`GraphQL-Preflight: 1` header). Plain text, Markdown, HTML, PDF and DOCX, recognised "
        "by content; anything else is UNSUPPORTED_MEDIA_TYPE. Returns the material, READY or "
        "FAILED for small text files (unless the server is busy), else PROCESSING until it "
        "is indexed. RATE_LIMITED while too many of the caller's uploads (or, on a busy "
        "server, too many bytes of everyone's) are still being processed."
    )
    async def upload_study_material(
        self, info: Info, topic_id: strawberry.ID, file: Upload
    ) -> StudyMaterial:
        context = info.context
        owner_id = context.require_user_id()
        topic_row_id = row_id_of(topic_id, "Topic", field="topicId")
        if not hasattr(file, "read"):  # e.g. a string sent in JSON instead of a file part
            raise BadUserInput("file must be a multipart file part", field="file")
        # BodySizeLimit has already capped the whole request at the upload limit.
        data = await file.read()
        # The bytes stay in memory until extracted: held against the process's backlog.
        release = context.hold_upload_bytes(len(data))
        try:
            async with unit_of_work(context.session_factory) as session:
                row = await library.create_material(
                    session,
                    owner_id=owner_id,
                    topic_id=topic_row_id,
                    filename=getattr(file, "filename", None),
                    data=data,
                    max_processing=context.max_processing_uploads,
                )
            await library.publish_material_event(context.bus, row, kind="CREATED")
            pool = context.extraction
            work = _releasing(
                library.process_material(
                    context.session_factory, context.bus, material=row, data=data, pool=pool
                ),
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
                context.tasks.spawn(work, name=f"material-{row.id}")
        except BaseException:
            release()  # refused, or a task that never started
            raise
        return StudyMaterial.from_row(row)

    @strawberry.mutation(
        description="Delete a material and its passages (they leave search at once). "
        "Returns the deleted ID."
    )
    async def delete_study_material(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await library.delete_material(
                session,
                owner_id=context.require_user_id(),
                material_id=row_id_of(id, "StudyMaterial"),
            )
        await library.publish_material_event(context.bus, row, kind="DELETED")
        return id


async def _releasing(work: Awaitable[T], release: Callable[[], None]) -> T:
    """Awaits the work, then gives its bytes back to the backlog however it ended."""
    try:
        return await work
    finally:
        release()
