"""Uploading and deleting study material."""

import strawberry
from strawberry.file_uploads import Upload

from db.engine import unit_of_work
from db.errors import BadUserInput
from db.materials import library, uploads
from db.materials.events import MaterialChange, publish_material_event
from schema.context import Info
from schema.materials.types import StudyMaterial
from schema.relay import row_id_of


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
        row = await uploads.upload_material(
            context.session_factory,
            context.bus,
            owner_id=owner_id,
            topic_id=topic_row_id,
            filename=getattr(file, "filename", None),
            data=data,
            max_processing=context.max_processing_uploads,
            pool=context.extraction,
            hold_bytes=context.hold_upload_bytes,
            spawn=context.tasks.spawn,
        )
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
        await publish_material_event(context.bus, row, kind=MaterialChange.DELETED)
        return id
