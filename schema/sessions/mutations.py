"""Starting and ending study sessions."""

import strawberry

from db.engine import unit_of_work
from db.study import study_sessions
from schema.context import Info
from schema.relay import optional_row_id, row_id_of
from schema.sessions.types import StartStudySessionInput, StudySession


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        description="Start a study session, on a topic or free. One session is active "
        "at a time: the learner's other active sessions end now."
    )
    async def start_study_session(self, info: Info, input: StartStudySessionInput) -> StudySession:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await study_sessions.start_study_session(
                session,
                owner_id=context.require_user_id(),
                topic_id=optional_row_id(input.topic_id, "Topic", field="topicId"),
                title=input.title,
                mode=input.mode.value if input.mode else None,
                model=input.model,
                now=context.clock(),
                default_model=context.server.default_model,
                # Only a model this server can run: a configured provider.
                check_model=context.models.check if context.models is not None else None,
                idle_minutes=context.session_idle_minutes,
            )
        return StudySession.from_row(row)

    @strawberry.mutation(description="End a session; ending an ended session changes nothing.")
    async def end_study_session(self, info: Info, id: strawberry.ID) -> StudySession:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await study_sessions.end_study_session(
                session,
                owner_id=context.require_user_id(),
                session_id=row_id_of(id, "StudySession"),
                now=context.clock(),
            )
        return StudySession.from_row(row)
