"""Next up always answers while the learner has topics with cards or goals: due now
first, then what comes due soonest, the weakest, goal urgency and neglect, each with a
reason a learner understands."""

from datetime import UTC, datetime, timedelta

from tests.factories import make_user

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NEXT_UP = "{ nextUpTopics(limit: 10) { topic { title } reason dueCardsCount score } }"


class Learner:
    def __init__(self, harness, user_id):
        self.harness, self.user_id, self.now = harness, user_id, T0
        harness.clock = lambda: self.now

    async def q(self, query, **variables):
        return await self.harness.data(query, variables, user_id=self.user_id)

    async def topic_with_cards(self, title, ratings):
        topic = await self.q(
            "mutation($t: String!) { createTopic(input: {title: $t}) { id } }", t=title
        )
        topic_id = topic["createTopic"]["id"]
        for n, rating in enumerate(ratings):
            card = await self.q(
                """mutation($t: ID!, $f: String!) { createCard(input: {topicId: $t, front: $f,
                back: "A."}) { id } }""",
                t=topic_id,
                f=f"{title} {n}?",
            )
            await self.q(
                """mutation($c: ID!, $r: ReviewRating!) {
                reviewCard(input: {cardId: $c, rating: $r}) { id } }""",
                c=card["createCard"]["id"],
                r=rating,
            )
        return topic_id


async def test_just_reviewed_topics_are_ranked_with_reasons_not_left_out(harness):
    learner = Learner(harness, (await make_user(harness)).user.id)
    await learner.topic_with_cards("Loops", ["AGAIN"] * 4)
    await learner.topic_with_cards("Sets", ["EASY"] * 3)
    # Nothing is due this second: the four AGAIN cards come back in a minute.
    ranked = (await learner.q(NEXT_UP))["nextUpTopics"]
    assert [item["topic"]["title"] for item in ranked] == ["Loops", "Sets"]
    progress = await learner.q("{ topics { edges { node { title progress { mastery } } } } }")
    mastery = {
        edge["node"]["title"]: edge["node"]["progress"]["mastery"]
        for edge in progress["topics"]["edges"]
    }
    loops, sets = ranked
    assert loops["dueCardsCount"] == 0
    assert loops["reason"] == f"4 cards come due in 1 minute; mastery {mastery['Loops']:.0%}"
    assert sets["reason"].startswith("3 cards come due in ")
    assert sets["reason"].endswith(f"days; mastery {mastery['Sets']:.0%}")
    assert loops["score"] > sets["score"] > 0


async def test_due_now_comes_first_and_a_goal_only_topic_is_listed(harness):
    learner = Learner(harness, (await make_user(harness)).user.id)
    await learner.topic_with_cards("Due", ["GOOD"])
    goal_topic = await learner.q('mutation { createTopic(input: {title: "Exam"}) { id } }')
    await learner.q(
        """mutation($t: ID!, $d: Date!) { setStudyGoal(input: {title: "Exam prep",
        topicId: $t, targetMastery: 0.9, dueDate: $d}) { id } }""",
        t=goal_topic["createTopic"]["id"],
        d=(T0 + timedelta(days=3)).date().isoformat(),
    )
    await learner.q('mutation { createTopic(input: {title: "Empty"}) { id } }')
    learner.now = T0 + timedelta(minutes=30)  # the GOOD card's ten minutes have passed
    await learner.topic_with_cards("Weak, not due", ["AGAIN"] * 6)
    ranked = (await learner.q(NEXT_UP))["nextUpTopics"]
    titles = [item["topic"]["title"] for item in ranked]
    assert titles[0] == "Due" and ranked[0]["dueCardsCount"] == 1
    assert ranked[0]["reason"].startswith("1 card due for review now; mastery ")
    assert set(titles) == {"Due", "Weak, not due", "Exam"}  # the empty topic has no reason
    exam = next(item for item in ranked if item["topic"]["title"] == "Exam")
    assert "'Exam prep' is on" in exam["reason"] and "never studied" in exam["reason"]
