"""GraphQL types of topics."""

import dataclasses
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import strawberry

from db.models import Topic as TopicRow
from db.study.topics import TopicRecord
from schema.context import Info
from schema.execution.lazy_connections import counted_connection, loaded_connection
from schema.execution.preloaded import preloadable_field
from schema.execution.settled import loaded_then
from schema.execution.warming import WarmUp, WarmWhen
from schema.learning.types import Card, TopicProgress
from schema.materials.types import StudyMaterial
from schema.relay import Connection, Node, page_request, to_global_id
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
    # Values of resolver fields set beforehand (schema/execution/preloaded.py).
    preloaded: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

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

    # Sync resolvers that may return an awaitable (schema/execution/settled.py): a value
    # their DataLoader already holds is answered without a task.
    @preloadable_field(
        description="Material uploaded to this topic, newest first.",
        graphql_type=Connection[StudyMaterial],
    )
    def materials(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StudyMaterial] | Awaitable[Connection[StudyMaterial]]:
        loaders = info.context.loaders
        return loaded_connection(
            info,
            StudyMaterial.from_row,
            page=(loaders.materials_page_by_topic, (self.row_id, page_request(first, after))),
            count=(loaders.materials_count_by_topic, self.row_id),
        )

    @strawberry.field(
        description="Study sessions on this topic, newest first.",
        graphql_type=Connection[StudySession],
    )
    def sessions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StudySession] | Awaitable[Connection[StudySession]]:
        loaders = info.context.loaders
        return loaded_connection(
            info,
            StudySession.from_row,
            page=(loaders.sessions_page_by_topic, (self.row_id, page_request(first, after))),
            count=(loaders.sessions_count_by_topic, self.row_id),
        )

    @strawberry.field(
        description="The topic's cards, newest first; `dueOnly` keeps those due now.",
        graphql_type=Connection[Card],
    )
    def cards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        due_only: bool | None = False,
    ) -> Connection[Card] | Awaitable[Connection[Card]]:
        loaders = info.context.loaders
        due = bool(due_only)
        return loaded_connection(
            info,
            Card.from_row,
            page=(loaders.cards_page_by_topic, (self.row_id, page_request(first, after), due)),
            count=(loaders.cards_count_by_topic, (self.row_id, due)),
        )

    @preloadable_field(
        description="How the topic's learning stands now.", graphql_type=TopicProgress
    )
    def progress(self, info: Info) -> TopicProgress | Awaitable[TopicProgress]:
        loader = info.context.loaders.progress_by_topic
        return loaded_then(loader, self.row_id, TopicProgress.from_facts)


# What a page of topics loads at once for its nodes, by the Topic field that will ask
# (schema/execution/warming.py): progress, and material counts when a node selects
# only `materials { totalCount }` (the dashboard's shape; a page of materials is not
# warmed). Measured by bench/execution_tricks.py.
# Each warm-up also preloads its field's value (schema/execution/preloaded.py), so
# that a page of topics is projected without a resolver call.
TOPIC_NODE_WARM_UPS: dict[str, WarmUp] = {
    "progress": WarmUp(loader="progress_by_topic", preload=TopicProgress.from_facts),
    "materials": WarmUp(
        loader="materials_count_by_topic",
        when=WarmWhen.ONLY_TOTAL_COUNT,
        preload=counted_connection,
    ),
}


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
