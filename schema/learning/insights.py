"""GraphQL types of what the learning model concludes: metrics, next up, weak spots, plans."""

import dataclasses
from datetime import date as Date
from datetime import datetime
from typing import Any

import strawberry

from db.learning.metrics import DayFacts, MetricsFacts
from db.learning.next_up import Recommendation, Weakness
from db.learning.study_plan import ExamForecast as ExamForecastFacts
from db.learning.study_plan import Plan, PlanItem
from schema.context import Info
from schema.execution.preloaded import preload, preloadable_field
from schema.learning.types import Card, TopicProgress, TopicType, load_topic
from schema.relay import to_global_id
from schema.sessions.modes import StudyMode


async def load_cards(info: Info, card_ids: list[int]) -> list[Card]:
    rows = await info.context.loaders.card_by_id.load_many(card_ids)
    return [Card.from_row(row) for row in rows if row is not None]


@strawberry.type(description="One day of study, in the learner's time zone.")
class DailyStudy:
    date: Date = strawberry.field(description="The day.")
    minutes: int = strawberry.field(description="Minutes of the sessions started that day.")
    reviews: int = strawberry.field(description="Card reviews that day.")
    messages: int = strawberry.field(description="Messages the learner sent that day.")

    @classmethod
    def from_facts(cls, facts: DayFacts) -> "DailyStudy":
        return cls(
            date=facts.day, minutes=facts.minutes, reviews=facts.reviews, messages=facts.messages
        )


@strawberry.type(description="Study over a range of days, in the learner's time zone.")
class StudyMetrics:
    from_: Date = strawberry.field(name="from", description="First day of the range.")
    to: Date = strawberry.field(description="Last day of the range.")
    total_minutes: int = strawberry.field(description="Sum of the daily minutes.")
    sessions_count: int = strawberry.field(description="Sessions started in the range.")
    messages_count: int = strawberry.field(description="Messages the learner sent.")
    reviews_count: int = strawberry.field(description="Card reviews.")
    correct_rate: float | None = strawberry.field(
        description="Share of the range's reviews rated GOOD or EASY; null without reviews."
    )
    current_streak_days: int = strawberry.field(
        description="Days in a row with study, where one missed day in any seven does not "
        "break it; alive at `to` (today not yet studied does not break it)."
    )
    longest_streak_days: int = strawberry.field(
        description="The longest such streak up to `to` (looking back up to 400 days)."
    )
    daily: list[DailyStudy] = strawberry.field(description="Every day of the range, in order.")
    topics: list[TopicProgress] = strawberry.field(
        description="Progress of the topics studied in the range."
    )

    @classmethod
    def from_facts(cls, facts: MetricsFacts) -> "StudyMetrics":
        return cls(
            from_=facts.start,
            to=facts.end,
            total_minutes=facts.total_minutes,
            sessions_count=facts.sessions_count,
            messages_count=facts.messages_count,
            reviews_count=facts.reviews_count,
            correct_rate=facts.correct_rate,
            current_streak_days=facts.current_streak_days,
            longest_streak_days=facts.longest_streak_days,
            daily=[DailyStudy.from_facts(day) for day in facts.daily],
            topics=[TopicProgress.from_facts(topic) for topic in facts.topics],
        )


@strawberry.type(description="A topic worth studying next, and why.")
class TopicRecommendation:
    score: float = strawberry.field(description="Higher is more urgent; comparable within a list.")
    reason: str = strawberry.field(description="Why, in words a learner understands.")
    due_cards_count: int = strawberry.field(description="Cards of the topic due now.")
    topic_row_id: strawberry.Private[int]
    # The topic, when the caller holds it (schema/execution/preloaded.py).
    preloaded: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_facts(cls, facts: Recommendation, topic: Any = None) -> "TopicRecommendation":
        """`topic`: the Topic (as `topic` resolves it) when the caller already holds it."""
        recommendation = cls(
            topic_row_id=facts.topic_id,
            score=facts.score,
            reason=facts.reason,
            due_cards_count=facts.due_cards_count,
        )
        if topic is not None:
            preload(recommendation, "topic", topic)
        return recommendation

    @preloadable_field(description="The topic.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.topic_row_id)


@strawberry.type(description="A weak topic, its most-forgotten cards and how to work on it.")
class ImprovementArea:
    mastery: float = strawberry.field(
        description="0..1 the topic's mastery now (see TopicProgress.mastery)."
    )
    reason: str = strawberry.field(description="What makes it weak, and the advice.")
    suggested_mode: StudyMode = strawberry.field(description="The tutor mode that helps most.")
    weak_card_ids: strawberry.Private[list[int]]
    topic_row_id: strawberry.Private[int]

    @classmethod
    def from_facts(cls, facts: Weakness) -> "ImprovementArea":
        return cls(
            topic_row_id=facts.topic_id,
            mastery=facts.mastery,
            reason=facts.reason,
            suggested_mode=StudyMode(facts.suggested_mode),
            weak_card_ids=facts.weak_card_ids,
        )

    @strawberry.field(description="The topic.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.topic_row_id)

    @strawberry.field(description="The cards the learner forgets most in this topic.")
    async def weak_cards(self, info: Info) -> list[Card]:
        return await load_cards(info, self.weak_card_ids)


@strawberry.type(description="One block of a plan's day: a topic, a mode and minutes.")
class StudyPlanItem:
    minutes: int = strawberry.field(description="Minutes planned (30 seconds per card review).")
    mode: StudyMode = strawberry.field(description="How to study it.")
    due_cards_count: int = strawberry.field(description="Card reviews planned in this block.")
    reason: str = strawberry.field(description="Why it is in the plan.")
    predicted_mastery: float = strawberry.field(
        description="The topic's predicted mastery at the end of the day if the plan is followed."
    )
    card_ids: strawberry.Private[list[int]]
    topic_row_id: strawberry.Private[int]

    @classmethod
    def from_item(cls, item: PlanItem) -> "StudyPlanItem":
        return cls(
            topic_row_id=item.topic_id,
            card_ids=list(item.card_ids),
            minutes=item.minutes,
            mode=StudyMode(item.mode),
            due_cards_count=len(item.card_ids),
            reason=item.reason,
            predicted_mastery=item.predicted_mastery,
        )

    @strawberry.field(description="The topic.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.topic_row_id)

    @strawberry.field(description="The cards to review in this block (as they stand now).")
    async def cards(self, info: Info) -> list[Card]:
        return await load_cards(info, self.card_ids)


@strawberry.type(description="One day of a study plan.")
class StudyPlanDay:
    date: Date = strawberry.field(description="The day, in the learner's time zone.")
    total_minutes: int = strawberry.field(description="Never more than the daily budget.")
    items: list[StudyPlanItem] = strawberry.field(description="What to study that day.")


@strawberry.type(description="Where an exam goal's topic is predicted to stand on its date.")
class ExamForecast:
    goal_id: strawberry.ID = strawberry.field(description="The StudyGoal.")
    due_date: Date = strawberry.field(description="The exam date.")
    target_mastery: float = strawberry.field(description="The goal's target.")
    predicted_mastery: float = strawberry.field(
        description="Predicted mastery at the start of the exam day if the plan is followed."
    )
    topic_row_id: strawberry.Private[int]

    @classmethod
    def from_facts(cls, facts: ExamForecastFacts) -> "ExamForecast":
        return cls(
            goal_id=to_global_id("StudyGoal", facts.goal_id),
            topic_row_id=facts.topic_id,
            due_date=facts.due_date,
            target_mastery=facts.target_mastery,
            predicted_mastery=facts.predicted_mastery,
        )

    @strawberry.field(description="The exam's topic.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.topic_row_id)


@strawberry.type(description="Reviews FSRS forecasts and goal work, spread over coming days.")
class StudyPlan:
    generated_at: datetime = strawberry.field(description="The moment the plan starts from.")
    days: list[StudyPlanDay] = strawberry.field(description="One entry per day, from today.")
    exams: list[ExamForecast] = strawberry.field(
        description="Each active exam goal with its predicted mastery at the date."
    )

    @classmethod
    def from_plan(cls, plan: Plan) -> "StudyPlan":
        return cls(
            generated_at=plan.generated_at,
            days=[
                StudyPlanDay(
                    date=day.day,
                    total_minutes=day.total_minutes,
                    items=[StudyPlanItem.from_item(item) for item in day.items],
                )
                for day in plan.days
            ],
            exams=[ExamForecast.from_facts(exam) for exam in plan.exams],
        )
