"""N+1 guard: the statements of a nested query do not grow with the number of rows."""

from tests.factories import make_session, make_topic, make_user

NESTED = """
{
  me { email }
  topics(first: 100) {
    totalCount
    edges {
      node {
        title
        sessions(first: 5) {
          totalCount
          edges { node { title active topic { title } } }
        }
      }
    }
  }
  studySessions(first: 100) { edges { node { title topic { title } } } }
}"""


async def statements_for(harness, count_statements, topic_count: int) -> tuple[int, dict]:
    me = await make_user(harness)
    for number in range(topic_count):
        topic = await make_topic(harness, owner_id=me.user.id, title=f"Topic {number}")
        for _ in range(2):
            await make_session(harness, owner_id=me.user.id, topic_id=topic.id)
    counter = count_statements()
    data = await harness.data(NESTED, user_id=me.user.id)
    return counter.count, data


async def test_nested_query_statement_count_is_constant(harness, count_statements):
    small, small_data = await statements_for(harness, count_statements, 5)
    large, large_data = await statements_for(harness, count_statements, 50)
    # The data really is nested and complete, so the count is of a real resolution.
    assert small_data["topics"]["totalCount"] == 5
    assert large_data["topics"]["totalCount"] == 50
    first_topic = large_data["topics"]["edges"][0]["node"]
    assert first_topic["sessions"]["totalCount"] == 2
    assert first_topic["sessions"]["edges"][0]["node"]["topic"]["title"] == first_topic["title"]
    assert len(large_data["studySessions"]["edges"]) == 100
    assert small == large, f"{small} statements for 5 topics, {large} for 50"
    # me, topics page, topics count, sessions page, session counts, topics of sessions,
    # studySessions page; a guard against a loader quietly turning into a query per row.
    assert large <= 8, large
