"""The tutor's quiz tools: ask the next card, grade the reply, count fill-in-the-blanks.

Whose data a tool reads always comes from the run context, never from the model. The
card a reply is graded against is the one the session asked last, kept on the asking
answer (db/learning/quiz_state.py); once dealt with (graded, skipped, stopped) it is
never graded again. Plain words steer the quiz (grading.quiz_intent): "skip"/"next" is
not graded, "I don't know" is graded AGAIN and shows the answer, "stop" ends the quiz.
"""

from typing import Any

from agents import RunContextWrapper, function_tool

from db.engine import unit_of_work
from db.errors import DomainError, NotFound
from db.learning import cards as cards_db
from db.learning import progress, quiz_state
from db.learning.scheduling import RATINGS, ReviewRating
from tutor import grading
from tutor.context import TutorContext
from tutor.grading import QuizIntent, quiz_intent
from tutor.offline.quiz import missing_word, pending_cloze
from tutor.tool_failures import report_tool_failure
from tutor.tool_output import tool_json

ANSWER_MAX = 2000
CLOZE_FRONT = "Fill in the blank: "
_NOT_GRADED = {QuizIntent.SKIP: "skipped", QuizIntent.STOP: "stopped"}

Ctx = RunContextWrapper[TutorContext]


@function_tool(failure_error_function=report_tool_failure)
async def next_quiz_card(ctx: Ctx) -> str:
    """The next flashcard to quiz the learner on (due first, never the card just asked
    unless it is the only one): its id and question, no answer."""
    tutor = ctx.context
    if tutor.topic_id is None:
        return tool_json({"card_id": None, "note": "this study session has no topic, so no cards"})
    async with unit_of_work(tutor.session_factory) as session:
        just_asked = await quiz_state.get_last_asked_quiz_card_id(
            session, owner_id=tutor.user_id, session_id=tutor.session_id,
            before_message_id=tutor.message_id,
        )  # fmt: skip
        try:
            cards = await cards_db.list_quiz_cards(
                session, owner_id=tutor.user_id, topic_id=tutor.topic_id, now=tutor.clock(),
                limit=1, exclude_card_id=just_asked,
            )  # fmt: skip
        except DomainError:  # the topic was deleted since the session started
            return tool_json({"card_id": None, "note": "the session's topic no longer exists"})
        if cards:
            # Kept on this answer: the next turn's record_quiz_answer grades this card.
            await quiz_state.set_asked_quiz_card(
                session, owner_id=tutor.user_id, message_id=tutor.message_id, card_id=cards[0].id
            )
    if not cards:
        return tool_json({"card_id": None, "note": "the topic has no flashcards yet"})
    card = cards[0]
    # The back stays out: the model (and the learner reading tool events) must not see it.
    return tool_json({"card_id": card.id, "front": card.front, "topic_id": card.topic_id})


@function_tool(failure_error_function=report_tool_failure)
async def record_quiz_answer(
    ctx: Ctx, answer: str, card_id: int | None = None, rating: str | None = None
) -> str:
    """Grade the learner's reply to the quiz card asked last and record the review.

    "skip"/"next" is not graded (skipped), "stop" is not graded (stopped: ask nothing
    more), "I don't know" is graded AGAIN; the output says which, with the answer.

    Args:
        answer: The learner's reply, verbatim.
        card_id: The card asked; only the card most recently asked in this session
            (next_quiz_card in an earlier answer) can be recorded, and it is the default.
        rating: Optional: AGAIN, HARD, GOOD or EASY if you judge the answer worse than the
            automatic grade; it can lower the grade, never raise it. Other values are
            ignored.
    """
    tutor = ctx.context
    # One learner answer, one review: a model calling this twice in a turn (or twice in
    # one response, run concurrently) must not log several reviews. Checked and claimed
    # before the first await; given back when nothing was recorded.
    if tutor.quiz_answer_recorded:
        return tool_json({"error": "this answer has already been recorded in this turn"})
    tutor.quiz_answer_recorded = True
    outcome = await _record_answer(tutor, answer[:ANSWER_MAX], card_id, rating)
    if "error" in outcome:
        tutor.quiz_answer_recorded = False
    return tool_json(outcome)


async def _record_answer(
    tutor: TutorContext, answer: str, card_id: int | None, rating: str | None
) -> dict[str, Any]:
    async with unit_of_work(tutor.session_factory) as session:
        asked = await quiz_state.get_last_asked_quiz_card_id(
            session, owner_id=tutor.user_id, session_id=tutor.session_id,
            before_message_id=tutor.message_id,
        )  # fmt: skip
        if asked is None:
            return {"error": "no quiz question was asked in this session yet"}
        if card_id is not None and card_id != asked:
            # The model may not pick which card gets a review: only the one the learner
            # was asked. (Another user's card id ends here too, and looks like any other.)
            return {"error": "only the card asked last in this session can be recorded"}
        try:
            card = await cards_db.get_card(session, owner_id=tutor.user_id, card_id=asked)
        except NotFound:
            return {"error": "card not found"}
        await quiz_state.mark_quiz_question_answered(
            session, owner_id=tutor.user_id, message_id=tutor.message_id
        )
        intent = quiz_intent(answer, card.back)
        if intent in (QuizIntent.SKIP, QuizIntent.STOP):
            return {"card_id": card.id, _NOT_GRADED[intent]: True, "graded": False}
        chosen = _grade(card.back, answer, rating, intent)
        return await _review(session, tutor, card.id, chosen, intent)


async def _review(session, tutor: TutorContext, card_id: int, rating: str, intent) -> dict:
    """Record the review and report it with the topic's mastery after it."""
    try:
        reviewed = await cards_db.review_card(
            session, owner_id=tutor.user_id, card_id=card_id, rating=rating, now=tutor.clock()
        )
    except DomainError as error:
        return {"error": error.message}
    facts = await progress.get_topic_progress(
        session, owner_id=tutor.user_id, topic_id=reviewed.topic_id, now=tutor.clock()
    )
    return {
        "card_id": reviewed.id,
        "rating": rating,
        "dont_know": intent == QuizIntent.DONT_KNOW,
        "correct_answer": reviewed.back,
        "mastery": facts.mastery,
        "next_review_at": reviewed.due,
    }


def _grade(expected: str, answer: str, model_rating: str | None, intent=None) -> str:
    """grade_answer's rating (AGAIN for "I don't know"); a valid rating from the model may
    only lower it."""
    if intent == QuizIntent.DONT_KNOW:
        return ReviewRating.AGAIN
    graded = grading.grade_answer(expected, answer)
    suggested = model_rating.strip().upper() if isinstance(model_rating, str) else None
    if suggested in RATINGS and RATINGS.index(suggested) < RATINGS.index(graded):
        return suggested
    return graded


@function_tool(failure_error_function=report_tool_failure)
async def record_cloze_answer(ctx: Ctx, answer: str) -> str:
    """Grade the learner's reply to the fill-in-the-blank question of your previous answer
    and count it: the question becomes a flashcard (citing its passage) with this first
    review, so it is scheduled and shows in progress. Search the material for the
    question's sentence first, so its passage is among this turn's citations.

    Args:
        answer: The learner's reply, verbatim ("skip" and "stop" record nothing).
    """
    tutor = ctx.context
    if tutor.quiz_answer_recorded:
        return tool_json({"error": "this answer has already been recorded in this turn"})
    tutor.quiz_answer_recorded = True
    outcome = await _record_cloze(tutor, answer[:ANSWER_MAX])
    if "error" in outcome:
        tutor.quiz_answer_recorded = False
    return tool_json(outcome)


async def _record_cloze(tutor: TutorContext, answer: str) -> dict[str, Any]:
    if tutor.topic_id is None:
        return {"error": "this study session has no topic to put cards in"}
    async with unit_of_work(tutor.session_factory) as session:
        previous = await quiz_state.get_previous_answer(
            session, owner_id=tutor.user_id, session_id=tutor.session_id,
            before_message_id=tutor.message_id,
        )  # fmt: skip
        cloze = pending_cloze(previous.content) if previous else None
        if cloze is None:
            return {"error": "the previous answer asked no fill-in-the-blank question"}
        found = _cloze_source(cloze, [*tutor.citations, *(previous.citations or [])])
        if found is None:
            return {"error": "the question's passage is not among the cited passages"}
        word, source = found
        intent = quiz_intent(answer, word)
        if intent in (QuizIntent.SKIP, QuizIntent.STOP):
            return {_NOT_GRADED[intent]: True, "graded": False, "correct_answer": word}
        try:
            (card,) = await cards_db.create_cards(
                session, owner_id=tutor.user_id, topic_id=tutor.topic_id, now=tutor.clock(),
                drafts=[cards_db.CardDraft(CLOZE_FRONT + cloze, word, source)],
            )  # fmt: skip
        except DomainError as error:
            return {"error": error.message}
        outcome = await _review(session, tutor, card.id, _grade(word, answer, None, intent), intent)
    return outcome


def _cloze_source(cloze: str, citations: list[dict]) -> tuple[str, dict] | None:
    """The blanked word and the citation whose quote holds the question's sentence."""
    for citation in citations:
        quote = str(citation.get("quote") or "")
        word = missing_word(cloze, [quote])
        if word is not None:
            return word, {k: v for k, v in citation.items() if isinstance(k, str)}
    return None
