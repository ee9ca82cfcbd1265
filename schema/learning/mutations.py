"""Changing cards and goals."""

from enum import Enum

import strawberry

from db.engine import unit_of_work
from db.learning import cards, goals
from db.validation import UNCHANGED
from schema.context import Info
from schema.learning.types import (
    Card,
    CreateCardInput,
    ReviewCardInput,
    StudyGoal,
    StudyGoalInput,
    UpdateStudyGoalInput,
)
from schema.relay import optional_row_id, row_id_of
from tutor.cards import generate_cards_for_topic


def _given(value):
    """An input field as db/ reads it: UNCHANGED when omitted, an enum as its value."""
    if value is strawberry.UNSET:
        return UNCHANGED
    return value.value if isinstance(value, Enum) else value


@strawberry.type
class LearningMutations:
    @strawberry.mutation(description="Create a card, due now; its source is a message's citation.")
    async def create_card(self, info: Info, input: CreateCardInput) -> Card:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await cards.create_card(
                session,
                owner_id=context.require_user_id(),
                topic_id=row_id_of(input.topic_id, "Topic", field="topicId"),
                front=input.front,
                back=input.back,
                now=context.clock(),
                source_message_id=optional_row_id(
                    input.source_message_id, "Message", field="sourceMessageId"
                ),
            )
        return Card.from_row(row)

    @strawberry.mutation(
        description="Turns the passages a message cites, or a topic's material, into cards."
    )
    async def generate_cards(
        self,
        info: Info,
        topic_id: strawberry.ID,
        source_message_id: strawberry.ID | None = None,
        count: int | None = 5,
    ) -> list[Card]:
        context = info.context
        rows = await generate_cards_for_topic(
            context.session_factory,
            owner_id=context.require_user_id(),
            topic_id=row_id_of(topic_id, "Topic", field="topicId"),
            message_id=optional_row_id(source_message_id, "Message", field="sourceMessageId"),
            count=5 if count is None else count,
            now=context.clock(),
        )
        return [Card.from_row(row) for row in rows]

    @strawberry.mutation(description="Record a review: FSRS reschedules the card.")
    async def review_card(self, info: Info, input: ReviewCardInput) -> Card:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await cards.review_card(
                session,
                owner_id=context.require_user_id(),
                card_id=row_id_of(input.card_id, "Card", field="cardId"),
                rating=input.rating.value,
                now=context.clock(),
                duration_seconds=input.duration_seconds,
            )
        return Card.from_row(row)

    @strawberry.mutation(description="Delete a card and its reviews. Returns the deleted ID.")
    async def delete_card(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            await cards.delete_card(
                session, owner_id=context.require_user_id(), card_id=row_id_of(id, "Card")
            )
        return id

    @strawberry.mutation(description="Set a new goal.")
    async def set_study_goal(self, info: Info, input: StudyGoalInput) -> StudyGoal:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            view = await goals.create_study_goal_with_progress(
                session,
                owner_id=context.require_user_id(),
                title=input.title,
                topic_id=optional_row_id(input.topic_id, "Topic", field="topicId"),
                target_minutes_per_week=input.target_minutes_per_week,
                target_mastery=input.target_mastery,
                due_date=input.due_date,
                now=context.clock(),
            )
        return StudyGoal.from_view(view)

    @strawberry.mutation(description="Change a goal; omitted fields stay as they are.")
    async def update_study_goal(
        self, info: Info, id: strawberry.ID, input: UpdateStudyGoalInput
    ) -> StudyGoal:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            view = await goals.update_study_goal_with_progress(
                session,
                owner_id=context.require_user_id(),
                goal_id=row_id_of(id, "StudyGoal"),
                now=context.clock(),
                title=_given(input.title),
                target_minutes_per_week=_given(input.target_minutes_per_week),
                target_mastery=_given(input.target_mastery),
                due_date=_given(input.due_date),
                status=_given(input.status),
            )
        return StudyGoal.from_view(view)

    @strawberry.mutation(description="Delete a goal. Returns the deleted ID.")
    async def delete_study_goal(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            await goals.delete_study_goal(
                session, owner_id=context.require_user_id(), goal_id=row_id_of(id, "StudyGoal")
            )
        return id
