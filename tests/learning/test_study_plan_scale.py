"""studyPlan stays bounded work on a large topic with an unreachable target."""

from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import State

import db.learning.study_plan
from db.engine import unit_of_work
from db.learning.scheduling import SCHEDULER, card_mastery, retrievability
from db.models import Card, StudyGoal
from schema.relay import to_global_id
from tests.factories import make_topic, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CARDS = 2000
DAYS = 60


async def insert_cards(harness, *, owner_id: int, topic_id: int) -> None:
    """CARDS reviewed cards, straight into the table: stabilities 1..40 days, a third due."""
    async with unit_of_work(harness.session_factory) as session:
        session.add_all([card(owner_id, topic_id, n) for n in range(CARDS)])


def card(owner_id: int, topic_id: int, n: int) -> Card:
    return Card(
        owner_id=owner_id, topic_id=topic_id, front=f"Q{n}?", back=f"A{n}.",
        state="REVIEW", step=None, stability=1.0 + n % 40, difficulty=5.0, reps=3,
        last_reviewed_at=NOW - timedelta(days=n % 20),
        due=NOW + timedelta(days=n % 30 - 10), created_at=NOW - timedelta(days=30),
    )  # fmt: skip


PLAN = """query($d: Int!, $m: Int) { studyPlan(days: $d, minutesPerDay: $m) {
  days { date totalMinutes items { topic { id } minutes mode dueCardsCount reason
    predictedMastery } }
  exams { dueDate targetMastery predictedMastery } } }"""


@pytest.mark.parametrize("minutes_per_day", [None, 600])
async def test_a_sixty_day_plan_over_2000_cards_is_bounded_work(
    harness, monkeypatch, minutes_per_day
):
    harness.clock = lambda: NOW
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id, title="Big")
    await insert_cards(harness, owner_id=me.id, topic_id=topic.id)
    exam_day = NOW.date() + timedelta(days=DAYS)
    await harness.data(
        """mutation($t: ID!, $d: Date!) { setStudyGoal(input: {title: "All of it",
        topicId: $t, targetMastery: 1.0, dueDate: $d}) { id } }""",
        {"t": to_global_id("Topic", topic.id), "d": exam_day.isoformat()},
        user_id=me.id,
    )
    # Count the work instead of timing it (bench/study_plan.py times it): recomputing
    # the mastery for every simulated review made ~2 x CARDS recall predictions per review.
    calls = {"recall": 0, "reviews": 0}

    def counted_recall(card, at):
        calls["recall"] += 1
        return card_mastery(card, at)

    original_apply = db.learning.study_plan.apply_rating

    def counted_apply(*args, **kwargs):
        calls["reviews"] += 1
        return original_apply(*args, **kwargs)

    monkeypatch.setattr(db.learning.study_plan, "card_mastery", counted_recall)
    monkeypatch.setattr(db.learning.study_plan, "apply_rating", counted_apply)
    plan = (await harness.data(PLAN, {"d": DAYS, "m": minutes_per_day}, user_id=me.id))["studyPlan"]
    assert calls["reviews"] <= db.learning.study_plan.MAX_SIMULATED_REVIEWS
    # One pass per day for the exam, one for the items' mastery, one for the forecast.
    assert calls["recall"] <= 3 * CARDS * (DAYS + 1)

    budget = minutes_per_day or db.learning.study_plan.DEFAULT_BUDGET
    days = plan["days"]
    assert [date.fromisoformat(d["date"]) for d in days] == [
        NOW.date() + timedelta(days=n) for n in range(DAYS)
    ]
    for day in days:
        assert 0 < day["totalMinutes"] <= budget
        assert day["totalMinutes"] == sum(item["minutes"] for item in day["items"])
        for item in day["items"]:
            assert item["reason"] and item["mode"] == "QUIZ"
            assert 0 <= item["predictedMastery"] <= 1
    # Every day works toward the unreachable target: the budget (or the day's share of
    # the simulated reviews) is spent on reviews.
    per_day = min(budget * 60 // 30, db.learning.study_plan.MAX_SIMULATED_REVIEWS // DAYS)
    assert all(sum(i["dueCardsCount"] for i in d["items"]) == per_day for d in days)
    (exam,) = plan["exams"]
    assert exam["dueDate"] == exam_day.isoformat() and exam["targetMastery"] == 1.0
    assert 0 < exam["predictedMastery"] < 1


def test_the_inlined_forgetting_curve_is_fsrs_own():
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for stability in (0.5, 3.0, 40.0):
        card = FsrsCard(
            card_id=1, state=State.Review, step=None, stability=stability, difficulty=5.0,
            due=last + timedelta(days=3), last_review=last,
        )  # fmt: skip
        for hours in (0, 5, 30, 24 * 11, 24 * 400):
            at = last + timedelta(hours=hours)
            assert retrievability(card, at) == pytest.approx(
                SCHEDULER.get_card_retrievability(card, at)
            )
    assert retrievability(FsrsCard(card_id=2, due=last), last) == 0.0


async def test_a_hundred_exam_goals_cost_a_few_passes_a_day_not_a_hundred(harness, monkeypatch):
    # Each exam prepared on a day is a pass over its topic's cards: 100 exams on one
    # 2,000-card topic once meant 12 million recall predictions (2.9 s) for one plan.
    harness.clock = lambda: NOW
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id, title="Big")
    await insert_cards(harness, owner_id=me.id, topic_id=topic.id)
    goals = 100
    async with unit_of_work(harness.session_factory) as session:
        session.add_all(
            StudyGoal(
                owner_id=me.id, topic_id=topic.id, title=f"Exam {n}", target_mastery=0.99,
                due_date=NOW.date() + timedelta(days=2 + n % (DAYS - 2)),
            )
            for n in range(goals)
        )  # fmt: skip
    calls = {"recall": 0}

    def counted_recall(card, at):
        calls["recall"] += 1
        return card_mastery(card, at)

    monkeypatch.setattr(db.learning.study_plan, "card_mastery", counted_recall)
    plan = (await harness.data(PLAN, {"d": DAYS, "m": None}, user_id=me.id))["studyPlan"]

    # A few passes a day (due cards, the exams before the day is full, the items'
    # mastery), plus one forecast per exam.
    assert calls["recall"] <= CARDS * (4 * DAYS + goals), calls
    assert len(plan["exams"]) == goals
    # The days are still planned, each within the budget.
    budget = db.learning.study_plan.DEFAULT_BUDGET
    totals = [day["totalMinutes"] for day in plan["days"]]
    assert len(totals) == DAYS and all(0 <= total <= budget for total in totals)
    assert sum(totals) >= budget * (DAYS - 1)
