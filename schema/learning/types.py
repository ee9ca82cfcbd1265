"""GraphQL types of the learning model: cards, progress and goals."""

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.learning.goals import GoalView
from db.learning.progress import TopicProgressFacts
from db.learning.scheduling import review_outcomes, row_retrievability
from db.models import Card as CardRow
from schema.context import Info
from schema.materials.types import Citation, live_citations
from schema.relay import Node, load_or_not_found, to_global_id

if TYPE_CHECKING:
    from schema.topics.types import Topic

TopicType = Annotated["Topic", strawberry.lazy("schema.topics.types")]


async def load_topic(info: Info, topic_id: int) -> "Topic":
    # Imported here because schema.topics.types imports this module.
    from schema.topics.types import Topic

    return Topic.from_row(
        await load_or_not_found(info.context.loaders.topic_by_id, topic_id, "Topic")
    )


@strawberry.enum(description="Where a card is in FSRS's schedule.")
class CardState(Enum):
    LEARNING = strawberry.enum_value("LEARNING", description="New, in its first short steps.")
    REVIEW = strawberry.enum_value("REVIEW", description="Learnt; reviewed at growing intervals.")
    RELEARNING = strawberry.enum_value(
        "RELEARNING", description="Forgotten after being learnt; back in short steps."
    )


@strawberry.enum(description="How well the learner recalled a card (FSRS's four grades).")
class ReviewRating(Enum):
    AGAIN = strawberry.enum_value("AGAIN", description="Forgot it.")
    HARD = strawberry.enum_value("HARD", description="Recalled with serious difficulty.")
    GOOD = strawberry.enum_value("GOOD", description="Recalled after some thought.")
    EASY = strawberry.enum_value("EASY", description="Recalled at once.")


@strawberry.enum(description="Where a goal stands.")
class GoalStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Being worked toward.")
    ACHIEVED = strawberry.enum_value("ACHIEVED", description="Its targets were reached.")
    ARCHIVED = strawberry.enum_value("ARCHIVED", description="Put aside by the learner.")


@strawberry.type(description="When a card would next be due after one rating.")
class ReviewOutcome:
    rating: ReviewRating = strawberry.field(description="The rating.")
    due: datetime = strawberry.field(description="When the card would next be due.")
    state: CardState = strawberry.field(description="Where the card would be in the schedule.")


@strawberry.type(description="A flashcard, scheduled with FSRS.")
class Card(Node):
    front: str = strawberry.field(description="The question side.")
    back: str = strawberry.field(description="The answer side.")
    state: CardState = strawberry.field(description="Where the card is in the schedule.")
    due: datetime = strawberry.field(description="When the card should next be reviewed.")
    stability: float | None = strawberry.field(
        description="Days until predicted recall falls to 90%; null before the first review."
    )
    difficulty: float | None = strawberry.field(
        description="FSRS difficulty, 1 (easy) to 10 (hard); null before the first review."
    )
    reps: int = strawberry.field(description="How many times the card was reviewed.")
    lapses: int = strawberry.field(description="How often it was forgotten after being learnt.")
    last_reviewed_at: datetime | None = strawberry.field(description="The latest review.")
    created_at: datetime = strawberry.field(description="When the card was made.")
    row: strawberry.Private[CardRow]

    @classmethod
    def from_row(cls, row: CardRow) -> "Card":
        return cls(
            id=to_global_id("Card", row.id),
            row=row,
            front=row.front,
            back=row.back,
            state=CardState(row.state),
            due=row.due,
            stability=row.stability,
            difficulty=row.difficulty,
            reps=row.reps,
            lapses=row.lapses,
            last_reviewed_at=row.last_reviewed_at,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="The passage the card was made from; null when none, or when its "
        "material has been deleted since."
    )
    async def source(self, info: Info) -> Citation | None:
        source: dict[str, Any] | None = self.row.source
        if not source or "material_id" not in source:
            return None
        # Batched (the material loader): a deleted material makes the source null
        # instead of failing Citation.material, which is non-null.
        live = await live_citations(info, [source])
        return live[0] if live else None

    @strawberry.field(
        description="0..1: the predicted probability of recalling the card now; null before "
        "its first review."
    )
    def retrievability(self, info: Info) -> float | None:
        if self.row.last_reviewed_at is None:
            return None
        return row_retrievability(self.row, info.context.clock())

    @strawberry.field(
        description="For each rating, AGAIN to EASY, when the card would next be due if "
        "rated so now (what a review button can show before the learner picks one)."
    )
    def review_outcomes(self, info: Info) -> list[ReviewOutcome]:
        return [
            ReviewOutcome(rating=ReviewRating(rating), due=due, state=CardState(state))
            for rating, due, state in review_outcomes(self.row, info.context.clock())
        ]

    @strawberry.field(description="The topic the card belongs to.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.row.topic_id)


@strawberry.type(description="How a topic's learning stands now.")
class TopicProgress:
    mastery: float = strawberry.field(
        description="0..1: the mean of the topic's cards' predicted recall one day from now "
        "(FSRS; a card never reviewed counts 0). It falls after a lapse and is never 100% "
        "right after an AGAIN."
    )
    cards_count: int = strawberry.field(description="Cards in the topic.")
    due_cards_count: int = strawberry.field(description="Cards due for review now.")
    reviews_count: int = strawberry.field(description="Reviews of the topic's cards, ever.")
    correct_rate: float | None = strawberry.field(
        description="Share of reviews rated GOOD or EASY; null without reviews."
    )
    minutes_studied: int = strawberry.field(
        description="Minutes of study sessions on the topic (each session counts at most 4 hours)."
    )
    sessions_count: int = strawberry.field(description="Study sessions on the topic.")
    last_studied_at: datetime | None = strawberry.field(
        description="The latest review or session activity."
    )
    next_review_at: datetime | None = strawberry.field(
        description="When the earliest card is due (in the past when cards are overdue)."
    )
    topic_row_id: strawberry.Private[int]

    @classmethod
    def from_facts(cls, facts: TopicProgressFacts) -> "TopicProgress":
        return cls(
            topic_row_id=facts.topic_id,
            mastery=facts.mastery,
            cards_count=facts.cards_count,
            due_cards_count=facts.due_cards_count,
            reviews_count=facts.reviews_count,
            correct_rate=facts.correct_rate,
            minutes_studied=facts.minutes_studied,
            sessions_count=facts.sessions_count,
            last_studied_at=facts.last_studied_at,
            next_review_at=facts.next_review_at,
        )

    @strawberry.field(description="The topic.")
    async def topic(self, info: Info) -> TopicType:
        return await load_topic(info, self.topic_row_id)


@strawberry.type(description="Something the learner aims for: weekly minutes, a mastery, a date.")
class StudyGoal(Node):
    title: str = strawberry.field(description="What the goal is called.")
    target_minutes_per_week: int | None = strawberry.field(
        description="Minutes to study in any seven days."
    )
    target_mastery: float | None = strawberry.field(
        description="0..1 mastery to reach on the goal's topic."
    )
    due_date: date | None = strawberry.field(
        description="An exam or deadline date; plans put the topic at its target mastery by then."
    )
    status: GoalStatus = strawberry.field(description="ACHIEVED once the targets are reached.")
    progress: float = strawberry.field(
        description="0..1 toward the goal's targets: the mean of each target's share reached "
        "(minutes over the last seven days; the topic's mastery now)."
    )
    created_at: datetime = strawberry.field(description="When the goal was set.")
    topic_row_id: strawberry.Private[int | None]

    @classmethod
    def from_view(cls, view: GoalView) -> "StudyGoal":
        goal = view.goal
        return cls(
            id=to_global_id("StudyGoal", goal.id),
            topic_row_id=goal.topic_id,
            title=goal.title,
            target_minutes_per_week=goal.target_minutes_per_week,
            target_mastery=goal.target_mastery,
            due_date=goal.due_date,
            status=GoalStatus(goal.status),
            progress=view.progress,
            created_at=goal.created_at,
        )

    @strawberry.field(description="The topic the goal is about; null for a general goal.")
    async def topic(self, info: Info) -> TopicType | None:
        if self.topic_row_id is None:
            return None
        row = await info.context.loaders.topic_by_id.load(self.topic_row_id)
        from schema.topics.types import Topic

        return Topic.from_row(row) if row else None


@strawberry.input(description="A new card.")
class CreateCardInput:
    topic_id: strawberry.ID = strawberry.field(description="The topic the card belongs to.")
    front: str = strawberry.field(description="The question side, up to 2,000 characters.")
    back: str = strawberry.field(description="The answer side, up to 5,000 characters.")
    source_message_id: strawberry.ID | None = strawberry.field(
        default=None, description="A message whose first citation becomes the card's source."
    )


@strawberry.input(description="The learner's answer to a card.")
class ReviewCardInput:
    card_id: strawberry.ID = strawberry.field(description="The card reviewed.")
    rating: ReviewRating = strawberry.field(description="How well the learner recalled it.")
    duration_seconds: int | None = strawberry.field(
        default=None, description="Seconds the learner took to answer."
    )


@strawberry.input(description="A new goal.")
class StudyGoalInput:
    title: str = strawberry.field(description="1 to 200 characters.")
    topic_id: strawberry.ID | None = strawberry.field(
        default=None, description="The topic; required for a target mastery."
    )
    target_minutes_per_week: int | None = strawberry.field(
        default=None, description="1 to 10,080 minutes."
    )
    target_mastery: float | None = strawberry.field(default=None, description="In (0, 1].")
    due_date: date | None = strawberry.field(default=None, description="An exam or deadline.")


@strawberry.input(description="Changes to a goal; omitted fields stay, null clears.")
class UpdateStudyGoalInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    target_minutes_per_week: int | None = strawberry.field(
        default=strawberry.UNSET, description="New weekly minutes; null clears."
    )
    target_mastery: float | None = strawberry.field(
        default=strawberry.UNSET, description="New target mastery; null clears."
    )
    due_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="New date; null clears."
    )
    status: GoalStatus | None = strawberry.field(
        default=strawberry.UNSET, description="ARCHIVED to put the goal aside, ACTIVE to resume."
    )
