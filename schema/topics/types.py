"""GraphQL types of topics."""

from datetime import datetime

import strawberry

from db.models import Topic as TopicRow
from db.topics import TopicRecord
from schema.context import Info
from schema.learning.types import Card, TopicProgress
from schema.materials.types import StudyMaterial
from schema.relay import Connection, Node, connection_from_page, page_request, to_global_id
from schema.sessions.types import StudySession


@strawberry.type(
    description="A subject the learner studies, with its material, sessions and cards."
)
class Topic(Node):
    title: str = strawberry.field(description="Short name of the topic.")
    description: str | None = strawberry.field(description="What the topic covers.")
    created_at: datetime = strawberry.field(description="When the topic was created.")
    updated_at: datetime = strawberry.field(description="When the topic was last edited.")
    row_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: TopicRow | TopicRecord) -> "Topic":
        return cls(
            id=to_global_id("Topic", row.id),
            row_id=row.id,
            title=row.title,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Material uploaded to this topic, newest first.")
    async def materials(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StudyMaterial]:
        loaders = info.context.loaders
        request = page_request(first, after)
        page = await loaders.materials_page_by_topic.load((self.row_id, request))
        return connection_from_page(
            page,
            StudyMaterial.from_row,
            lambda: loaders.materials_count_by_topic.load(self.row_id),
        )

    @strawberry.field(description="Study sessions on this topic, newest first.")
    async def sessions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StudySession]:
        loaders = info.context.loaders
        request = page_request(first, after)
        page = await loaders.sessions_page_by_topic.load((self.row_id, request))
        return connection_from_page(
            page,
            StudySession.from_row,
            lambda: loaders.sessions_count_by_topic.load(self.row_id),
        )

    @strawberry.field(description="The topic's cards, newest first; `dueOnly` keeps those due now.")
    async def cards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        due_only: bool | None = False,
    ) -> Connection[Card]:
        loaders = info.context.loaders
        request = page_request(first, after)
        page = await loaders.cards_page_by_topic.load((self.row_id, request, bool(due_only)))
        return connection_from_page(
            page,
            Card.from_row,
            lambda: loaders.cards_count_by_topic.load((self.row_id, bool(due_only))),
        )

    @strawberry.field(description="How the topic's learning stands now.")
    async def progress(self, info: Info) -> TopicProgress:
        return TopicProgress.from_facts(
            await info.context.loaders.progress_by_topic.load(self.row_id)
        )


@strawberry.input(description="A new topic.")
class CreateTopicInput:
    title: str = strawberry.field(description="1 to 200 characters.")
    description: str | None = strawberry.field(default=None, description="Up to 5,000 characters.")


@strawberry.input(description="Changes to a topic; omitted fields stay as they are.")
class UpdateTopicInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="New title; omit or null to keep it."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="New description; null clears it."
    )
