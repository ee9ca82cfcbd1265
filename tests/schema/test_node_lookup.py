"""node(id) finds every Node type of the learner's, and nothing of another learner's."""

import pytest

from schema.relay import to_global_id
from tests.factories import make_card, make_message, make_session, make_topic, make_user

NODE = """query($id: ID!) { node(id: $id) {
  id __typename
  ... on Card { front }
  ... on Message { content }
  ... on StudyGoal { title }
  ... on ApiKey { name }
} }"""


@pytest.fixture
async def alices_nodes(harness) -> dict:
    """Alice's card, message, goal and API key (global IDs), with the field each shows."""
    alice = await make_user(harness)
    topic = await make_topic(harness, owner_id=alice.user.id)
    study = await make_session(harness, owner_id=alice.user.id, topic_id=topic.id)
    card = await make_card(harness, owner_id=alice.user.id, topic_id=topic.id, front="Alice's Q")
    message = await make_message(
        harness, owner_id=alice.user.id, session_id=study.id, content="Alice's answer"
    )
    goal = await harness.data(
        'mutation { setStudyGoal(input: {title: "Alice\'s exam", targetMinutesPerWeek: 60})'
        " { id } }",
        user_id=alice.user.id,
    )
    key = await harness.data(
        'mutation { createApiKey(input: {name: "Alice\'s key"}) { apiKey { id } } }',
        user_id=alice.user.id,
    )
    return {
        "user_id": alice.user.id,
        "nodes": {
            "Card": (to_global_id("Card", card.id), {"front": "Alice's Q"}),
            "Message": (to_global_id("Message", message.id), {"content": "Alice's answer"}),
            "StudyGoal": (goal["setStudyGoal"]["id"], {"title": "Alice's exam"}),
            "ApiKey": (key["createApiKey"]["apiKey"]["id"], {"name": "Alice's key"}),
        },
    }


@pytest.mark.parametrize("type_name", ["Card", "Message", "StudyGoal", "ApiKey"])
async def test_the_owner_finds_each_node_type_by_id(harness, alices_nodes, type_name):
    node_id, shown = alices_nodes["nodes"][type_name]
    data = await harness.data(NODE, {"id": node_id}, user_id=alices_nodes["user_id"])
    assert data["node"] == {"id": node_id, "__typename": type_name, **shown}


@pytest.mark.parametrize("type_name", ["Card", "Message", "StudyGoal", "ApiKey"])
async def test_another_learner_gets_not_found(harness, alices_nodes, type_name):
    bob = await make_user(harness)
    node_id, _ = alices_nodes["nodes"][type_name]
    result = await harness.execute(NODE, {"id": node_id}, user_id=bob.user.id)
    assert result.errors and result.errors[0].extensions["code"] == "NOT_FOUND"
    assert "Alice" not in str(result.data)
