"""Reading topics."""

import strawberry

from db.engine import read_connection, unit_of_work
from db.study import study_sessions, topics
from schema.context import Info
from schema.execution.lazy_connections import read_later, warmed_connection
from schema.relay import Connection, load_or_not_found, page_request, row_id_of
from schema.topics.types import TOPIC_NODE_WARM_UPS, Topic


@strawberry.type
class TopicQueries:
    @strawberry.field(
        description="The learner's topics, newest first; `search` matches title or description."
    )
    async def topics(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Topic]:
        context = info.context
        owner_id = context.require_user_id()
        async with read_connection(context.session_factory) as connection:
            page = await topics.list_topics_for_owner(
                connection, owner_id=owner_id, page=page_request(first, after), search=search
            )
        count = read_later(
            context.session_factory,
            topics.count_topics_for_owner,
            owner_id=owner_id,
            search=search,
        )
        return await warmed_connection(info, page, Topic.from_row, count, TOPIC_NODE_WARM_UPS)

    @strawberry.field(description="One of the learner's topics; NOT_FOUND for any other.")
    async def topic(self, info: Info, id: strawberry.ID) -> Topic | None:
        loader = info.context.loaders.topic_by_id
        return Topic.from_row(await load_or_not_found(loader, row_id_of(id, "Topic"), "Topic"))

    @strawberry.field(description="The topic of the current session, else the topic studied last.")
    async def current_topic(self, info: Info) -> Topic | None:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await study_sessions.get_current_topic(
                session, owner_id=context.require_user_id(), now=context.clock()
            )
        return Topic.from_row(row) if row else None
