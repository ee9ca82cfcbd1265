"""Mastery is predicted recall a week ahead: it falls after a lapse, is never 100% right
after an AGAIN, and every reader (progress, goals, improvement areas, next up, the plan)
reports the same number."""

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Scheduler

from tests.factories import make_user

T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
PROGRESS = "query($t: ID!) { topicProgress(topicId: $t) { mastery reviewsCount } }"
REVIEW = """mutation($c: ID!, $r: ReviewRating!) {
  reviewCard(input: {cardId: $c, rating: $r}) { stability lastReviewedAt due } }"""


async def learner_with_card(harness):
    me = (await make_user(harness)).user
    harness.clock = lambda: T0

    async def q(query, **variables):
        return await harness.data(query, variables, user_id=me.id)

    topic = (await q('mutation { createTopic(input: {title: "Sets"}) { id } }'))["createTopic"]
    card = await q(
        """mutation($t: ID!) { createCard(input: {topicId: $t, front: "Q?", back: "A."}) {
        id } }""",
        t=topic["id"],
    )
    return q, topic["id"], card["createCard"]["id"]


def by_hand(stability: float, days: int) -> float:
    """The documented formula: (1 + F * d / S) ** C, d whole days to a week from now."""
    scheduler = Scheduler()
    return (1 + scheduler._FACTOR * days / stability) ** scheduler._DECAY


async def test_mastery_falls_after_a_lapse_and_is_not_full_right_after_again(harness):
    q, topic_id, card_id = await learner_with_card(harness)
    assert (await q(PROGRESS, t=topic_id))["topicProgress"]["mastery"] == 0.0
    reviewed = (await q(REVIEW, c=card_id, r="EASY"))["reviewCard"]
    easy = (await q(PROGRESS, t=topic_id))["topicProgress"]["mastery"]
    assert easy == pytest.approx(by_hand(reviewed["stability"], 7))
    assert 0.8 < easy < 1
    # Weeks later, when the card is due, the learner forgets it.
    now = datetime.fromisoformat(reviewed["due"])
    harness.clock = lambda: now
    before = (await q(PROGRESS, t=topic_id))["topicProgress"]["mastery"]
    lapsed = (await q(REVIEW, c=card_id, r="AGAIN"))["reviewCard"]
    after = (await q(PROGRESS, t=topic_id))["topicProgress"]["mastery"]
    assert after < before and after < easy
    assert round(100 * after) < 100, "an AGAIN must not read as full mastery"
    assert after == pytest.approx(by_hand(lapsed["stability"], 7))


async def test_every_reader_reports_the_same_mastery(harness):
    q, topic_id, card_id = await learner_with_card(harness)
    await q(REVIEW, c=card_id, r="GOOD")
    harness.clock = lambda: T0 + timedelta(minutes=5)
    await q(REVIEW, c=card_id, r="AGAIN")
    await q(
        """mutation($t: ID!) { setStudyGoal(input: {title: "Know sets", topicId: $t,
        targetMastery: 1.0}) { id } }""",
        t=topic_id,
    )
    mastery = (await q(PROGRESS, t=topic_id))["topicProgress"]["mastery"]
    assert mastery < 0.99
    data = await q(
        """{ studyGoals { progress }
             improvementAreas { mastery reason }
             nextUpTopics { reason }
             studyPlan(days: 1) { days { items { predictedMastery } } } }"""
    )
    assert data["studyGoals"][0]["progress"] == pytest.approx(mastery)
    (area,) = data["improvementAreas"]
    assert area["mastery"] == pytest.approx(mastery)
    assert f"Mastery {mastery:.0%}" in area["reason"]
    assert f"{mastery:.0%}" in data["nextUpTopics"][0]["reason"]
