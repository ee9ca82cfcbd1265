"""Nested connections cannot multiply into a response of millions of objects."""

from schema.query_cost import MAX_OBJECTS
from schema.relay import to_global_id
from tests.factories import make_session, make_user

NESTED = """
query($id: ID!, $outer: Int, $inner: Int) {
  studySession(id: $id) {
    messages(first: $outer) { edges { node { session {
      messages(first: $inner) { edges { node { content } } }
    } } } }
  }
}"""


def code_of(result) -> str | None:
    return result.errors[0].extensions["code"] if result.errors else None


async def _session_id(harness):
    me = await make_user(harness)
    study_session = await make_session(harness, owner_id=me.user.id)
    return me.user.id, to_global_id("StudySession", study_session.id)


async def test_nested_connections_over_the_limit_are_refused_before_running(
    harness, count_statements
):
    user_id, session_id = await _session_id(harness)
    statements = count_statements()
    result = await harness.execute(
        NESTED, {"id": session_id, "outer": 100, "inner": 100}, user_id=user_id
    )
    assert code_of(result) == "BAD_USER_INPUT"
    assert "up to 10100 objects" in result.errors[0].message
    assert f"the limit is {MAX_OBJECTS}" in result.errors[0].message
    assert result.data is None and statements.count == 0


async def test_the_cost_uses_the_requests_own_variables(harness):
    user_id, session_id = await _session_id(harness)
    small = await harness.execute(
        NESTED, {"id": session_id, "outer": 10, "inner": 10}, user_id=user_id
    )
    assert small.errors is None and small.data["studySession"]["messages"]["edges"] == []
    # Costs are cached per parsed document: the same query with other variables is
    # counted with those, whichever came first.
    for outer, inner, allowed in ((100, 100, False), (10, 10, True), (100, 29, True)):
        variables = {"id": session_id, "outer": outer, "inner": inner}
        result = await harness.execute(NESTED, variables, user_id=user_id)
        assert (result.errors is None) is allowed, (outer, inner, result.errors)


async def test_a_connection_without_first_counts_as_a_default_page(harness):
    user_id, session_id = await _session_id(harness)
    # 100 messages, each with 20 (the default page) under it, via the inner default.
    query = NESTED.replace("messages(first: $inner)", "messages").replace(", $inner: Int", "")
    result = await harness.execute(query, {"id": session_id, "outer": 100}, user_id=user_id)
    assert result.errors is None  # 100 + 100 * 20 = 2,100
    counted_by_default = """
    query { topics(first: 100) { edges { node {
      cards { totalCount } materials { totalCount }
    } } } }"""
    result = await harness.execute(counted_by_default, user_id=user_id)
    assert code_of(result) == "BAD_USER_INPUT"  # 100 + 100 * 20 + 100 * 20 = 4,100
    assert "4100 objects" in result.errors[0].message


async def test_a_page_over_the_cap_counts_as_the_cap(harness):
    user_id, session_id = await _session_id(harness)
    # Connections return at most 100 whatever `first` says, so 10**6 costs 100 here,
    # and a field with a tighter range (searchMaterials) still reports its own error.
    result = await harness.execute(
        NESTED, {"id": session_id, "outer": 10**6, "inner": 1}, user_id=user_id
    )
    assert result.errors is None
    result = await harness.execute(
        NESTED, {"id": session_id, "outer": 10**6, "inner": 30}, user_id=user_id
    )
    assert "3100 objects" in result.errors[0].message  # 100 + 100 * 30


async def test_fragments_and_aliases_are_counted(harness):
    user_id, _ = await _session_id(harness)
    query = """
    query {
      a: topics(first: 50) { edges { node { ...Cards } } }
      b: topics(first: 50) { edges { node { ... on Topic { cards(first: 10) { totalCount } } } } }
    }
    fragment Cards on Topic { cards(first: 50) { edges { node { front } } } }"""
    # 50 + 50 * 50 + 50 + 50 * 10 = 3,100
    result = await harness.execute(query, user_id=user_id)
    assert code_of(result) == "BAD_USER_INPUT" and "3100 objects" in result.errors[0].message
    fine = await harness.execute(
        query.replace("cards(first: 10)", "cards(first: 1)"), user_id=user_id
    )
    assert fine.errors is None  # 3,100 - 450 = 2,650


async def test_a_subscription_is_held_to_the_same_limit(harness):
    user_id, _ = await _session_id(harness)
    query = """
    subscription($id: ID!) { messageEvents(messageId: $id) { ... on MessageCompleted {
      message { session { messages(first: 100) { edges { node { session {
        messages(first: 100) { edges { node { content } } } } } } } } }
    } } }"""
    stream = await harness.schema.subscribe(
        query,
        variable_values={"id": to_global_id("Message", 1)},
        context_value=harness.context(user_id),
    )
    first = await anext(aiter(stream))
    assert code_of(first) == "BAD_USER_INPUT" and "objects" in first.errors[0].message
