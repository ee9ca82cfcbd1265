"""GraphQL types of study material, citations and search hits."""

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.materials.search import PassageHit
from db.models import StudyMaterial as StudyMaterialRow
from schema.context import Info
from schema.relay import Node, load_or_not_found, to_global_id

if TYPE_CHECKING:
    from schema.topics.types import Topic

TopicType = Annotated["Topic", strawberry.lazy("schema.topics.types")]


@strawberry.enum(description="Where an uploaded file is in processing.")
class MaterialStatus(Enum):
    PROCESSING = strawberry.enum_value(
        "PROCESSING", description="Text is being extracted and indexed."
    )
    READY = strawberry.enum_value("READY", description="Searchable and citable.")
    FAILED = strawberry.enum_value("FAILED", description="Could not be processed; see `error`.")


@strawberry.type(
    description="A file the learner uploaded to a topic, as extracted text in citable passages. "
    "The file itself is never served back."
)
class StudyMaterial(Node):
    filename: str = strawberry.field(description="The sanitised name the file was uploaded as.")
    content_type: str = strawberry.field(
        description="The type the file's content was recognised as (not the name or header)."
    )
    size_bytes: int = strawberry.field(description="Size of the uploaded file in bytes.")
    status: MaterialStatus = strawberry.field(description="PROCESSING, READY or FAILED.")
    error: str | None = strawberry.field(description="Why processing failed; null otherwise.")
    page_count: int | None = strawberry.field(description="Pages of a PDF; null for other files.")
    chunk_count: int = strawberry.field(description="How many searchable passages it holds.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    row_id: strawberry.Private[int]
    topic_row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: StudyMaterialRow) -> "StudyMaterial":
        return cls(
            id=to_global_id("StudyMaterial", row.id),
            row_id=row.id,
            topic_row_id=row.topic_id,
            filename=row.filename,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            status=MaterialStatus(row.status),
            error=row.error,
            page_count=row.page_count,
            chunk_count=row.chunk_count,
            created_at=row.created_at,
        )

    @strawberry.field(description="The topic the material belongs to.")
    async def topic(self, info: Info) -> TopicType:
        from schema.topics.types import Topic  # schema.topics.types imports this module

        row = await load_or_not_found(info.context.loaders.topic_by_id, self.topic_row_id, "Topic")
        return Topic.from_row(row)


@strawberry.type(
    description="A passage of the user's own material that an answer or a card rests on."
)
class Citation:
    page: int | None = strawberry.field(description="1-based page of a PDF; null for other files.")
    start_offset: int = strawberry.field(
        description="Where the passage starts in the page's text (the document's, if unpaged)."
    )
    end_offset: int = strawberry.field(description="Where the passage ends (exclusive).")
    quote: str = strawberry.field(description="The passage's text, as quoted.")
    marker: int | None = strawberry.field(
        default=None,
        description="The [n] marker that cites this passage in the answer's text; "
        "null outside an answer's citations.",
    )
    material_row_id: strawberry.Private[int]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Citation":
        """A citation from its stored JSON (PassageHit.citation())."""
        return cls(
            material_row_id=int(data["material_id"]),
            page=data.get("page"),
            start_offset=int(data.get("start_offset") or 0),
            end_offset=int(data.get("end_offset") or 0),
            quote=str(data.get("quote") or ""),
            marker=data.get("marker") if isinstance(data.get("marker"), int) else None,
        )

    @classmethod
    def from_hit(cls, hit: PassageHit) -> "Citation":
        return cls.from_json(hit.citation())

    @strawberry.field(description="The material the passage comes from.")
    async def material(self, info: Info) -> StudyMaterial:
        loader = info.context.loaders.material_by_id
        row = await load_or_not_found(loader, self.material_row_id, "StudyMaterial")
        return StudyMaterial.from_row(row)


async def live_citations(info: Info, items: Iterable[dict[str, Any]]) -> list[Citation]:
    """Stored citations whose material still exists and is the viewer's (batched).

    For fields like Message.citations: a material deleted after the answer would
    otherwise make `material` (non-null) fail the whole list.
    """
    citations = [Citation.from_json(item) for item in items]
    loader = info.context.loaders.material_by_id
    rows = await loader.load_many([citation.material_row_id for citation in citations])
    return [citation for citation, row in zip(citations, rows, strict=True) if row is not None]


@strawberry.type(description="A passage that matches a search, with its relevance.")
class MaterialSearchHit:
    citation: Citation = strawberry.field(description="The matching passage and where it is.")
    score: float = strawberry.field(
        description="Relevance; higher is better, comparable within one result list only."
    )

    @classmethod
    def from_hit(cls, hit: PassageHit) -> "MaterialSearchHit":
        return cls(citation=Citation.from_hit(hit), score=hit.score)


@strawberry.enum(description="What happened to a material.")
class MaterialEventKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="A file was uploaded.")
    UPDATED = strawberry.enum_value("UPDATED", description="Its status changed (READY or FAILED).")
    DELETED = strawberry.enum_value("DELETED", description="It was deleted.")


@strawberry.type(description="How far the indexing of a long upload has come.")
class MaterialProgress:
    done: int = strawberry.field(description="Passages indexed so far.")
    total: int = strawberry.field(description="Passages in the document.")


@strawberry.type(description="A change to one of a topic's materials.")
class MaterialEvent:
    kind: MaterialEventKind = strawberry.field(description="What happened.")
    material_id: strawberry.ID = strawberry.field(description="The material's global ID.")
    status: MaterialStatus = strawberry.field(description="Its status after the change.")
    material: StudyMaterial | None = strawberry.field(
        description="The material as it is now; null once deleted."
    )
    progress: MaterialProgress | None = strawberry.field(
        default=None,
        description="While a long document is being indexed (UPDATED, status PROCESSING): "
        "how many of its passages are embedded for meaning search; null otherwise.",
    )
