"""A seeded simulated learner drives 60 days through the GraphQL API with a fixed clock."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from db.engine import unit_of_work
from db.models import Message
from schema.relay import from_global_id
from tests.factories import make_user

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAYS = 60
# Hand-chosen missed days. By hand (see db.learning.metrics.streak_ending): 20 and 24 are within
# seven days of each other, as are 40 and 45; 45 and 52 are exactly seven apart, so both
# are forgiven. Streaks: 0..23 (24 days), 21..44 (24), 41..59 (19, alive at day 59).
MISSED = {10, 20, 24, 40, 45, 52}
CURRENT_STREAK, LONGEST_STREAK = 19, 24
FORGET = {"Sets": 0.05, "Loops": 0.6, "Classes": 0.2, "Strings": 0.0}
SESSION_MINUTES = 20
# Classes, the exam topic, is left alone for the last days so that it needs the plan.
CLASSES_BREAK_DAYS = 6
EXAM_TARGET = 0.95


class Learner:
    def __init__(self, harness, user_id):
        self.harness, self.user_id, self.now = harness, user_id, T0
        harness.clock = lambda: self.now

    async def q(self, query, **variables):
        return await self.harness.data(query, variables, user_id=self.user_id)


CREATE_CARD = """mutation($t: ID!, $f: String!, $b: String!) {
  createCard(input: {topicId: $t, front: $f, back: $b}) { id state } }"""
REVIEW = """mutation($c: ID!, $r: ReviewRating!) {
  reviewCard(input: {cardId: $c, rating: $r}) { id due state reps lapses retrievability } }"""
DUE = """query($t: ID!) { cards(topicId: $t, dueOnly: true, first: 100) {
  edges { node { id due } } } }"""


async def setup(learner):
    topics = {}
    for title in FORGET:
        data = await learner.q(
            "mutation($t: String!) { createTopic(input: {title: $t}) { id } }", t=title
        )
        topics[title] = data["createTopic"]["id"]
        for n in range(6):
            await learner.q(
                CREATE_CARD, t=topics[title], f=f"{title} question {n}?", b=f"Answer {n}."
            )
    exam_day = (T0 + timedelta(days=DAYS + 5)).date()
    goal = await learner.q(
        """mutation($t: ID!, $d: Date!) { setStudyGoal(input: {title: "Classes exam", topicId: $t,
        targetMastery: 0.95, dueDate: $d}) { id status progress dueDate } }""",
        t=topics["Classes"],
        d=exam_day.isoformat(),
    )
    assert goal["setStudyGoal"]["status"] == "ACTIVE" and goal["setStudyGoal"]["progress"] < 1
    await learner.q(
        """mutation($t: ID!) { setStudyGoal(input: {title: "Sets weekly", topicId: $t,
        targetMinutesPerWeek: 60}) { id } }""",
        t=topics["Sets"],
    )
    return topics, exam_day


async def chat(learner, session_id, count):
    """`count` questions to the tutor (each with its answer) at the simulated time.

    Rows are written as the turn runner writes them, stamped with the simulated clock;
    only the learner's own messages count in the metrics.
    """
    async with unit_of_work(learner.harness.session_factory) as session:
        for n in range(count):
            for role in ("USER", "ASSISTANT"):
                session.add(
                    Message(
                        owner_id=learner.user_id, session_id=session_id, role=role,
                        content=f"{role.lower()} {n}", status="COMPLETE", mode="QUIZ",
                        created_at=learner.now + timedelta(minutes=n),
                    )
                )  # fmt: skip


async def simulate(learner, topics, rng):
    """60 days; returns the expected per-day (minutes, reviews, messages) of the learner."""
    expected = {}
    for day in range(DAYS):
        learner.now = T0 + timedelta(days=day)
        if day in MISSED:
            expected[learner.now.date()] = (0, 0, 0)
            continue
        session = await learner.q(
            'mutation { startStudySession(input: {title: "Daily", mode: QUIZ}) { id } }'
        )
        # 0 to 3 questions a day, by a rule of its own so the reviews' draws stay put.
        messages = day * 7 % 4
        await chat(learner, from_global_id(session["startStudySession"]["id"])[1], messages)
        reviews = 0
        for title, topic_id in topics.items():
            # Sets is left alone for the last 12 days (its cards go overdue); Strings is
            # only studied at the very end, all EASY, so nothing of it is due on day 60.
            if (title == "Sets" and day >= DAYS - 12) or (title == "Strings" and day < DAYS - 2):
                continue
            if title == "Classes" and day >= DAYS - CLASSES_BREAK_DAYS:
                continue
            due = (await learner.q(DUE, t=topic_id))["cards"]["edges"]
            for edge in due:
                forgot = rng.random() < FORGET[title]
                rating = "AGAIN" if forgot else ("EASY" if title == "Strings" else "GOOD")
                await learner.q(REVIEW, c=edge["node"]["id"], r=rating)
                reviews += 1
        learner.now += timedelta(minutes=SESSION_MINUTES)
        await learner.q(
            "mutation($id: ID!) { endStudySession(id: $id) { id } }",
            id=session["startStudySession"]["id"],
        )
        expected[(T0 + timedelta(days=day)).date()] = (SESSION_MINUTES, reviews, messages)
    return expected


async def test_sixty_days_of_a_simulated_learner(harness):
    me = (await make_user(harness)).user
    learner = Learner(harness, me.id)
    topics, exam_day = await setup(learner)
    expected = await simulate(learner, topics, random.Random(20260105))
    learner.now = T0 + timedelta(days=DAYS)
    names = {topic_id: title for title, topic_id in topics.items()}

    # Metrics match the day series the learner produced, streaks the hand-computed ones.
    first, last = T0.date(), (T0 + timedelta(days=DAYS - 1)).date()
    metrics = (
        await learner.q(
            """query($f: Date!, $t: Date!) { studyMetrics(from: $f, to: $t) {
            from to totalMinutes sessionsCount messagesCount reviewsCount correctRate
            currentStreakDays longestStreakDays daily { date minutes reviews messages }
            topics { topic { title } reviewsCount } } }""",
            f=first.isoformat(),
            t=last.isoformat(),
        )
    )["studyMetrics"]
    series = {
        date.fromisoformat(d["date"]): (d["minutes"], d["reviews"], d["messages"])
        for d in metrics["daily"]
    }
    assert series == expected
    assert sum(messages for _, _, messages in expected.values()) > DAYS
    assert metrics["totalMinutes"] == SESSION_MINUTES * (DAYS - len(MISSED))
    assert metrics["sessionsCount"] == DAYS - len(MISSED)
    assert metrics["messagesCount"] == sum(messages for _, _, messages in expected.values())
    assert metrics["reviewsCount"] == sum(reviews for _, reviews, _ in expected.values())
    assert metrics["currentStreakDays"] == CURRENT_STREAK
    assert metrics["longestStreakDays"] == LONGEST_STREAK
    assert {t["topic"]["title"] for t in metrics["topics"]} == set(FORGET)

    # The topic the simulation made weakest (60% forgetting) is the first improvement area.
    areas = (
        await learner.q(
            """{ improvementAreas(limit: 4) { topic { title } mastery reason suggestedMode
            weakCards { front lapses } } }"""
        )
    )["improvementAreas"]
    assert areas[0]["topic"]["title"] == "Loops"
    assert areas[0]["mastery"] < min(a["mastery"] for a in areas[1:])
    lapses = [card["lapses"] for card in areas[0]["weakCards"]]
    assert lapses == sorted(lapses, reverse=True) and lapses[0] > 0
    assert "forgotten" in areas[0]["reason"]

    # Overdue cards first: Sets (overdue for days) ranks above Strings (nothing due).
    next_up = (
        await learner.q(
            "{ nextUpTopics(limit: 4) { topic { id title } reason dueCardsCount score } }"
        )
    )["nextUpTopics"]
    order = [item["topic"]["title"] for item in next_up]
    assert order.index("Sets") < order.index("Strings") if "Strings" in order else "Sets" in order
    sets = next(item for item in next_up if item["topic"]["title"] == "Sets")
    assert sets["dueCardsCount"] > 0 and "overdue" in sets["reason"]
    classes = next(item for item in next_up if item["topic"]["title"] == "Classes")
    mastery = (
        await learner.q(
            "query($t: ID!) { topicProgress(topicId: $t) { mastery } }", t=topics["Classes"]
        )
    )["topicProgress"]["mastery"]
    assert mastery < EXAM_TARGET, "the exam topic needs work when the plan is made"
    exam_reason = (
        f"'Classes exam' is on {exam_day.isoformat()} (in 5 days) and mastery is "
        f"{mastery:.0%}, below the 95% target"
    )
    assert exam_reason in classes["reason"], classes["reason"]

    # The plan puts the exam topic at its target before the date; following it proves it.
    plan = (
        await learner.q(
            """{ studyPlan(days: 7, minutesPerDay: 30) { generatedAt
            days { date totalMinutes items { topic { id } minutes mode dueCardsCount reason
              predictedMastery cards { id due } } }
            exams { dueDate targetMastery predictedMastery topic { title } } } }"""
        )
    )["studyPlan"]
    (exam,) = plan["exams"]
    assert exam["topic"]["title"] == "Classes" and exam["dueDate"] == exam_day.isoformat()
    assert exam["predictedMastery"] >= EXAM_TARGET
    before_exam = [d for d in plan["days"] if date.fromisoformat(d["date"]) < exam_day]
    assert any(names[item["topic"]["id"]] == "Classes" for d in before_exam for item in d["items"])
    for day in plan["days"]:
        assert day["totalMinutes"] <= 30 and all(item["reason"] for item in day["items"])
    # Overdue cards come first: day one reviews every card due now, the exam topic's
    # first, then the others by how long they have been due; within a block, the most
    # overdue card first.
    due_now = (await learner.q(
        "{ cards(dueOnly: true, first: 100) { edges { node { id due topic { title } } } } }"
    ))["cards"]["edges"]  # fmt: skip
    assert len(due_now) >= 6
    due_items = [i for i in plan["days"][0]["items"] if i["reason"].startswith("Cards FSRS")]
    planned = [card for item in due_items for card in item["cards"]]
    assert {c["id"] for c in planned} == {edge["node"]["id"] for edge in due_now}
    assert names[due_items[0]["topic"]["id"]] == "Classes"
    for item in due_items:
        dues = [datetime.fromisoformat(card["due"]) for card in item["cards"]]
        assert dues == sorted(dues)
    firsts = [datetime.fromisoformat(item["cards"][0]["due"]) for item in due_items[1:]]
    assert firsts == sorted(firsts)
    most_overdue = min(due_now, key=lambda edge: edge["node"]["due"])["node"]
    assert most_overdue["topic"]["title"] == "Sets"
    assert due_items[1]["cards"][0]["id"] == most_overdue["id"]
    start = learner.now
    for offset, day in enumerate(before_exam):
        learner.now = start + timedelta(days=offset)
        for item in day["items"]:
            for card in item["cards"]:
                await learner.q(REVIEW, c=card["id"], r="GOOD")
    learner.now = datetime(exam_day.year, exam_day.month, exam_day.day, tzinfo=UTC)
    progress = (
        await learner.q(
            "query($t: ID!) { topicProgress(topicId: $t) { mastery } }", t=topics["Classes"]
        )
    )["topicProgress"]
    assert progress["mastery"] >= EXAM_TARGET
    assert progress["mastery"] == pytest.approx(exam["predictedMastery"], abs=0.02)
