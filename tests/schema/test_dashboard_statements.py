"""N+1 guard for the dashboard query: its SQL statements do not grow with the topics."""

from db.types import utcnow
from tests.dashboard import (
    CARDS_PER_TOPIC,
    DASHBOARD_QUERY,
    REVIEWS_PER_TOPIC,
    seed_dashboard_topics,
)
from tests.factories import make_user

FEW_TOPICS = 2
MANY_TOPICS = 25


async def dashboard_of(harness, count_statements, topic_count: int) -> tuple[int, list, dict]:
    """(statements run, their text, the answer) for a new learner with `topic_count` topics."""
    me = await make_user(harness)
    await seed_dashboard_topics(
        harness.session_factory, owner_id=me.user.id, topic_count=topic_count, now=harness.clock()
    )
    counter = count_statements()
    data = await harness.data(DASHBOARD_QUERY, user_id=me.user.id)
    return counter.count, counter.statements, data


async def test_dashboard_statement_count_is_constant(harness, count_statements):
    now = utcnow()
    harness.clock = lambda: now
    few, _, few_data = await dashboard_of(harness, count_statements, FEW_TOPICS)
    many, many_sql, many_data = await dashboard_of(harness, count_statements, MANY_TOPICS)

    # The answers are complete, so the counts are of a real resolution.
    assert len(few_data["topics"]["edges"]) == FEW_TOPICS
    edges = many_data["topics"]["edges"]
    assert [edge["node"]["title"] for edge in edges[:2]] == ["Topic 025", "Topic 024"]
    assert len(edges) == 20
    newest, older = edges[0]["node"], edges[1]["node"]
    assert newest["materials"] == {"totalCount": 1}
    progress = older["progress"]
    assert progress["cardsCount"] == CARDS_PER_TOPIC
    assert progress["reviewsCount"] == REVIEWS_PER_TOPIC
    assert progress["correctRate"] == 2 / 3
    # The never-reviewed card and the one forgotten 9.5 days ago are due.
    assert progress["dueCardsCount"] == 2
    assert 0 < progress["mastery"] < 1
    assert (progress["minutesStudied"], progress["sessionsCount"]) == (45, 1)
    # The active session, 6.5 hours old, counts its 4-hour cap.
    assert newest["progress"]["minutesStudied"] == 45 + 240
    assert many_data["currentSession"]["topic"] == {"id": newest["id"], "title": "Topic 025"}
    next_up = many_data["nextUpTopics"]
    assert len(next_up) == 5
    # The exam goal puts the newest topic first.
    assert next_up[0]["topic"]["id"] == newest["id"]
    assert "'Exam' is on" in next_up[0]["reason"]
    assert all(item["dueCardsCount"] == 2 for item in next_up)

    assert few == many, (
        f"{few} statements for {FEW_TOPICS} topics, {many} for {MANY_TOPICS}:\n"
        + "\n---\n".join(many_sql)
    )
    # me (its user shared with nextUpTopics); currentSession; the topics page;
    # nextUpTopics: the owner's newest topics with their progress figures and material
    # counts in one aggregate row each, and their sessions (2, shared with the topics'
    # progress and material counts and the session's topic), goals (1): 6, a guard
    # against a loader quietly turning into a query per row.
    assert many <= 6, "\n---\n".join(many_sql)
