"""Study sessions measure study time: one active per learner, idle ones end at their last
activity plus the grace (on every reader at once, and in the rows after a sweep), and
minutes, metrics, progress and goals count only active time."""

from datetime import UTC, datetime, timedelta

from api.settings import Settings
from db.engine import unit_of_work
from db.study import study_sessions
from db.study.session_clock import IDLE_GRACE
from db.study.session_sweeper import IdleSessionSweeper
from tests.chat.helpers import send, wait_for_status
from tests.factories import make_user

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
START = """mutation($t: ID) { startStudySession(input: {topicId: $t, mode: QUIZ}) {
  id active endedAt startedAt } }"""
SESSIONS = """{ studySessions(first: 50) { edges { node { id active endedAt durationSeconds
  lastActivityAt idleEndsAt } } }
  active: studySessions(active: true) { totalCount }
  currentSession { id } }"""
METRICS = """query($d: Date!) { studyMetrics(from: $d, to: $d) { totalMinutes sessionsCount
  daily { minutes } } }"""


class Learner:
    def __init__(self, harness, user_id):
        self.harness, self.user_id, self.now = harness, user_id, T0
        harness.clock = lambda: self.now

    async def q(self, query, **variables):
        return await self.harness.data(query, variables, user_id=self.user_id)

    def at(self, minutes: float) -> None:
        self.now = T0 + timedelta(minutes=minutes)


async def new_learner(harness):
    learner = Learner(harness, (await make_user(harness)).user.id)
    topic = await learner.q('mutation { createTopic(input: {title: "Sets"}) { id } }')
    return learner, topic["createTopic"]["id"]


async def review_a_new_card(learner, topic_id):
    card = await learner.q(
        """mutation($t: ID!) { createCard(input: {topicId: $t, front: "Q?", back: "A."}) {
        id } }""",
        t=topic_id,
    )
    await learner.q(
        """mutation($c: ID!) { reviewCard(input: {cardId: $c, rating: GOOD}) { id } }""",
        c=card["createCard"]["id"],
    )


async def test_starting_a_session_ends_the_others_and_minutes_do_not_overlap(harness):
    learner, topic_id = await new_learner(harness)
    # The issue: nine sessions started within twelve minutes read 62 minutes.
    ids = []
    for n in range(9):
        learner.at(n * 1.5)
        ids.append((await learner.q(START, t=topic_id))["startStudySession"]["id"])
        await review_a_new_card(learner, topic_id)
    learner.at(13.5)
    data = await learner.q(SESSIONS)
    nodes = {edge["node"]["id"]: edge["node"] for edge in data["studySessions"]["edges"]}
    assert data["active"]["totalCount"] == 1 and data["currentSession"]["id"] == ids[-1]
    assert [nodes[i]["active"] for i in ids] == [False] * 8 + [True]
    # Each ended when the next one started: 1.5 minutes each, 13.5 minutes in all.
    assert [nodes[i]["durationSeconds"] for i in ids] == [90] * 9
    metrics = (await learner.q(METRICS, d=T0.date().isoformat()))["studyMetrics"]
    assert metrics["totalMinutes"] == 13 and metrics["sessionsCount"] == 9
    progress = await learner.q(
        "query($t: ID!) { topicProgress(topicId: $t) { minutesStudied } }", t=topic_id
    )
    assert progress["topicProgress"]["minutesStudied"] == 13


async def test_an_idle_session_ends_at_its_last_activity_plus_the_grace(harness):
    learner, topic_id = await new_learner(harness)
    goal = await learner.q(
        """mutation($t: ID!) { setStudyGoal(input: {title: "An hour a week", topicId: $t,
        targetMinutesPerWeek: 60}) { id } }""",
        t=topic_id,
    )
    session_id = (await learner.q(START, t=topic_id))["startStudySession"]["id"]
    learner.at(10)
    await review_a_new_card(learner, topic_id)  # the last activity
    learner.at(39)  # 29 minutes idle: still active
    node = (await learner.q(SESSIONS))["studySessions"]["edges"][0]["node"]
    assert node["active"] and node["durationSeconds"] == 39 * 60
    assert node["idleEndsAt"] == (T0 + timedelta(minutes=40)).isoformat()
    learner.at(41)  # past the 30 idle minutes: it ended at 10 minutes + the grace
    data = await learner.q(SESSIONS)
    node = data["studySessions"]["edges"][0]["node"]
    ended = T0 + timedelta(minutes=10) + IDLE_GRACE
    assert node["id"] == session_id and not node["active"] and node["idleEndsAt"] is None
    assert node["endedAt"] == ended.isoformat() and node["durationSeconds"] == 12 * 60
    assert data["currentSession"] is None and data["active"]["totalCount"] == 0
    learner.at(24 * 60)  # a day later nothing more has been added
    metrics = (await learner.q(METRICS, d=T0.date().isoformat()))["studyMetrics"]
    assert metrics["totalMinutes"] == 12
    goals = await learner.q("{ studyGoals { id progress } }")
    assert goals["studyGoals"] == [{"id": goal["setStudyGoal"]["id"], "progress": 12 / 60}]
    # The sweeper writes the same end into the row, once.
    sweeper = IdleSessionSweeper(harness.session_factory, clock=lambda: learner.now)
    assert await sweeper.sweep_once() == 1
    assert await sweeper.sweep_once() == 0
    async with unit_of_work(harness.session_factory) as session:
        row = await study_sessions.get_current_session(session, owner_id=learner.user_id, now=T0)
    assert row is None  # ended in the row now, even as seen from before the deadline


async def test_a_message_keeps_a_session_active_and_an_idle_one_refuses_messages(harness):
    learner, topic_id = await new_learner(harness)
    session_id = (await learner.q(START, t=topic_id))["startStudySession"]["id"]
    learner.at(25)
    answer = await send(harness, learner.user_id, session_id, "What is a set?")
    await wait_for_status(
        harness, learner.user_id, answer["assistantMessage"]["id"], {"COMPLETE", "FAILED"}
    )
    learner.at(50)  # 25 minutes after the message: still active
    assert (await learner.q(SESSIONS))["currentSession"]["id"] == session_id
    learner.at(56)
    result = await harness.execute(
        """mutation($s: ID!) { sendMessage(input: {sessionId: $s, content: "hello?"}) {
        userMessage { id } } }""",
        {"s": session_id},
        user_id=learner.user_id,
    )
    assert result.errors[0].extensions["code"] == "CONFLICT"
    node = (await learner.q(SESSIONS))["studySessions"]["edges"][0]["node"]
    assert node["endedAt"] == (T0 + timedelta(minutes=25) + IDLE_GRACE).isoformat()


async def test_the_idle_length_is_a_setting_kept_by_each_session(harness, monkeypatch):
    monkeypatch.setenv("STUDYGRAPH_SESSION_IDLE_MINUTES", "5")
    assert Settings(jwt_secret="x" * 40).session_idle_minutes == 5
    me = (await make_user(harness)).user
    async with unit_of_work(harness.session_factory) as session:
        row = await study_sessions.start_study_session(
            session, owner_id=me.id, topic_id=None, title=None, model="local:tutor",
            now=T0, idle_minutes=5,
        )  # fmt: skip
        assert await study_sessions.record_session_activity(
            session, owner_id=me.id, now=T0 + timedelta(minutes=4)
        )
    async with unit_of_work(harness.session_factory) as session:
        later = T0 + timedelta(minutes=8)
        assert (await study_sessions.get_current_session(session, owner_id=me.id, now=later)).id
        gone = T0 + timedelta(minutes=9, seconds=1)
        assert await study_sessions.get_current_session(session, owner_id=me.id, now=gone) is None
        assert not await study_sessions.record_session_activity(session, owner_id=me.id, now=gone)
        ended = await study_sessions.end_study_session(
            session, owner_id=me.id, session_id=row.id, now=gone
        )
    assert ended.ended_at == T0 + timedelta(minutes=4) + IDLE_GRACE
