"""A simulated learner who starts a session every day, quizzes with the offline tutor,
skips, lapses, switches sessions and lets them idle: minutes, streaks, mastery and next
up match a hand computation (FSRS replayed by hand, minutes from the session rule)."""

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from db.learning.scheduling import MASTERY_HORIZON
from db.study.session_clock import IDLE_GRACE
from tests.chat.helpers import send, wait_for_status
from tests.factories import make_user
from tutor.offline import CARD_QUESTION

T0 = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
DAYS = 10
MISSED = {4, 6}  # 6 is within seven days of 4: the second miss breaks the streak
# By hand: study days 0-3, 5, 7-9. Alive at day 9: 5..9 (6 forgiven) = 5 days; the
# longest ends at day 5: 0..5 (4 forgiven) = 6 days.
CURRENT_STREAK, LONGEST_STREAK = 5, 6
LOOPS = {"What leaves a loop?": "break", "What skips to the next pass?": "continue",
         "What does nothing?": "pass"}  # fmt: skip
SWITCH_DAY = 2  # a second session is started ten minutes in, and left idle


def reply_for(day: int, back: str) -> tuple[str, str | None]:
    """What the learner answers on `day` and the rating it earns (None: not graded)."""
    if day == 3:
        return "I don't know", "AGAIN"  # a lapse once the card has been learnt
    if day % 2:
        return "skip", None
    return back, "EASY"


class Learner:
    def __init__(self, harness, user_id):
        self.harness, self.user_id, self.now = harness, user_id, T0
        harness.clock = lambda: self.now

    async def q(self, query, **variables):
        return await self.harness.data(query, variables, user_id=self.user_id)

    async def say(self, session_id: str, text: str) -> str:
        sent = await send(self.harness, self.user_id, session_id, text)
        answer = await wait_for_status(
            self.harness, self.user_id, sent["assistantMessage"]["id"], {"COMPLETE", "FAILED"}
        )
        assert answer["status"] == "COMPLETE", answer
        return answer["content"]


async def setup(learner):
    ids = {}
    for title in ("Loops", "Sets"):
        topic = await learner.q(
            "mutation($t: String!) { createTopic(input: {title: $t}) { id } }", t=title
        )
        ids[title] = topic["createTopic"]["id"]
    cards = {"Loops": LOOPS, "Sets": {"What is a set?": "an unordered collection",
                                      "Are sets ordered?": "no"}}  # fmt: skip
    for title, pairs in cards.items():
        for front, back in pairs.items():
            await learner.q(
                """mutation($t: ID!, $f: String!, $b: String!) {
                createCard(input: {topicId: $t, front: $f, back: $b}) { id } }""",
                t=ids[title], f=front, b=back,
            )  # fmt: skip
    return ids


async def live_day(learner, day, topic_id, fsrs_cards, scheduler) -> int:
    """One study day; returns the minutes it counts by the session rule."""
    start = learner.now
    started = await learner.q(
        "mutation($t: ID!) { startStudySession(input: {topicId: $t, mode: QUIZ}) { id } }",
        t=topic_id,
    )
    session_id = started["startStudySession"]["id"]
    asked = await learner.say(session_id, "Quiz me")
    front = asked.split(CARD_QUESTION, 1)[1].splitlines()[0].strip()
    learner.now = start + timedelta(minutes=1)
    text, rating = reply_for(day, LOOPS[front])
    await learner.say(session_id, text)
    if rating is not None:
        fsrs_cards[front], _ = scheduler.review_card(
            fsrs_cards[front], Rating[rating.title()], learner.now
        )
    if day == SWITCH_DAY:
        learner.now = start + timedelta(minutes=10)
        await learner.q('mutation { startStudySession(input: {title: "Other"}) { id } }')
        # The first ended at the switch (10 min); the second idles: its grace alone.
        return 10 + IDLE_GRACE.seconds // 60
    # Nothing after the reply: the session ends at the reply plus the grace.
    return 1 + IDLE_GRACE.seconds // 60


async def test_ten_days_of_sessions_quizzes_skips_lapses_and_idling(harness):
    learner = Learner(harness, (await make_user(harness)).user.id)
    ids = await setup(learner)
    scheduler = Scheduler(enable_fuzzing=False)
    fsrs_cards = {front: FsrsCard(card_id=n + 1, due=T0) for n, front in enumerate(LOOPS)}
    minutes = {}
    for day in range(DAYS):
        learner.now = T0 + timedelta(days=day)
        if day not in MISSED:
            minutes[day] = await live_day(learner, day, ids["Loops"], fsrs_cards, scheduler)
    learner.now = T0 + timedelta(days=DAYS)

    metrics = (await learner.q(
        """query($f: Date!, $t: Date!) { studyMetrics(from: $f, to: $t) { totalMinutes
        reviewsCount sessionsCount currentStreakDays longestStreakDays daily { minutes } } }""",
        f=T0.date().isoformat(), t=(T0 + timedelta(days=DAYS - 1)).date().isoformat(),
    ))["studyMetrics"]  # fmt: skip
    assert [day["minutes"] for day in metrics["daily"]] == [minutes.get(d, 0) for d in range(DAYS)]
    assert metrics["totalMinutes"] == 7 * 3 + 12
    assert metrics["sessionsCount"] == DAYS - len(MISSED) + 1
    graded = [d for d in range(DAYS) if d not in MISSED and reply_for(d, "")[1]]
    assert metrics["reviewsCount"] == len(graded)
    assert (metrics["currentStreakDays"], metrics["longestStreakDays"]) == (
        CURRENT_STREAK, LONGEST_STREAK,
    )  # fmt: skip

    # Mastery: the mean predicted recall a week ahead of the cards replayed by hand.
    horizon = learner.now + MASTERY_HORIZON
    by_hand = sum(
        scheduler.get_card_retrievability(card, horizon) if card.last_review else 0.0
        for card in fsrs_cards.values()
    ) / len(fsrs_cards)
    progress = (await learner.q(
        "query($t: ID!) { topicProgress(topicId: $t) { mastery minutesStudied reviewsCount } }",
        t=ids["Loops"],
    ))["topicProgress"]  # fmt: skip
    assert progress["mastery"] == pytest.approx(by_hand)
    # The switch day's second session had no topic: the topic counts the first only.
    assert progress["minutesStudied"] == metrics["totalMinutes"] - IDLE_GRACE.seconds // 60

    # Next up: Sets was never studied, its 2 cards due since day 0 (10 days overdue).
    ranked = (await learner.q("{ nextUpTopics { topic { title } reason dueCardsCount score } }"))[
        "nextUpTopics"
    ]
    sets = next(item for item in ranked if item["topic"]["title"] == "Sets")
    assert sets["dueCardsCount"] == 2
    assert sets["reason"] == (
        "2 cards due for review now, 2 overdue by a day or more; mastery 0%; never studied"
    )
    loops = next(item for item in ranked if item["topic"]["title"] == "Loops")
    due = sorted(card.due for card in fsrs_cards.values())
    due_now = sum(1 for moment in due if moment <= learner.now)
    assert loops["dueCardsCount"] == due_now
    assert f"mastery {by_hand:.0%}" in loops["reason"]
    # Scores by hand: due cards + 0.1 per overdue day + (1 - mastery) + 0.1 per idle day
    # (Sets: 2 + 2.0 + 1 + neglect since the topic was made; Loops was studied
    # yesterday, so no neglect term).
    made = await learner.q("query($t: ID!) { topic(id: $t) { createdAt } }", t=ids["Sets"])
    idle = (learner.now - datetime.fromisoformat(made["topic"]["createdAt"])).days
    sets_score = 2 + 0.1 * 20 + 1 + 0.1 * max(0, min(30, idle))
    assert sets["score"] == pytest.approx(sets_score, abs=1e-3)
    overdue = sum(min(30, (learner.now - moment).days) for moment in due if moment <= learner.now)
    loops_score = due_now + 0.1 * overdue + (1 - by_hand)
    assert loops["score"] == pytest.approx(loops_score, abs=1e-3)
    assert next(item for item in ranked)["topic"]["title"] == (
        "Sets" if due_now == 0 or sets_score > loops_score else "Loops"
    )
