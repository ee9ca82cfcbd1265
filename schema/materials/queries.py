"""Searching the learner's material."""

import strawberry

from db.engine import unit_of_work
from db.errors import BadUserInput
from db.materials.search import search_passages
from schema.context import Info
from schema.materials.types import MaterialSearchHit
from schema.relay import load_or_not_found, optional_row_id

DEFAULT_SEARCH_RESULTS = 5
MAX_SEARCH_RESULTS = 50


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
        owner_id = context.require_user_id()
        limit = DEFAULT_SEARCH_RESULTS if first is None else first
        if not 1 <= limit <= MAX_SEARCH_RESULTS:
            raise BadUserInput(f"first must be between 1 and {MAX_SEARCH_RESULTS}", field="first")
        topic_row_id = optional_row_id(topic_id, "Topic", field="topicId")
        if topic_row_id is not None:
            await load_or_not_found(context.loaders.topic_by_id, topic_row_id, "Topic")
        async with unit_of_work(context.session_factory) as session:
            hits = await search_passages(
                session,
                owner_id=owner_id,
                query=query,
                topic_id=topic_row_id,
                limit=limit,
            )
        return [MaterialSearchHit.from_hit(hit) for hit in hits]
