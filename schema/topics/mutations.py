"""Changing topics."""

import strawberry

from db.engine import unit_of_work
from db.study import topics
from db.validation import UNCHANGED
from schema.context import Info
from schema.relay import row_id_of
from schema.topics.types import CreateTopicInput, Topic, UpdateTopicInput


@strawberry.type
class TopicMutations:
    @strawberry.mutation(description="Create a topic.")
    async def create_topic(self, info: Info, input: CreateTopicInput) -> Topic:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await topics.create_topic(
                session,
                owner_id=context.require_user_id(),
                title=input.title,
                description=input.description,
            )
        return Topic.from_row(row)

    @strawberry.mutation(description="Change a topic's title or description.")
    async def update_topic(self, info: Info, id: strawberry.ID, input: UpdateTopicInput) -> Topic:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await topics.update_topic(
                session,
                owner_id=context.require_user_id(),
                topic_id=row_id_of(id, "Topic"),
                title=UNCHANGED if input.title is strawberry.UNSET else input.title,
                description=(
                    UNCHANGED if input.description is strawberry.UNSET else input.description
                ),
            )
        return Topic.from_row(row)

    @strawberry.mutation(
        description="Delete a topic with its material and cards; its sessions and goals stay, "
        "without a topic. Returns the deleted ID."
    )
    async def delete_topic(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            await topics.delete_topic(
                session, owner_id=context.require_user_id(), topic_id=row_id_of(id, "Topic")
            )
        return id
