"""generateCards below GraphQL: passages read, cards written offline and stored, at once."""

import pytest
from sqlmodel import select

from db.engine import unit_of_work
from db.errors import BadUserInput, NotFound
from db.materials.library import create_material, process_material
from db.models import Card
from tests.factories import make_topic, make_user
from tests.materials.helpers import DATA
from tutor.cards import generate_cards_for_topic


async def test_cards_are_generated_from_the_topics_material_and_stored(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    data = (DATA / "tutorial-errors.md").read_bytes()
    async with unit_of_work(harness.session_factory) as session:
        material = await create_material(
            session, owner_id=me.user.id, topic_id=topic.id, filename="errors.md", data=data
        )
    await process_material(harness.session_factory, None, material=material, data=data)
    rows = await generate_cards_for_topic(
        harness.session_factory,
        owner_id=me.user.id,
        topic_id=topic.id,
        message_id=None,
        count=3,
        now=harness.clock(),
    )
    assert len(rows) == 3
    async with harness.session_factory() as session:
        stored = list(await session.exec(select(Card).where(Card.topic_id == topic.id)))
    assert {card.id for card in stored} == {row.id for row in rows}


async def test_the_count_and_the_topics_owner_are_checked(harness):
    me = await make_user(harness)
    other = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    arguments = {"topic_id": topic.id, "message_id": None, "now": harness.clock()}
    with pytest.raises(BadUserInput, match="count must be between"):
        await generate_cards_for_topic(
            harness.session_factory, owner_id=me.user.id, count=0, **arguments
        )
    with pytest.raises(NotFound):
        await generate_cards_for_topic(
            harness.session_factory, owner_id=other.user.id, count=1, **arguments
        )
