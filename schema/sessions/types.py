"""GraphQL types of study sessions."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.models import StudySession as StudySessionRow
from db.study.session_clock import SessionTimes, counted_seconds, session_end
from schema.chat.queries import session_messages
from schema.context import Info
from schema.relay import Connection, Node, to_global_id
from schema.sessions.modes import StudyMode

if TYPE_CHECKING:
    from schema.chat.types import Message
    from schema.topics.types import Topic

TopicType = Annotated["Topic", strawberry.lazy("schema.topics.types")]
MessageType = Annotated["Message", strawberry.lazy("schema.chat.types")]


@strawberry.type(description="A stretch of study, optionally on one topic, with the tutor.")
class StudySession(Node):
    title: str = strawberry.field(description="Defaults to the topic's title.")
    mode: StudyMode = strawberry.field(description="The tutor's default mode in this session.")
    model: str = strawberry.field(description="The tutor's model, as `provider:model`.")
    started_at: datetime = strawberry.field(description="When the session began.")
    last_activity_at: datetime | None = strawberry.field(
        description="The learner's latest message, review or quiz answer in the session "
        "(its start until then)."
    )
    row_id: strawberry.Private[int]
    topic_row_id: strawberry.Private[int | None]
    times: strawberry.Private[SessionTimes]

    @classmethod
    def from_row(cls, row: StudySessionRow) -> "StudySession":
        return cls(
            id=to_global_id("StudySession", row.id),
            row_id=row.id,
            topic_row_id=row.topic_id,
            title=row.title,
            mode=StudyMode(row.mode),
            model=row.model,
            started_at=row.started_at,
            last_activity_at=row.last_activity_at or row.started_at,
            times=SessionTimes.of(row),
        )

    @strawberry.field(
        description="When it ended: ended by hand, by starting another session, or after "
        "going idle (at its last activity plus a short grace); null while active."
    )
    def ended_at(self, info: Info) -> datetime | None:
        return session_end(self.times, info.context.clock())

    @strawberry.field(description="True until the session ends or goes idle.")
    def active(self, info: Info) -> bool:
        return session_end(self.times, info.context.clock()) is None

    @strawberry.field(
        description="Seconds of study the session counts: from start to end, or to now "
        "while active (at most 4 hours)."
    )
    def duration_seconds(self, info: Info) -> int:
        return int(counted_seconds(self.times, info.context.clock()))

    @strawberry.field(
        description="When the session ends if nothing else happens in it; null once ended."
    )
    def idle_ends_at(self, info: Info) -> datetime | None:
        if session_end(self.times, info.context.clock()) is not None:
            return None
        return self.times.idle_deadline

    @strawberry.field(
        description="The session's messages in chronological order; `last` "
        "(with `before`) reads from the newest, the way a chat view opens."
    )
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[MessageType]:
        return await session_messages(info, self.row_id, first, after, last, before)

    @strawberry.field(description="The topic studied; null for a free session or a deleted topic.")
    async def topic(self, info: Info) -> TopicType | None:
        # Imported here because schema.topics.types imports this module.
        from schema.topics.types import Topic

        if self.topic_row_id is None:
            return None
        row = await info.context.loaders.topic_by_id.load(self.topic_row_id)
        return Topic.from_row(row) if row else None


@strawberry.input(description="A session to start.")
class StartStudySessionInput:
    topic_id: strawberry.ID | None = strawberry.field(
        default=None, description="The topic to study; omit for a free session."
    )
    title: str | None = strawberry.field(default=None, description="Defaults to the topic's title.")
    mode: StudyMode | None = strawberry.field(
        default=StudyMode.EXPLAIN, description="The tutor's mode."
    )
    model: str | None = strawberry.field(
        default=None, description="`provider:model`; defaults to the server's default model."
    )
