"""Preloaded resolver fields: a page of topics is projected, and answers as graphql-core."""

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from db.types import utcnow
from schema.execution import warming
from schema.topics import types as topic_types
from tests.dashboard import DASHBOARD_QUERY, seed_dashboard_topics
from tests.factories import make_user

TOPICS_QUERY = """{ topics(first: 5) { edges { node { id title
    progress { mastery cardsCount dueCardsCount nextReviewAt } materials { totalCount } } } } }"""
# `materials` with its page selected too: the count alone is not what the field returns.
PAGE_QUERY = """{ topics(first: 5) { edges { node { id
    progress { mastery } materials { totalCount edges { node { id } } } } } } }"""


async def answers(harness, query: str, user_id: int) -> tuple[dict, dict]:
    """(the projecting executor's answer, graphql-core's own), each after a warm-up."""
    projected = await harness.data(query, user_id=user_id)
    projected = await harness.data(query, user_id=user_id)
    saved = harness.schema.execution_context_class
    harness.schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        plain = await harness.data(query, user_id=user_id)
    finally:
        harness.schema.execution_context_class = saved
    return projected, plain


async def seeded_user(harness) -> int:
    me = await make_user(harness)
    await seed_dashboard_topics(
        harness.session_factory, owner_id=me.user.id, topic_count=6, now=utcnow()
    )
    return me.user.id


async def test_preloaded_topics_answer_as_graphql_core(harness):
    user_id = await seeded_user(harness)
    for query in (TOPICS_QUERY, PAGE_QUERY, DASHBOARD_QUERY):
        projected, plain = await answers(harness, query, user_id)
        assert projected == plain


async def test_a_page_of_topics_is_projected_without_its_resolvers(harness, monkeypatch):
    user_id = await seeded_user(harness)
    await harness.data(TOPICS_QUERY, user_id=user_id)  # plans compiled
    calls: list[str] = []
    original = topic_types.loaded_then

    def counting(loader, key, convert):
        calls.append("progress")
        return original(loader, key, convert)

    monkeypatch.setattr(topic_types, "loaded_then", counting)
    data = await harness.data(TOPICS_QUERY, user_id=user_id)
    assert data["topics"]["edges"][0]["node"]["materials"] == {"totalCount": 1}
    assert calls == []
    # Without the preloaded values, every topic's resolver answers (graphql-core).
    monkeypatch.setattr(warming, "preload", lambda *_args: None)
    assert await harness.data(TOPICS_QUERY, user_id=user_id) == data
    assert calls == ["progress"] * 5
