"""Reading study sessions."""

import strawberry

from db.engine import read_connection
from db.study import study_sessions
from schema.context import Info
from schema.relay import (
    Connection,
    connection_from_page,
    load_or_not_found,
    optional_row_id,
    page_request,
    row_id_of,
)
from schema.sessions.types import StudySession


@strawberry.type
class SessionQueries:
    @strawberry.field(description="The learner's sessions, newest first.")
    async def study_sessions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        topic_id: strawberry.ID | None = None,
        active: bool | None = None,
    ) -> Connection[StudySession]:
        context = info.context
        page, count = await study_sessions.list_study_sessions_page_for_owner(
            context.session_factory,
            owner_id=context.require_user_id(),
            topic_id=optional_row_id(topic_id, "Topic", field="topicId"),
            page=page_request(first, after),
            active=active,
            now=context.clock(),
        )
        return connection_from_page(page, StudySession.from_row, count)

    @strawberry.field(description="One of the learner's sessions; NOT_FOUND for any other.")
    async def study_session(self, info: Info, id: strawberry.ID) -> StudySession | None:
        loader = info.context.loaders.session_by_id
        row_id = row_id_of(id, "StudySession")
        return StudySession.from_row(await load_or_not_found(loader, row_id, "StudySession"))

    @strawberry.field(
        description="The active session; null once it ended or went idle "
        "(STUDYGRAPH_SESSION_IDLE_MINUTES without a message, review or answer)."
    )
    async def current_session(self, info: Info) -> StudySession | None:
        context = info.context
        async with read_connection(context.session_factory) as connection:
            row = await study_sessions.get_current_session(
                connection, owner_id=context.require_user_id(), now=context.clock()
            )
        return StudySession.from_row(row) if row else None
