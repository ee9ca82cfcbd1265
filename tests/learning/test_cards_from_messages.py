"""createCard/generateCards from a message's citations: live material only, same topic."""

from dataclasses import replace

from sqlmodel import col, select

from db.engine import unit_of_work
from db.models import MaterialChunk
from schema.relay import to_global_id
from tests.factories import make_session, make_topic
from tests.tutor.helpers import add_message, make_learner, upload

CREATE = """mutation($t: ID!, $m: ID) { createCard(input: {topicId: $t, front: "Q?",
  back: "A.", sourceMessageId: $m}) { id source { quote material { id } } } }"""
GENERATE = """mutation($t: ID!, $m: ID) { generateCards(topicId: $t, sourceMessageId: $m,
  count: 4) { id front source { quote material { id } } } }"""
CARDS = "{ cards(first: 50) { edges { node { id source { quote material { id } } } } } }"
DELETE_MATERIAL = "mutation($id: ID!) { deleteStudyMaterial(id: $id) }"


async def citations_of(harness, material_id: int, count: int) -> list[dict]:
    async with unit_of_work(harness.session_factory) as session:
        chunks = await session.exec(
            select(MaterialChunk)
            .where(MaterialChunk.material_id == material_id)
            .order_by(col(MaterialChunk.ordinal))
            .limit(count)
        )
        return [
            {"material_id": c.material_id, "chunk_id": c.id, "page": c.page,
             "start_offset": c.start_offset, "end_offset": c.end_offset, "quote": c.text}
            for c in chunks
        ]  # fmt: skip


async def test_cards_from_a_message_keep_live_citations_of_the_topic(harness):
    learner = await make_learner(harness, chapter="tutorial-datastructures.md")
    errors_id = await upload(
        harness, learner, "errors.md", b"# Errors\n\nAn exception is an error detected "
        b"during execution. A try statement handles exceptions with except clauses.\n"
    )  # fmt: skip
    gone = await citations_of(harness, errors_id, 1)
    kept = await citations_of(harness, learner.material_id, 2)
    message = await add_message(
        harness, learner, "ASSISTANT", "Per [1] and [2] ...", citations=gone + kept
    )
    me, topic = learner.user_id, to_global_id("Topic", learner.topic_id)
    msg = to_global_id("Message", message.id)
    errors_gid = to_global_id("StudyMaterial", errors_id)
    kept_gid = to_global_id("StudyMaterial", learner.material_id)

    card = (await harness.data(CREATE, {"t": topic, "m": msg}, user_id=me))["createCard"]
    assert card["source"] == {"quote": gone[0]["quote"], "material": {"id": errors_gid}}
    made = (await harness.data(GENERATE, {"t": topic, "m": msg}, user_id=me))["generateCards"]
    assert made and all(c["source"]["quote"] in [x["quote"] for x in gone + kept] for c in made)

    # The first cited material is deleted: old cards lose their source (no error), new
    # cards come only from what is left.
    await harness.data(DELETE_MATERIAL, {"id": errors_gid}, user_id=me)
    listed = await harness.data(CARDS, user_id=me)
    sources = {e["node"]["id"]: e["node"]["source"] for e in listed["cards"]["edges"]}
    assert sources[card["id"]] is None
    again = (await harness.data(CREATE, {"t": topic, "m": msg}, user_id=me))["createCard"]
    assert again["source"] == {"quote": kept[0]["quote"], "material": {"id": kept_gid}}
    made = (await harness.data(GENERATE, {"t": topic, "m": msg}, user_id=me))["generateCards"]
    assert made and {c["source"]["material"]["id"] for c in made} == {kept_gid}
    assert all(c["source"]["quote"] in [x["quote"] for x in kept] for c in made)

    # Nothing cited is left: no source for a hand-made card, no generated cards.
    await harness.data(DELETE_MATERIAL, {"id": kept_gid}, user_id=me)
    bare = (await harness.data(CREATE, {"t": topic, "m": msg}, user_id=me))["createCard"]
    assert bare["source"] is None
    refused = await harness.execute(GENERATE, {"t": topic, "m": msg}, user_id=me)
    assert refused.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "sourceMessageId"}


async def test_a_message_of_another_topic_or_user_is_refused(harness):
    learner = await make_learner(harness, chapter="tutorial-datastructures.md")
    cited = await citations_of(harness, learner.material_id, 1)
    other_topic = await make_topic(harness, owner_id=learner.user_id, title="Other")
    other_session = await make_session(harness, owner_id=learner.user_id, topic_id=other_topic.id)
    elsewhere = await add_message(
        harness, replace(learner, session_id=other_session.id), "ASSISTANT", "[1]",
        citations=cited,
    )  # fmt: skip
    variables = {
        "t": to_global_id("Topic", learner.topic_id),
        "m": to_global_id("Message", elsewhere.id),
    }
    for query in (CREATE, GENERATE):
        refused = await harness.execute(query, variables, user_id=learner.user_id)
        assert refused.errors[0].extensions["code"] == "BAD_USER_INPUT"
        assert refused.errors[0].extensions["field"] == "sourceMessageId"
    stranger = await make_learner(harness)
    mine = await add_message(harness, learner, "ASSISTANT", "[1]", citations=cited)
    theirs = {"t": to_global_id("Topic", stranger.topic_id), "m": to_global_id("Message", mine.id)}
    for query in (CREATE, GENERATE):
        denied = await harness.execute(query, theirs, user_id=stranger.user_id)
        assert denied.errors[0].extensions["code"] == "NOT_FOUND"
