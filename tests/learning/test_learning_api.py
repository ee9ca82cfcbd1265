"""Learning API edges: time-zone days, constant SQL counts, card generation, ownership."""

from datetime import UTC, datetime

from db.engine import unit_of_work
from db.models import MaterialChunk, StudyMaterial
from schema.relay import to_global_id
from tests.factories import make_topic, make_user

REVIEW = """mutation($c: ID!) { reviewCard(input: {cardId: $c, rating: GOOD}) { id reps } }"""


async def test_a_review_at_2330_in_tokyo_counts_on_the_tokyo_day(harness):
    me = (await make_user(harness)).user
    bad = await harness.execute(
        'mutation { updateMe(input: {timezone: "Mars/Olympus"}) { timezone } }', user_id=me.id
    )
    assert bad.errors[0].extensions["code"] == "BAD_USER_INPUT"
    data = await harness.data(
        'mutation { updateMe(input: {timezone: "Asia/Tokyo"}) { timezone } }', user_id=me.id
    )
    assert data["updateMe"]["timezone"] == "Asia/Tokyo"
    topic = await make_topic(harness, owner_id=me.id)
    card = await harness.data(
        """mutation($t: ID!) {
        createCard(input: {topicId: $t, front: "Q?", back: "A."}) { id } }""",
        {"t": to_global_id("Topic", topic.id)},
        user_id=me.id,
    )
    card_id = card["createCard"]["id"]
    # 14:30 UTC is 23:30 in Tokyo on 2 March; 15:30 UTC is already 3 March there.
    for moment in (
        datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
    ):
        harness.clock = lambda moment=moment: moment
        await harness.data(REVIEW, {"c": card_id}, user_id=me.id)
    query = """{ studyMetrics(from: "2026-03-01", to: "2026-03-03") { daily { date reviews } } }"""
    daily = (await harness.data(query, user_id=me.id))["studyMetrics"]["daily"]
    assert [(d["date"], d["reviews"]) for d in daily] == [
        ("2026-03-01", 0),
        ("2026-03-02", 1),
        ("2026-03-03", 1),
    ]


NESTED = """{ topics(first: 20) { edges { node { title
  progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied topic { title } }
  cards(first: 3) { totalCount edges { node { front retrievability topic { title } } } }
} } } }"""


async def statements_for(harness, count_statements, topic_count):
    me = (await make_user(harness)).user
    for number in range(topic_count):
        topic = await make_topic(harness, owner_id=me.id, title=f"T{number}")
        for n in range(2):
            card = await harness.data(
                """mutation($t: ID!, $f: String!) {
                createCard(input: {topicId: $t, front: $f, back: "A."}) { id } }""",
                {"t": to_global_id("Topic", topic.id), "f": f"Q{n}?"},
                user_id=me.id,
            )
            await harness.data(REVIEW, {"c": card["createCard"]["id"]}, user_id=me.id)
    counter = count_statements()
    data = await harness.data(NESTED, user_id=me.id)
    return counter.count, data


async def test_progress_and_cards_of_many_topics_take_constant_statements(
    harness, count_statements
):
    small, _ = await statements_for(harness, count_statements, 3)
    large, data = await statements_for(harness, count_statements, 12)
    node = data["topics"]["edges"][0]["node"]
    assert node["progress"]["cardsCount"] == 2 and node["progress"]["reviewsCount"] == 2
    assert node["cards"]["totalCount"] == 2 and node["cards"]["edges"][0]["node"]["retrievability"]
    assert small == large, f"{small} statements for 3 topics, {large} for 12"


TEXT = (
    "A set is an unordered collection with no duplicate elements. "
    "Sets support mathematical operations like union and intersection. "
    "Curly braces or the `set()` function can be used to create sets."
)


async def test_generate_cards_from_topic_material_keeps_citations(harness):
    me = (await make_user(harness)).user
    other = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    async with unit_of_work(harness.session_factory) as session:
        material = StudyMaterial(
            owner_id=me.id, topic_id=topic.id, filename="sets.md", content_type="text/markdown",
            size_bytes=len(TEXT), status="READY", chunk_count=1,
        )  # fmt: skip
        session.add(material)
        await session.flush()
        session.add(
            MaterialChunk(
                owner_id=me.id, material_id=material.id, topic_id=topic.id, ordinal=0,
                start_offset=0, end_offset=len(TEXT), text=TEXT,
            )
        )  # fmt: skip
    query = """mutation($t: ID!) { generateCards(topicId: $t, count: 3) {
      front back state source { quote startOffset endOffset } } }"""
    variables = {"t": to_global_id("Topic", topic.id)}
    cards = (await harness.data(query, variables, user_id=me.id))["generateCards"]
    fronts = [card["front"] for card in cards]
    assert fronts[0] == "What is a set?"
    assert cards[0]["back"].startswith("A set is an unordered collection")
    assert any(front.startswith("Fill in the blank:") and "_____" in front for front in fronts)
    assert all(card["source"]["quote"] == TEXT for card in cards)
    denied = await harness.execute(query, variables, user_id=other.id)
    assert denied.errors[0].extensions["code"] == "NOT_FOUND"
