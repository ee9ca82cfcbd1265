"""The study plan: FSRS's forecast reviews and goal work, day by day, within a budget.

The plan simulates the coming days with the same scheduler the reviews use, assuming
each planned review is answered GOOD at the same time of day as now:

1. cards due by the end of the day, most overdue first (exam topics ahead of others);
2. exam preparation: for each active goal with a date and a target mastery, the cards
   with the lowest mastery at the exam are reviewed, on the days before it, until the
   topic's predicted mastery (scheduling.card_mastery) at the start of the exam day
   meets the target;
3. weekly-minutes goals get their daily share (a seventh of the week) of what is left.

Each planned review costs REVIEW_SECONDS; a day never exceeds its minutes budget, and
reviews that do not fit move to the next day. The work is bounded (MAX_PLAN_CARDS,
MAX_SIMULATED_REVIEWS, MAX_EXAMS_PER_DAY) so that a plan is cheap whatever the
learner's collection and however many goals they set.
"""

import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import user_zone
from db.errors import BadUserInput
from db.learning.goals import list_active_goal_views
from db.learning.scheduling import (
    FSRS_COLUMNS,
    ReviewRating,
    apply_rating,
    as_utc,
    card_mastery,
    fsrs_card,
)
from db.models import Card, StudyGoal, User
from db.study.modes import TutorMode

REVIEW_SECONDS = 30
MAX_DAYS = 60
# Work bounds: the cards a plan looks at (the ones due soonest) and the reviews it
# simulates in all (about 50 microseconds each), shared equally among its days: 10,000
# reviews is 83 minutes of reviews a day over 60 days, 1,428 a day over 7 days.
MAX_PLAN_CARDS = 20_000
MAX_SIMULATED_REVIEWS = 10_000
# Each exam prepared on a day costs a pass over its topic's cards: a day prepares its
# nearest exams only (the later ones get their turn as the nearer ones pass), and stops
# once it is full. 100 exam goals on a 2,000-card topic took 2.9 s before, see
# bench/study_plan.py.
MAX_EXAMS_PER_DAY = 10
MIN_BUDGET, MAX_BUDGET = 5, 600
DEFAULT_BUDGET = 30


@dataclass
class PlanItem:
    topic_id: int
    mode: str
    reason: str
    card_ids: list[int] = field(default_factory=list)
    extra_minutes: int = 0
    predicted_mastery: float = 0.0

    @property
    def minutes(self) -> int:
        return math.ceil(len(self.card_ids) * REVIEW_SECONDS / 60) + self.extra_minutes


@dataclass
class PlanDay:
    day: date
    items: list[PlanItem]

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.items)


@dataclass(frozen=True)
class ExamForecast:
    goal_id: int
    topic_id: int
    due_date: date
    target_mastery: float
    predicted_mastery: float


@dataclass(frozen=True)
class Plan:
    generated_at: datetime
    days: list[PlanDay]
    exams: list[ExamForecast]


async def build_study_plan(
    session: AsyncSession, *, owner_id: int, now: datetime, days: int, minutes_per_day: int | None
) -> Plan:
    """The plan for `days` days from today in the learner's zone (see the module doc)."""
    if not 1 <= days <= MAX_DAYS:
        raise BadUserInput(f"days must be between 1 and {MAX_DAYS}", field="days")
    now = as_utc(now)
    user = await session.get(User, owner_id)
    zone = user_zone(user.timezone if user else None)
    today = now.astimezone(zone).date()
    views = await list_active_goal_views(session, owner_id=owner_id, now=now)
    goals = [view.goal for view in views]
    budget = _budget(minutes_per_day, goals)
    cards = await _load_plan_cards(session, owner_id=owner_id)
    exams = _upcoming_exams(goals, today)
    context = _PlanContext(cards, goals, exams, zone, budget)
    plan_days = []
    for offset in range(days):
        # Each day gets an equal share of the reviews the plan may simulate.
        work = _Work(MAX_SIMULATED_REVIEWS // days)
        day = today + timedelta(days=offset)
        plan_days.append(_plan_day(context, day, now + timedelta(days=offset), work))
    forecasts = [
        ExamForecast(
            goal.id,
            goal.topic_id,
            goal.due_date,
            goal.target_mastery,
            cards.mastery(goal.topic_id, context.exam_moment(goal)),
        )
        for goal in exams
    ]
    return Plan(now, plan_days, forecasts)


@dataclass
class _PlanCards:
    """The simulated FSRS state of the cards the plan looks at, and their topics."""

    sim: dict
    topic_of: dict[int, int]
    by_topic: dict[int, list[int]]

    def mastery(self, topic_id: int, at: datetime) -> float:
        """The topic's mastery (mean card_mastery) at `at`, over the cards the plan holds."""
        ids = self.by_topic.get(topic_id, [])
        return sum(card_mastery(self.sim[i], at) for i in ids) / len(ids) if ids else 0.0


async def _load_plan_cards(session: AsyncSession, *, owner_id: int) -> _PlanCards:
    """The learner's cards due soonest (at most MAX_PLAN_CARDS), ready to simulate."""
    # Beyond MAX_PLAN_CARDS a topic's mastery is that of these.
    # Plain columns, not ORM rows: building thousands of rows costs more than the plan.
    columns = [getattr(Card, name) for name in FSRS_COLUMNS]
    rows = list(
        await session.exec(
            select(Card.topic_id, *columns)
            .where(Card.owner_id == owner_id)
            .order_by(col(Card.due), col(Card.id))
            .limit(MAX_PLAN_CARDS)
        )
    )
    sim = {row[1]: fsrs_card(*row[1:]) for row in rows}
    topic_of = {row[1]: row[0] for row in rows}
    by_topic: dict[int, list[int]] = {}
    for row in rows:
        by_topic.setdefault(row[0], []).append(row[1])
    return _PlanCards(sim, topic_of, by_topic)


def _upcoming_exams(goals: list[StudyGoal], today: date) -> list[StudyGoal]:
    """Goals with a topic, a target mastery and an exam date after today, nearest first."""
    exams = [
        goal
        for goal in goals
        if goal.topic_id and goal.target_mastery and goal.due_date and goal.due_date > today
    ]
    exams.sort(key=lambda goal: goal.due_date)
    return exams


@dataclass
class _PlanContext:
    """What every day of one plan shares."""

    cards: _PlanCards
    goals: list[StudyGoal]
    exams: list[StudyGoal]
    zone: tzinfo
    budget: int

    def exam_moment(self, goal: StudyGoal) -> datetime:
        """The start of the exam day in the learner's zone, as UTC."""
        return datetime.combine(goal.due_date, time.min, tzinfo=self.zone).astimezone(UTC)


def _plan_day(context: _PlanContext, day: date, at: datetime, work: "_Work") -> PlanDay:
    """One day: due reviews, then exam preparation, then weekly goals' shares."""
    cards = context.cards
    day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=context.zone)
    planner = _DayPlanner(cards.sim, at, context.budget, work)
    _plan_due_reviews(context, planner, day, day_end)
    nearest = [goal for goal in context.exams if goal.due_date > day][:MAX_EXAMS_PER_DAY]
    for goal in nearest:
        if planner.full:
            break
        card_ids = cards.by_topic.get(goal.topic_id, [])
        _prepare_exam(planner, goal, card_ids, context.exam_moment(goal))
    _plan_weekly_goals(context, planner)
    # One pass over a topic's cards per day, however many items the topic has.
    day_mastery: dict[int, float] = {}
    for item in planner.items.values():
        if item.topic_id not in day_mastery:
            day_mastery[item.topic_id] = cards.mastery(item.topic_id, day_end.astimezone(UTC))
        item.predicted_mastery = day_mastery[item.topic_id]
    return PlanDay(day, list(planner.items.values()))


def _plan_due_reviews(
    context: _PlanContext, planner: "_DayPlanner", day: date, day_end: datetime
) -> None:
    """Cards due by the end of the day, pending exams' topics first, most overdue first."""
    sim, topic_of = context.cards.sim, context.cards.topic_of
    pending_exams = {goal.topic_id for goal in context.exams if goal.due_date > day}
    due = [i for i in sim if sim[i].due < day_end]
    due.sort(key=lambda i: (topic_of[i] not in pending_exams, sim[i].due, i))
    for card_id in due:
        if not planner.add_review(
            card_id, (topic_of[card_id], "due"), TutorMode.QUIZ, _due_reason()
        ):
            break


def _plan_weekly_goals(context: _PlanContext, planner: "_DayPlanner") -> None:
    """Each weekly-minutes goal's daily share (a seventh of it), in what the day has left."""
    budget, items = context.budget, planner.items
    exam_topics = {goal.topic_id for goal in context.exams}
    for goal in context.goals:
        used = planner.used
        if not goal.target_minutes_per_week or used >= budget:
            continue
        topic_id = goal.topic_id
        already = sum(i.minutes for (t, _), i in items.items() if t == topic_id)
        share = math.ceil(goal.target_minutes_per_week / 7) - already
        extra = min(share, budget - used)
        if extra > 0 and topic_id is not None:
            mode = TutorMode.QUIZ if topic_id in exam_topics else TutorMode.EXPLAIN
            reason = (
                f"Weekly goal '{goal.title}': {goal.target_minutes_per_week} minutes a "
                f"week is about {math.ceil(goal.target_minutes_per_week / 7)} a day"
            )
            items[(topic_id, f"goal{goal.id}")] = PlanItem(
                topic_id, mode, reason, extra_minutes=extra
            )
            planner.used += extra


def _prepare_exam(
    planner: "_DayPlanner", goal: StudyGoal, card_ids: list[int], moment: datetime
) -> None:
    """Review the topic's weakest cards at the exam until its predicted mastery meets the
    target or the day is full.

    Incremental: one pass for the predicted recall of each card at the exam, then a heap
    of the cards not yet reviewed today; a review changes only its own card's recall, so
    the running sum is updated by that card's difference alone.
    """
    if not card_ids:
        return
    sim = planner.sim
    recall = {i: card_mastery(sim[i], moment) for i in card_ids}
    total = sum(recall.values())
    goal_total = goal.target_mastery * len(card_ids)
    heap = [(recall[i], i) for i in card_ids if i not in planner.reviewed]
    heapq.heapify(heap)
    reason = _exam_reason(goal)
    while heap and total < goal_total:
        _, weakest = heapq.heappop(heap)
        if not planner.add_review(
            weakest, (goal.topic_id, f"exam{goal.id}"), TutorMode.QUIZ, reason
        ):
            break
        total += card_mastery(sim[weakest], moment) - recall[weakest]


class _Work:
    """The simulated reviews a day of the plan may still spend (each is an FSRS step)."""

    def __init__(self, reviews: int) -> None:
        self.reviews = reviews


class _DayPlanner:
    """One simulated day: the items so far, the minutes used, the cards reviewed."""

    def __init__(self, sim: dict, at: datetime, budget: int, work: _Work) -> None:
        self.sim, self.at, self.budget, self.work = sim, at, budget, work
        self.items: dict[tuple[int, str], PlanItem] = {}
        self.reviewed: set[int] = set()
        self.used = 0

    @property
    def full(self) -> bool:
        """No further review fits this day (its minutes or its share of work are spent)."""
        return self.work.reviews <= 0 or self.used >= self.budget

    def add_review(self, card_id: int, key: tuple[int, str], mode: str, reason: str) -> bool:
        """Plan a GOOD review of the card if the budget allows; False when the day is full
        (or the day's share of the plan's work is spent)."""
        if self.work.reviews <= 0:
            return False
        item = self.items.get(key) or PlanItem(key[0], mode, reason)
        before = item.minutes
        item.card_ids.append(card_id)
        if self.used - before + item.minutes > self.budget:
            item.card_ids.pop()
            return False
        self.used += item.minutes - before
        self.items[key] = item
        self.sim[card_id] = apply_rating(self.sim[card_id], ReviewRating.GOOD, self.at)
        self.reviewed.add(card_id)
        self.work.reviews -= 1
        return True


def _budget(minutes_per_day: int | None, goals: list[StudyGoal]) -> int:
    if minutes_per_day is None:
        weekly = sum(goal.target_minutes_per_week or 0 for goal in goals)
        return max(DEFAULT_BUDGET, math.ceil(weekly / 7))
    if not MIN_BUDGET <= minutes_per_day <= MAX_BUDGET:
        raise BadUserInput(
            f"minutesPerDay must be between {MIN_BUDGET} and {MAX_BUDGET}", field="minutesPerDay"
        )
    return minutes_per_day


def _due_reason() -> str:
    return "Cards FSRS schedules for review by the end of this day, most overdue first"


def _exam_reason(goal: StudyGoal) -> str:
    return (
        f"Exam preparation for '{goal.title}' on {goal.due_date.isoformat()}: brings the "
        f"predicted recall at the exam up to the {goal.target_mastery:.0%} target"
    )
