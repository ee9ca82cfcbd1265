"""Which flashcard a study session's tutor asked last, kept on the answer that asked it.

The tutor asks a card in one answer and grades the learner's reply in the next one;
the card in between is plain data on the asking answer (messages.quiz_card_id).
Every function filters by owner.
"""

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from db.chat.states import MessageRole
from db.models import Message

# How many of the latest answers a pending question is looked for in: a card asked
# longer ago than that no longer counts as the question being answered.
RECENT_ANSWERS = 20
# Stored on an answer that dealt with the pending question (graded, skipped, stopped)
# and asked no new card: nothing is pending after it, so it is never graded twice.
ANSWERED = 0


async def set_asked_quiz_card(
    session: AsyncSession, *, owner_id: int, message_id: int, card_id: int
) -> None:
    """Record that the owner's answer `message_id` asked the learner card `card_id`."""
    await session.exec(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.owner_id) == owner_id)
        .values(quiz_card_id=card_id)
    )


async def get_last_asked_quiz_card_id(
    session: AsyncSession, *, owner_id: int, session_id: int, before_message_id: int
) -> int | None:
    """The card asked by the latest recent answer of the session before `before_message_id`."""
    query = _earlier_answers(
        select(Message.quiz_card_id), owner_id, session_id, before_message_id
    ).limit(RECENT_ANSWERS)
    card = next((card for card in await session.exec(query) if card is not None), None)
    return None if card == ANSWERED else card


async def mark_quiz_question_answered(
    session: AsyncSession, *, owner_id: int, message_id: int
) -> None:
    """The pending question was dealt with in the owner's answer `message_id`.

    Unless that answer asked a new card meanwhile (set_asked_quiz_card runs in the same
    turn, in either order), nothing is pending after it.
    """
    await session.exec(
        update(Message)
        .where(
            col(Message.id) == message_id,
            col(Message.owner_id) == owner_id,
            col(Message.quiz_card_id).is_(None),
        )
        .values(quiz_card_id=ANSWERED)
    )


async def get_previous_answer(
    session: AsyncSession, *, owner_id: int, session_id: int, before_message_id: int
) -> Message | None:
    """The owner's latest answer in the session before `before_message_id` (the question
    the learner is replying to is in it)."""
    query = _earlier_answers(select(Message), owner_id, session_id, before_message_id).limit(1)
    return (await session.exec(query)).first()


def _earlier_answers(query, owner_id: int, session_id: int, before_message_id: int):
    """`query` narrowed to the owner's tutor answers in the session before
    `before_message_id`, latest first."""
    return query.where(
        Message.owner_id == owner_id,
        Message.session_id == session_id,
        Message.role == MessageRole.ASSISTANT,
        col(Message.id) < before_message_id,
    ).order_by(col(Message.id).desc())
