"""The quiz card an answer asked, kept as data on that answer: latest wins, owner-filtered."""

from db.engine import unit_of_work
from db.learning import quiz_state
from tests.factories import make_message, make_session, make_topic, make_user


async def new_message(harness, owner_id: int, session_id: int, role: str = "ASSISTANT") -> int:
    row = await make_message(
        harness, owner_id=owner_id, session_id=session_id, role=role, content="…", mode="QUIZ"
    )
    return row.id


async def ask(harness, owner_id: int, message_id: int, card_id: int) -> None:
    async with unit_of_work(harness.session_factory) as session:
        await quiz_state.set_asked_quiz_card(
            session, owner_id=owner_id, message_id=message_id, card_id=card_id
        )


async def last_asked(harness, owner_id: int, session_id: int, before: int) -> int | None:
    async with unit_of_work(harness.session_factory) as session:
        return await quiz_state.get_last_asked_quiz_card_id(
            session, owner_id=owner_id, session_id=session_id, before_message_id=before
        )


async def learner_session(harness) -> tuple[int, int]:
    user = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=user.id)
    study = await make_session(harness, owner_id=user.id, topic_id=topic.id, mode="QUIZ")
    return user.id, study.id


async def test_the_latest_earlier_answer_that_asked_a_card_wins(harness):
    owner, session_id = await learner_session(harness)
    first = await new_message(harness, owner, session_id)
    await ask(harness, owner, first, 11)
    second = await new_message(harness, owner, session_id)
    await ask(harness, owner, second, 12)
    # An answer that asked nothing (an explanation between two questions) changes nothing.
    await new_message(harness, owner, session_id)
    await new_message(harness, owner, session_id, role="USER")
    current = await new_message(harness, owner, session_id)
    assert await last_asked(harness, owner, session_id, current) == 12
    # Only answers BEFORE the one being written count: its own card is for the next turn.
    await ask(harness, owner, current, 13)
    assert await last_asked(harness, owner, session_id, current) == 12
    assert await last_asked(harness, owner, session_id, second) == 11
    assert await last_asked(harness, owner, session_id, first) is None


async def test_a_card_asked_more_than_the_recent_answers_ago_no_longer_counts(harness):
    owner, session_id = await learner_session(harness)
    asked = await new_message(harness, owner, session_id)
    await ask(harness, owner, asked, 21)
    for _ in range(quiz_state.RECENT_ANSWERS - 1):
        await new_message(harness, owner, session_id)
    current = await new_message(harness, owner, session_id)
    assert await last_asked(harness, owner, session_id, current) == 21
    await new_message(harness, owner, session_id)
    later = await new_message(harness, owner, session_id)
    assert await last_asked(harness, owner, session_id, later) is None


async def test_another_learner_neither_reads_nor_writes_the_quiz_state(harness):
    owner, session_id = await learner_session(harness)
    intruder, _ = await learner_session(harness)
    asked = await new_message(harness, owner, session_id)
    await ask(harness, owner, asked, 31)
    await ask(harness, intruder, asked, 99)
    current = await new_message(harness, owner, session_id)
    assert await last_asked(harness, intruder, session_id, current) is None
    assert await last_asked(harness, owner, session_id, current) == 31
