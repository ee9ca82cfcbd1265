"""Searching the learner's material."""

import strawberry

from db.engine import unit_of_work
from db.materials.search import search_materials_for_owner
from schema.context import Info
from schema.materials.types import MaterialSearchHit
from schema.relay import optional_row_id


@strawberry.type
class MaterialQueries:
    @strawberry.field(
        description="The learner's own passages that best answer a free-text question, best "
        "first (`first`: 1 to 50, default 5; outside that range BAD_USER_INPUT); `topicId` "
        "narrows to one topic. Words are matched stemmed and OR-ed; a query with no "
        "searchable words (empty, blank or only stop words) returns []."
    )
    async def search_materials(
        self, info: Info, query: str, topic_id: strawberry.ID | None = None, first: int | None = 5
    ) -> list[MaterialSearchHit]:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            hits = await search_materials_for_owner(
                session,
                owner_id=context.require_user_id(),
                query=query,
                topic_id=optional_row_id(topic_id, "Topic", field="topicId"),
                first=first,
                # Questions are embedded with the model that embedded the passages.
                embedder=context.extraction.embedder if context.extraction else None,
            )
        return [MaterialSearchHit.from_hit(hit) for hit in hits]
