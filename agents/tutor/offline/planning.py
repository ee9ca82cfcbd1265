"""Which tools the offline tutor calls next, and with what arguments."""

from typing import Any

from db.study.modes import TutorMode
from tutor.offline.followups import follow_up
from tutor.offline.quiz import quiz_tool_calls
from tutor.offline.reading import TurnInput, topic_title
from tutor.offline.socratic import open_thread
from tutor.text import terms

ToolCallPlan = tuple[str, dict[str, Any]]


def next_tool_calls(turn: TurnInput) -> list[ToolCallPlan]:
    """The tools a careful tutor calls next, or [] when it has what it needs to answer."""
    if turn.mode == TutorMode.QUIZ:
        return quiz_tool_calls(turn)  # the quiz plans its own steps (offline/quiz.py)
    calls: list[ToolCallPlan] = []

    def want(name: str, arguments: dict[str, Any] | None = None) -> None:
        if name in turn.available and name not in turn.outputs:
            calls.append((name, arguments or {}))

    # Step 1: the topic.
    if "get_topic_overview" in turn.available and "get_topic_overview" not in turn.outputs:
        want("get_topic_overview")
        return calls
    # Step 2: the material, searched with the learner's words (or the topic's title).
    want("search_material", {"query": _search_query(turn)})
    return calls


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
    query = subject_of(turn)
    if len(terms(query)) < 2:
        # "quiz me", "summarise": the topic's title says what about.
        topic = topic_title(turn)
        query = f"{topic or ''} {query}".strip()
    return query
