"""Goals: progress, ACHIEVED the same for every reader, updates, deletion, due dates."""

from datetime import UTC, datetime, timedelta

from db.engine import unit_of_work
from db.learning import goals
from db.learning import next_up as next_up_module
from schema.relay import to_global_id
from tests.factories import make_topic, make_user

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 3 March, 00:30 in Tokyo
GOAL_FIELDS = "id title status progress targetMinutesPerWeek targetMastery dueDate"
SET_GOAL = f"""mutation($i: StudyGoalInput!) {{ setStudyGoal(input: $i) {{ {GOAL_FIELDS} }} }}"""
UPDATE_GOAL = f"""mutation($id: ID!, $i: UpdateStudyGoalInput!) {{
  updateStudyGoal(id: $id, input: $i) {{ {GOAL_FIELDS} }} }}"""
DELETE_GOAL = "mutation($id: ID!) { deleteStudyGoal(id: $id) }"
GOALS = f"query($s: GoalStatus) {{ studyGoals(status: $s) {{ {GOAL_FIELDS} }} }}"


async def learner(harness):
    harness.clock = lambda: NOW
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id, title="Sets")
    return me, to_global_id("Topic", topic.id)


async def study(harness, user_id, topic_id, minutes):
    """A session on the topic that ended now and lasted `minutes`."""
    harness.clock = lambda: NOW - timedelta(minutes=minutes)
    started = await harness.data(
        """mutation($t: ID!) { startStudySession(input: {title: "S", topicId: $t}) { id } }""",
        {"t": topic_id},
        user_id=user_id,
    )
    harness.clock = lambda: NOW
    await harness.data(
        "mutation($id: ID!) { endStudySession(id: $id) { id } }",
        {"id": started["startStudySession"]["id"]},
        user_id=user_id,
    )


async def learn_a_card(harness, user_id, topic_id):
    """One card reviewed EASY now: the topic's mastery is (about) 1."""
    card = await harness.data(
        """mutation($t: ID!) {
        createCard(input: {topicId: $t, front: "Q?", back: "A."}) { id } }""",
        {"t": topic_id},
        user_id=user_id,
    )
    await harness.data(
        """mutation($c: ID!) { reviewCard(input: {cardId: $c, rating: EASY}) { id } }""",
        {"c": card["createCard"]["id"]},
        user_id=user_id,
    )


async def test_a_reached_goal_is_achieved_for_every_reader(harness):
    me, topic = await learner(harness)
    await learn_a_card(harness, me.id, topic)
    created = await harness.data(
        SET_GOAL,
        {
            "i": {
                "title": "Sets exam",
                "topicId": topic,
                "targetMastery": 0.8,
                "dueDate": "2026-04-01",
            }
        },
        user_id=me.id,
    )
    goal = created["setStudyGoal"]
    # The mutation itself says ACHIEVED: no need to read studyGoals first.
    assert (goal["status"], goal["progress"]) == ("ACHIEVED", 1.0)
    listed = await harness.data(GOALS, {"s": "ACHIEVED"}, user_id=me.id)
    assert [g["id"] for g in listed["studyGoals"]] == [goal["id"]]
    assert (await harness.data(GOALS, {"s": "ACTIVE"}, user_id=me.id))["studyGoals"] == []
    # Neither the plan nor next-up keep working toward a reached goal.
    plan = await harness.data(
        "{ studyPlan(days: 7) { days { items { reason } } exams { dueDate } } }", user_id=me.id
    )
    assert plan["studyPlan"]["exams"] == []
    reasons = [i["reason"] for d in plan["studyPlan"]["days"] for i in d["items"]]
    assert not any("Sets exam" in reason for reason in reasons)
    next_up = await harness.data("{ nextUpTopics { reason } }", user_id=me.id)
    assert not any("Sets exam" in item["reason"] for item in next_up["nextUpTopics"])
    # A harder target reopens it.
    raised = await harness.data(
        UPDATE_GOAL, {"id": goal["id"], "i": {"targetMinutesPerWeek": 600}}, user_id=me.id
    )
    assert raised["updateStudyGoal"]["status"] == "ACTIVE"
    assert raised["updateStudyGoal"]["progress"] == 0.5  # mastery reached, no minutes yet


async def test_progress_is_the_mean_share_of_each_target(harness):
    me, topic = await learner(harness)
    await study(harness, me.id, topic, 30)
    minutes = await harness.data(
        SET_GOAL,
        {"i": {"title": "An hour a week", "topicId": topic, "targetMinutesPerWeek": 60}},
        user_id=me.id,
    )
    assert minutes["setStudyGoal"]["progress"] == 0.5
    assert minutes["setStudyGoal"]["status"] == "ACTIVE"
    both = await harness.data(
        SET_GOAL,
        {"i": {"title": "Both", "topicId": topic, "targetMinutesPerWeek": 120,
               "targetMastery": 0.5}},
        user_id=me.id,
    )  # fmt: skip
    # 30/120 of the minutes, no cards so no mastery: (0.25 + 0) / 2.
    assert both["setStudyGoal"]["progress"] == 0.125
    await study(harness, me.id, topic, 30)
    listed = (await harness.data(GOALS, user_id=me.id))["studyGoals"]
    assert [(g["title"], g["status"], g["progress"]) for g in listed] == [
        ("An hour a week", "ACHIEVED", 1.0),
        ("Both", "ACTIVE", 0.25),
    ]


async def test_update_study_goal_changes_only_what_is_given(harness):
    me, topic = await learner(harness)
    other = (await make_user(harness)).user
    goal = (
        await harness.data(
            SET_GOAL,
            {"i": {"title": "Exam", "topicId": topic, "targetMinutesPerWeek": 90,
                   "targetMastery": 0.9, "dueDate": "2026-05-01"}},
            user_id=me.id,
        )
    )["setStudyGoal"]  # fmt: skip
    renamed = (
        await harness.data(UPDATE_GOAL, {"id": goal["id"], "i": {"title": "Final"}}, user_id=me.id)
    )["updateStudyGoal"]
    assert renamed == dict(goal, title="Final")
    cleared = (
        await harness.data(UPDATE_GOAL, {"id": goal["id"], "i": {"dueDate": None}}, user_id=me.id)
    )["updateStudyGoal"]
    assert cleared == dict(goal, title="Final", dueDate=None)
    archived = (
        await harness.data(
            UPDATE_GOAL, {"id": goal["id"], "i": {"status": "ARCHIVED"}}, user_id=me.id
        )
    )["updateStudyGoal"]
    assert archived["status"] == "ARCHIVED" and archived["targetMastery"] == 0.9
    assert (await harness.data(GOALS, {"s": "ACTIVE"}, user_id=me.id))["studyGoals"] == []
    assert [g["id"] for g in (await harness.data(GOALS, {"s": "ARCHIVED"}, user_id=me.id))[
        "studyGoals"
    ]] == [goal["id"]]  # fmt: skip
    denied = await harness.execute(
        UPDATE_GOAL, {"id": goal["id"], "i": {"title": "Mine"}}, user_id=other.id
    )
    assert denied.errors[0].extensions["code"] == "NOT_FOUND"


async def test_delete_study_goal_only_for_its_owner(harness):
    me, topic = await learner(harness)
    other = (await make_user(harness)).user
    goal = (await harness.data(SET_GOAL, {"i": {"title": "G", "topicId": topic}}, user_id=me.id))[
        "setStudyGoal"
    ]
    denied = await harness.execute(DELETE_GOAL, {"id": goal["id"]}, user_id=other.id)
    assert denied.errors[0].extensions["code"] == "NOT_FOUND"
    assert len((await harness.data(GOALS, user_id=me.id))["studyGoals"]) == 1
    deleted = await harness.data(DELETE_GOAL, {"id": goal["id"]}, user_id=me.id)
    assert deleted["deleteStudyGoal"] == goal["id"]
    assert (await harness.data(GOALS, user_id=me.id))["studyGoals"] == []
    again = await harness.execute(DELETE_GOAL, {"id": goal["id"]}, user_id=me.id)
    assert again.errors[0].extensions["code"] == "NOT_FOUND"


async def test_a_due_date_in_the_past_of_the_learners_day_is_refused(harness):
    me, topic = await learner(harness)
    await harness.data(
        'mutation { updateMe(input: {timezone: "Asia/Tokyo"}) { id } }', user_id=me.id
    )
    # 2 March is still today in UTC but already yesterday in Tokyo.
    past = await harness.execute(
        SET_GOAL, {"i": {"title": "Late", "topicId": topic, "dueDate": "2026-03-02"}}, user_id=me.id
    )
    assert past.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert past.errors[0].extensions["field"] == "dueDate"
    today = await harness.data(
        SET_GOAL,
        {"i": {"title": "Today", "topicId": topic, "dueDate": "2026-03-03"}},
        user_id=me.id,
    )
    assert today["setStudyGoal"]["dueDate"] == "2026-03-03"


async def test_the_goal_functions_return_the_goal_with_its_progress(harness):
    me = (await make_user(harness)).user
    async with unit_of_work(harness.session_factory) as session:
        view = await goals.create_study_goal_with_progress(
            session,
            owner_id=me.id,
            title="Read",
            topic_id=None,
            target_minutes_per_week=None,
            target_mastery=None,
            due_date=None,
            now=NOW,
        )
        assert (view.goal.status, view.progress) == (goals.GoalStatus.ACTIVE, 0.0)
        # Nothing to reach: marked ACHIEVED by hand, it reads as done at once.
        view = await goals.update_study_goal_with_progress(
            session, owner_id=me.id, goal_id=view.goal.id, now=NOW, status="ACHIEVED"
        )
        assert (view.goal.status, view.progress) == (goals.GoalStatus.ACHIEVED, 1.0)


async def test_next_up_records_a_goal_it_finds_reached(harness, monkeypatch):
    me, topic = await learner(harness)
    created = await harness.data(
        SET_GOAL,
        {"i": {"title": "Sets exam", "topicId": topic, "targetMastery": 0.8}},
        user_id=me.id,
    )
    assert created["setStudyGoal"]["status"] == "ACTIVE"
    before = await harness.data("{ nextUpTopics { reason } }", user_id=me.id)  # no write
    assert any("Sets exam" in item["reason"] for item in before["nextUpTopics"])
    await learn_a_card(harness, me.id, topic)
    # nextUpTopics is the first reader after the goal is reached: it records it, in a
    # unit of work (an unreached goal needs none).
    recorded = []
    original = next_up_module.list_next_up_topics

    async def recording(*args, **kwargs):
        recorded.append(kwargs["owner_id"])
        return await original(*args, **kwargs)

    monkeypatch.setattr(next_up_module, "list_next_up_topics", recording)
    next_up = await harness.data("{ nextUpTopics { reason } }", user_id=me.id)
    assert recorded == [me.id]
    assert not any("Sets exam" in item["reason"] for item in next_up["nextUpTopics"])
    listed = await harness.data(GOALS, {"s": "ACHIEVED"}, user_id=me.id)
    assert [g["id"] for g in listed["studyGoals"]] == [created["setStudyGoal"]["id"]]
