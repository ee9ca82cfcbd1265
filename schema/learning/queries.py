"""Reading cards, progress, goals, metrics, plans and recommendations."""

from datetime import date
from typing import Annotated

import strawberry

from db.engine import unit_of_work
from db.learning import cards, goals, metrics, next_up, study_plan
from schema.context import Info
from schema.learning.insights import (
    ImprovementArea,
    StudyMetrics,
    StudyPlan,
    TopicRecommendation,
)
from schema.learning.types import Card, GoalStatus, StudyGoal, TopicProgress
from schema.relay import (
    Connection,
    connection_from_page,
    load_or_not_found,
    optional_row_id,
    page_request,
    row_id_of,
)
from schema.topics.types import Topic


@strawberry.type
class LearningQueries:
    @strawberry.field(description="Progress of one of the learner's topics; NOT_FOUND for others.")
    async def topic_progress(self, info: Info, topic_id: strawberry.ID) -> TopicProgress:
        loaders = info.context.loaders
        row_id = row_id_of(topic_id, "Topic", field="topicId")
        await load_or_not_found(loaders.topic_by_id, row_id, "Topic")
        return TopicProgress.from_facts(await loaders.progress_by_topic.load(row_id))

    @strawberry.field(description="The learner's cards, newest first; optionally one topic's.")
    async def cards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        topic_id: strawberry.ID | None = None,
        due_only: bool | None = False,
    ) -> Connection[Card]:
        context = info.context
        page, count = await cards.list_cards_page_for_owner(
            context.session_factory,
            owner_id=context.require_user_id(),
            topic_id=optional_row_id(topic_id, "Topic", field="topicId"),
            now=context.clock(),
            page=page_request(first, after),
            due_only=bool(due_only),
        )
        return connection_from_page(page, Card.from_row, count)

    @strawberry.field(description="The learner's goals, oldest first; optionally of one status.")
    async def study_goals(self, info: Info, status: GoalStatus | None = None) -> list[StudyGoal]:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            views = await goals.list_study_goals_for_owner(
                session,
                owner_id=context.require_user_id(),
                now=context.clock(),
                status=status.value if status else None,
            )
        return [StudyGoal.from_view(view) for view in views]

    @strawberry.field(
        description="Study from `from` to `to` (default: the 30 days up to today), in the "
        "learner's time zone."
    )
    async def study_metrics(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> StudyMetrics:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            facts = await metrics.get_study_metrics(
                session,
                owner_id=context.require_user_id(),
                start=from_,
                end=to,
                now=context.clock(),
            )
        return StudyMetrics.from_facts(facts)

    @strawberry.field(
        description="Due reviews and goal work spread over the next `days` days (1 to 60) "
        "within `minutesPerDay` (default: the weekly goals' daily share, at least 30)."
    )
    async def study_plan(
        self, info: Info, days: int | None = 7, minutes_per_day: int | None = None
    ) -> StudyPlan:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            plan = await study_plan.build_study_plan(
                session,
                owner_id=context.require_user_id(),
                now=context.clock(),
                days=7 if days is None else days,
                minutes_per_day=minutes_per_day,
            )
        return StudyPlan.from_plan(plan)

    @strawberry.field(description="Topics to study next: due cards, goal urgency, neglect.")
    async def next_up_topics(self, info: Info, limit: int | None = 5) -> list[TopicRecommendation]:
        context = info.context
        owner_id = context.require_user_id()
        limit = next_up.check_limit(limit)  # refused before the reads below start
        loaders = context.loaders
        # Started before the first await: the topics' progress and topics by id in the
        # same operation then come from it instead of the database again.
        loaders.owner_progress.start()
        user = await loaders.user_by_id.load(owner_id)
        progress = await loaders.owner_progress.get()
        items = await _next_up(context, progress, user, limit)
        # The topics are those of the shared read: each is preloaded as `topic` resolves
        # it (the owner's topic by id), so that the list is projected.
        topics = {row.id: row for row in progress.topics}
        return [
            TopicRecommendation.from_facts(item, Topic.from_row(topics[item.topic_id]))
            for item in items
        ]

    @strawberry.field(description="The weakest topics: low mastery, wrong answers, lapses.")
    async def improvement_areas(self, info: Info, limit: int | None = 5) -> list[ImprovementArea]:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            items = await next_up.list_improvement_areas(
                session,
                owner_id=context.require_user_id(),
                now=context.clock(),
                limit=limit,
            )
        return [ImprovementArea.from_facts(item) for item in items]


async def _next_up(context, progress, user, limit: int) -> list[next_up.Recommendation]:
    """nextUpTopics from the shared read: ranked at once when its goals need nothing
    recorded, else in a unit of work that marks the goal reached now ACHIEVED."""
    views = goals.views_if_none_reached(
        progress.active_goals, progress.facts, progress.minutes_last_week
    )
    if views is not None:
        return next_up.rank_next_up(progress, views, owner=user, now=progress.now, limit=limit)
    async with unit_of_work(context.session_factory) as session:
        return await next_up.list_next_up_topics(
            session,
            owner_id=context.require_user_id(),
            now=progress.now,
            limit=limit,
            progress=progress,
            owner=user,
        )
