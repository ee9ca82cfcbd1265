"""Which tools the offline tutor calls next, and with what arguments."""

from typing import Any

from db.study.modes import TutorMode
from tutor.offline.followups import follow_up
from tutor.offline.quiz import asked_card_question, pending_cloze
from tutor.offline.reading import TurnInput, json_object, topic_title
from tutor.offline.socratic import open_thread
from tutor.offline.wording import BLANK
from tutor.text import terms

ToolCallPlan = tuple[str, dict[str, Any]]


def next_tool_calls(turn: TurnInput) -> list[ToolCallPlan]:
    """The tools a careful tutor calls next, or [] when it has what it needs to answer."""
    calls: list[ToolCallPlan] = []

    def want(name: str, arguments: dict[str, Any] | None = None) -> None:
        if name in turn.available and name not in turn.outputs:
            calls.append((name, arguments or {}))

    # Step 1: the topic, and in QUIZ mode the pending answer and the next card.
    if "get_topic_overview" in turn.available and "get_topic_overview" not in turn.outputs:
        want("get_topic_overview")
        if turn.mode == TutorMode.QUIZ:
            if asked_card_question(turn.previous_answer):
                want("record_quiz_answer", {"answer": turn.question})
            want("next_quiz_card")
        return calls
    # Step 2: the material, searched with the learner's words (or the topic's title).
    if turn.mode == TutorMode.QUIZ and not _needs_material_for_quiz(turn):
        return calls
    want("search_material", {"query": _search_query(turn)})
    return calls


def _needs_material_for_quiz(turn: TurnInput) -> bool:
    card = json_object(turn.outputs.get("next_quiz_card"))
    return card.get("card_id") is None or pending_cloze(turn.previous_answer) is not None


def subject_of(turn: TurnInput) -> str:
    """What the question is about: the question itself, or for a follow-up ("why?") and
    a reply to a Socratic hint, the question they continue."""
    if turn.mode == TutorMode.SOCRATIC:
        thread = open_thread(turn)
        if thread:
            return thread[1]
    follow = follow_up(turn.question, turn.history)
    return follow.subject if follow else turn.question


def _search_query(turn: TurnInput) -> str:
    cloze = pending_cloze(turn.previous_answer) if turn.mode == TutorMode.QUIZ else None
    if cloze:
        # Find the passage the question came from again, to grade the answer against it.
        return cloze.replace(BLANK, " ")
    query = subject_of(turn)
    if len(terms(query)) < 2:
        # "quiz me", "summarise": the topic's title says what about.
        topic = topic_title(turn)
        query = f"{topic or ''} {query}".strip()
    return query
