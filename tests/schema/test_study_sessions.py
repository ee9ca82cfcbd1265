"""Study sessions, currentSession and currentTopic, on both databases."""

from datetime import timedelta

import pytest

from db.engine import unit_of_work
from db.errors import BadUserInput
from db.learning import cards
from db.pagination import PageRequest
from db.study import study_sessions
from db.types import utcnow
from schema.relay import to_global_id
from tests.factories import make_session, make_topic, make_user
from tutor.providers import ModelCatalog, ProviderSettings

START = """
mutation($input: StartStudySessionInput!) {
  startStudySession(input: $input) {
    id title mode model active endedAt durationSeconds topic { id title }
  }
}"""
END = "mutation($id: ID!) { endStudySession(id: $id) { active endedAt durationSeconds } }"


async def test_start_on_a_topic_takes_its_title_and_defaults(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id, title="Graphs")
    topic_id = to_global_id("Topic", topic.id)
    started = (await harness.data(START, {"input": {"topicId": topic_id}}, user_id=me.user.id))[
        "startStudySession"
    ]
    assert started["title"] == "Graphs"
    assert started["mode"] == "EXPLAIN"
    assert started["model"] == "local:tutor"
    assert started["active"] is True and started["endedAt"] is None
    assert started["topic"] == {"id": topic_id, "title": "Graphs"}


async def test_free_session_with_mode_title_and_model(harness):
    # A provider's models can be chosen once the server has the provider configured.
    harness.models = ModelCatalog(
        default_model="local:tutor",
        providers={"openai": ProviderSettings(base_url="http://127.0.0.1:9/v1", api_key="k")},
        request_timeout_seconds=5,
    )
    me = await make_user(harness)
    started = (
        await harness.data(
            START,
            {"input": {"title": "Cramming", "mode": "SOCRATIC", "model": "openai:gpt-4o-mini"}},
            user_id=me.user.id,
        )
    )["startStudySession"]
    assert (started["title"], started["mode"], started["model"], started["topic"]) == (
        "Cramming",
        "SOCRATIC",
        "openai:gpt-4o-mini",
        None,
    )
    for bad_model in ("no-provider", "together:llama", "local:gpt-4"):
        bad = await harness.execute(START, {"input": {"model": bad_model}}, user_id=me.user.id)
        assert bad.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "model"}


async def test_end_is_idempotent_and_fixes_the_duration(harness):
    me = await make_user(harness)
    study = await make_session(harness, owner_id=me.user.id, now=utcnow() - timedelta(minutes=25))
    session_id = to_global_id("StudySession", study.id)
    ended = (await harness.data(END, {"id": session_id}, user_id=me.user.id))["endStudySession"]
    assert ended["active"] is False
    assert 25 * 60 <= ended["durationSeconds"] < 26 * 60
    again = (await harness.data(END, {"id": session_id}, user_id=me.user.id))["endStudySession"]
    assert again["endedAt"] == ended["endedAt"]


async def test_list_filters_by_topic_and_activity(harness):
    me = await make_user(harness)
    algebra = await make_topic(harness, owner_id=me.user.id, title="Algebra")
    history = await make_topic(harness, owner_id=me.user.id, title="History")
    await make_session(harness, owner_id=me.user.id, topic_id=algebra.id)
    ended = await make_session(harness, owner_id=me.user.id, topic_id=algebra.id)
    await make_session(harness, owner_id=me.user.id, topic_id=history.id)
    await harness.data(END, {"id": to_global_id("StudySession", ended.id)}, user_id=me.user.id)
    query = """
    query($topicId: ID, $active: Boolean) {
      studySessions(topicId: $topicId, active: $active) {
        totalCount edges { node { title active } }
      }
    }"""

    async def titles(**variables):
        data = await harness.data(query, variables, user_id=me.user.id)
        connection = data["studySessions"]
        return connection["totalCount"], [edge["node"]["title"] for edge in connection["edges"]]

    assert await titles() == (3, ["History", "Algebra", "Algebra"])
    assert await titles(topicId=to_global_id("Topic", algebra.id)) == (2, ["Algebra", "Algebra"])
    # One session is active at a time: each start ended the one before.
    assert await titles(active=True) == (1, ["History"])
    assert await titles(active=False) == (2, ["Algebra", "Algebra"])


async def test_current_session_and_current_topic(harness):
    me = await make_user(harness)
    query = "{ currentSession { title } currentTopic { title } }"
    assert await harness.data(query, user_id=me.user.id) == {
        "currentSession": None,
        "currentTopic": None,
    }
    old = await make_topic(harness, owner_id=me.user.id, title="Old topic")
    new = await make_topic(harness, owner_id=me.user.id, title="New topic")
    earlier = await make_session(harness, owner_id=me.user.id, topic_id=old.id)
    await harness.data(END, {"id": to_global_id("StudySession", earlier.id)}, user_id=me.user.id)
    # No active session: the topic studied last.
    assert await harness.data(query, user_id=me.user.id) == {
        "currentSession": None,
        "currentTopic": {"title": "Old topic"},
    }
    # A card review after that session: reviewing is studying too.
    async with unit_of_work(harness.session_factory) as session:
        card = await cards.create_card(
            session, owner_id=me.user.id, topic_id=new.id, front="Q", back="A", now=utcnow()
        )
        await cards.review_card(
            session, owner_id=me.user.id, card_id=card.id, rating="GOOD", now=utcnow()
        )
    assert (await harness.data(query, user_id=me.user.id))["currentTopic"] == {"title": "New topic"}
    # A later session on the old topic makes it the one studied last again.
    again = await make_session(harness, owner_id=me.user.id, topic_id=old.id)
    await harness.data(END, {"id": to_global_id("StudySession", again.id)}, user_id=me.user.id)
    assert (await harness.data(query, user_id=me.user.id))["currentTopic"] == {"title": "Old topic"}
    await make_session(harness, owner_id=me.user.id, topic_id=new.id, title="Now")
    await make_session(harness, owner_id=me.user.id, title="Free, newest")
    # The newest active session, and the topic of the newest active session that has one.
    assert await harness.data(query, user_id=me.user.id) == {
        "currentSession": {"title": "Free, newest"},
        "currentTopic": {"title": "New topic"},
    }


async def test_a_session_page_counts_only_when_the_count_is_awaited(harness):
    user = await make_user(harness)
    for _ in range(2):
        await make_session(harness, owner_id=user.user.id)
    page, count = await study_sessions.list_study_sessions_page_for_owner(
        harness.session_factory, owner_id=user.user.id, page=PageRequest(first=1)
    )
    assert len(page.rows) == 1 and page.has_next
    await make_session(harness, owner_id=user.user.id)
    assert await count() == 3  # read when awaited, not when the page was built


async def test_starting_a_session_defaults_the_mode_and_model_and_checks_the_model(harness):
    user = await make_user(harness)
    catalog = ModelCatalog(default_model="local:tutor", providers={}, request_timeout_seconds=5)
    async with unit_of_work(harness.session_factory) as session:
        row = await study_sessions.start_study_session(
            session,
            owner_id=user.user.id,
            topic_id=None,
            title=None,
            model=None,
            default_model="local:tutor",
            check_model=catalog.check,
        )
        assert (row.mode, row.model) == ("EXPLAIN", "local:tutor")
        with pytest.raises(BadUserInput, match="not configured"):
            await study_sessions.start_study_session(
                session,
                owner_id=user.user.id,
                topic_id=None,
                title=None,
                model="openai:gpt-4o",
                default_model="local:tutor",
                check_model=catalog.check,
            )
