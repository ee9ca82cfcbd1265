"""No user sees or changes another user's objects: they are NOT_FOUND, never FORBIDDEN."""

import pytest

from schema.relay import to_global_id
from tests.factories import make_session, make_topic, make_user


@pytest.fixture
async def two_users(harness):
    alice = await make_user(harness)
    bob = await make_user(harness)
    topic = await make_topic(harness, owner_id=alice.user.id, title="Alice's secret topic")
    study = await make_session(harness, owner_id=alice.user.id, topic_id=topic.id)
    return alice, bob, topic, study


def assert_not_found(result) -> None:
    assert result.errors, "expected NOT_FOUND"
    assert result.errors[0].extensions["code"] == "NOT_FOUND"
    assert "Alice" not in str(result.data)


OPERATIONS = {
    "topic": ("query($id: ID!) { topic(id: $id) { title } }", "topic"),
    "node-topic": ("query($id: ID!) { node(id: $id) { id } }", "topic"),
    "node-session": ("query($id: ID!) { node(id: $id) { id } }", "session"),
    "node-user": ("query($id: ID!) { node(id: $id) { id } }", "user"),
    "studySession": ("query($id: ID!) { studySession(id: $id) { title } }", "session"),
    "updateTopic": (
        'mutation($id: ID!) { updateTopic(id: $id, input: {title: "pwned"}) { title } }',
        "topic",
    ),
    "deleteTopic": ("mutation($id: ID!) { deleteTopic(id: $id) }", "topic"),
    "endStudySession": ("mutation($id: ID!) { endStudySession(id: $id) { id } }", "session"),
    "startStudySession": (
        "mutation($id: ID!) { startStudySession(input: {topicId: $id}) { id } }",
        "topic",
    ),
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=list(OPERATIONS))
async def test_another_users_object_is_not_found(harness, two_users, operation):
    alice, bob, topic, study = two_users
    query, target = OPERATIONS[operation]
    ids = {
        "topic": to_global_id("Topic", topic.id),
        "session": to_global_id("StudySession", study.id),
        "user": to_global_id("User", alice.user.id),
    }
    assert_not_found(await harness.execute(query, {"id": ids[target]}, user_id=bob.user.id))
    # Alice's objects are untouched and still hers.
    mine = await harness.data(
        "query($t: ID!, $s: ID!) { topic(id: $t) { title } studySession(id: $s) { active } }",
        {"t": ids["topic"], "s": ids["session"]},
        user_id=alice.user.id,
    )
    assert mine == {"topic": {"title": "Alice's secret topic"}, "studySession": {"active": True}}


async def test_lists_show_only_the_callers_rows(harness, two_users):
    _, bob, _, _ = two_users
    await make_topic(harness, owner_id=bob.user.id, title="Bob's topic")
    query = """{
      topics { totalCount edges { node { title sessions { totalCount } } } }
      studySessions { totalCount }
      currentSession { id } currentTopic { id }
    }"""
    assert await harness.data(query, user_id=bob.user.id) == {
        "topics": {
            "totalCount": 1,
            "edges": [{"node": {"title": "Bob's topic", "sessions": {"totalCount": 0}}}],
        },
        "studySessions": {"totalCount": 0},
        "currentSession": None,
        "currentTopic": None,
    }


async def test_own_user_node_resolves(harness, two_users):
    alice, *_ = two_users
    data = await harness.data(
        "query($id: ID!) { node(id: $id) { ... on User { email } } }",
        {"id": to_global_id("User", alice.user.id)},
        user_id=alice.user.id,
    )
    assert data == {"node": {"email": alice.user.email}}
