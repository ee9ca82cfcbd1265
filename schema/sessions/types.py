"""GraphQL types of study sessions."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.models import StudySession as StudySessionRow
from db.types import utcnow
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
    ended_at: datetime | None = strawberry.field(description="When it ended; null while active.")
    row_id: strawberry.Private[int]
    topic_row_id: strawberry.Private[int | None]

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
            ended_at=row.ended_at,
        )

    @strawberry.field(description="True until the session is ended.")
    def active(self) -> bool:
        return self.ended_at is None

    @strawberry.field(description="Seconds from start to end, or to now while active.")
    def duration_seconds(self) -> int:
        end = self.ended_at or utcnow()
        return max(0, int((end - self.started_at).total_seconds()))

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
