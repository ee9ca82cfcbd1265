"""next_quiz_card keeps the card it asked on the answer; record_quiz_answer grades that one.

The card travels as data on the asking answer's row (not inside stored tool outputs),
so these tests store no tool calls at all.
"""

import json

from agents import Runner, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call
from sqlmodel import select

from db.engine import unit_of_work
from db.learning.cards import create_card, delete_card
from db.models import CardReview, Message
from tests.factories import make_message, make_session, make_topic, make_user
from tutor.agent import build_tutor_agent
from tutor.context import TutorContext

set_tracing_disabled(True)


async def new_answer(harness, user_id: int, session_id: int) -> int:
    row = await make_message(harness, owner_id=user_id, session_id=session_id, mode="QUIZ")
    return row.id


async def call_tool(harness, study, name: str, arguments: dict) -> tuple[int, dict]:
    """Runs one tool in a new answer of the session; (the answer's id, the tool's output)."""
    message_id = await new_answer(harness, study.owner_id, study.id)
    context = TutorContext(
        user_id=study.owner_id,
        session_id=study.id,
        message_id=message_id,
        topic_id=study.topic_id,
        mode="QUIZ",
        session_factory=harness.session_factory,
        bus=harness.bus,
        clock=harness.clock,
    )
    model = ScriptedModel([[function_call(name, arguments, call_id="t")], [assistant_message("")]])
    result = await Runner.run(build_tutor_agent(mode="QUIZ", model=model), "go", context=context)
    output = next(item.output for item in result.new_items if item.type == "tool_call_output_item")
    return message_id, json.loads(output)


async def quiz_session(harness, *fronts_and_backs: tuple[str, str]):
    user = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=user.id)
    study = await make_session(harness, owner_id=user.id, topic_id=topic.id, mode="QUIZ")
    async with unit_of_work(harness.session_factory) as session:
        cards = [
            await create_card(
                session,
                owner_id=user.id,
                topic_id=topic.id,
                front=front,
                back=back,
                now=harness.clock(),
            )
            for front, back in fronts_and_backs
        ]
    return study, cards


async def test_the_card_asked_is_kept_on_the_answer_and_graded_next_turn(harness):
    study, [card] = await quiz_session(harness, ("What leaves a loop early?", "break"))
    asking, asked = await call_tool(harness, study, "next_quiz_card", {})
    assert asked == {"card_id": card.id, "front": card.front, "topic_id": card.topic_id}
    async with unit_of_work(harness.session_factory) as session:
        row = await session.get(Message, asking)
        assert (row.quiz_card_id, row.tool_calls) == (card.id, [])
    _, recorded = await call_tool(harness, study, "record_quiz_answer", {"answer": "break"})
    assert (recorded["card_id"], recorded["correct_answer"]) == (card.id, "break")
    async with unit_of_work(harness.session_factory) as session:
        reviews = list(await session.exec(select(CardReview)))
    assert [review.card_id for review in reviews] == [card.id]


async def test_a_deleted_card_is_not_found_never_an_older_question_graded(harness):
    study, _ = await quiz_session(
        harness, ("What leaves a loop early?", "break"), ("What skips an iteration?", "continue")
    )
    _, first = await call_tool(harness, study, "next_quiz_card", {})
    await call_tool(harness, study, "record_quiz_answer", {"answer": "no idea"})
    _, second = await call_tool(harness, study, "next_quiz_card", {})
    assert second["card_id"] not in (None, first["card_id"])
    async with unit_of_work(harness.session_factory) as session:
        await delete_card(session, owner_id=study.owner_id, card_id=second["card_id"])
    _, recorded = await call_tool(harness, study, "record_quiz_answer", {"answer": "break"})
    assert recorded == {"error": "card not found"}
