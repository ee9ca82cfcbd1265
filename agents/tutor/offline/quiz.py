"""QUIZ mode: grade the reply to the question asked last, then ask the next one.

A flashcard when the learner has one (never the card just asked unless it is the only
one), otherwise a fill-in-the-blank question cut from a passage of their material
(never the sentence just asked). The previous answer's text says which was asked. The
learner steers in plain words (grading.quiz_intent): "skip"/"next" moves on without a
grade, "I don't know" is graded AGAIN and shows the answer, "stop" ends the quiz. A
fill-in-the-blank that is answered becomes a card (record_cloze_answer), so it is
scheduled and counted like any other review.
"""

import re
from typing import Any

from tutor.grading import QuizIntent, quiz_intent
from tutor.offline.reading import TurnInput, json_object, topic_title
from tutor.offline.wording import BLANK, CARD_QUESTION, CLOZE_QUESTION, OFFLINE_NOTE, source_label
from tutor.text import Passage, key_term, rank_sentences, stem, terms

ToolCallPlan = tuple[str, dict[str, Any]]


def asked_card_question(previous_answer: str) -> bool:
    """Whether the previous answer asked a flashcard's question."""
    return CARD_QUESTION in previous_answer


def pending_cloze(previous_answer: str) -> str | None:
    """The fill-in-the-blank sentence the previous answer asked, if it asked one."""
    if CLOZE_QUESTION not in previous_answer:
        return None
    line = previous_answer.split(CLOZE_QUESTION, 1)[1].strip().splitlines()[0]
    return line.strip() if BLANK in line else None


def quiz_tool_calls(turn: TurnInput) -> list[ToolCallPlan]:
    """The tools of a QUIZ turn, step by step; [] once the answer can be written."""
    calls: list[ToolCallPlan] = []

    def want(name: str, arguments: dict[str, Any] | None = None) -> None:
        if name in turn.available and name not in turn.outputs:
            calls.append((name, arguments or {}))

    stopping = quiz_intent(turn.question) == QuizIntent.STOP
    if "get_topic_overview" not in turn.outputs:
        want("get_topic_overview")
        if asked_card_question(turn.previous_answer):
            want("record_quiz_answer", {"answer": turn.question})
        if not stopping:
            want("next_quiz_card")
        return calls
    cloze = pending_cloze(turn.previous_answer)
    card = json_object(turn.outputs.get("next_quiz_card"))
    if cloze is not None or (card.get("card_id") is None and not stopping):
        want("search_material", {"query": _search_query(turn, cloze)})
        if calls:
            return calls
    if cloze is not None:
        want("record_cloze_answer", {"answer": turn.question})
    return calls


def _search_query(turn: TurnInput, cloze: str | None) -> str:
    if cloze:
        # Find the passage the question came from again, to grade the answer against it.
        return cloze.replace(BLANK, " ")
    topic = topic_title(turn) or ""
    if quiz_intent(turn.question) == QuizIntent.ANSWER and len(terms(turn.question)) >= 2:
        return f"{topic} {turn.question}".strip()
    return topic or turn.question


def quiz_answer(turn: TurnInput, topic: str | None, passages: list[Passage]) -> str:
    """Feedback on the pending answer, then the next question (or why there is none)."""
    lines = _quiz_feedback(turn, passages)
    if quiz_intent(turn.question) == QuizIntent.STOP:
        lines.append("Quiz stopped. Say “quiz me” whenever you want to carry on.")
        return "\n".join(lines)
    card = json_object(turn.outputs.get("next_quiz_card"))
    if card.get("card_id") is not None:
        lines.append(f"{CARD_QUESTION} {card['front']}")
        lines.append(
            "Reply with your answer (or “skip”, “I don't know”, “stop”); I will grade it "
            "and schedule the card."
        )
        return "\n".join(lines)
    question = _cloze(topic or turn.question, passages, pending_cloze(turn.previous_answer))
    if question is None:
        lines.append(
            f"I am {OFFLINE_NOTE}. I found no flashcards and no material to quiz you on"
            f"{f' in {topic}' if topic else ''}: upload material or create cards first."
        )
        return "\n".join(lines)
    text, passage = question
    lines.append(f"{CLOZE_QUESTION} {text}")
    lines.append(f"(From {source_label(passage)}. Reply with the missing word, or “skip”.)")
    return "\n".join(lines)


def _quiz_feedback(turn: TurnInput, passages: list[Passage]) -> list[str]:
    recorded = json_object(
        turn.outputs.get("record_quiz_answer") or turn.outputs.get("record_cloze_answer")
    )
    if recorded.get("skipped"):
        return ["Skipped: not graded, it will come back another time.", ""]
    if recorded.get("stopped"):
        return ["Nothing graded."]
    if recorded.get("rating"):
        if recorded.get("dont_know"):
            first = (
                "No problem: rated AGAIN, so it comes back soon. The answer: "
                f"{recorded['correct_answer']}"
            )
        else:
            first = (
                f"Your answer is rated {recorded['rating']}. The expected answer: "
                f"{recorded['correct_answer']}"
            )
        return [
            first,
            f"Your mastery of this topic is now {round(100 * recorded['mastery'])}%.",
            "",
        ]
    return _cloze_verdict(turn, passages)


def _cloze_verdict(turn: TurnInput, passages: list[Passage]) -> list[str]:
    """A fill-in-the-blank graded from the passages alone (no record_cloze_answer)."""
    cloze = pending_cloze(turn.previous_answer)
    if cloze is None or quiz_intent(turn.question) != QuizIntent.ANSWER:
        return []
    missing = missing_word(cloze, [passage.text for passage in passages])
    if missing is None:
        return []
    given = {stem(word) for word in re.findall(r"\w+", turn.question)}
    verdict = "Correct!" if stem(missing) in given else "Not quite."
    return [f"{verdict} The missing word is “{missing}”.", ""]


def _cloze(query: str, passages: list[Passage], previous: str | None) -> tuple[str, Passage] | None:
    """A fill-in-the-blank question from the passages, never the sentence asked last."""
    asked = set(terms(query))
    for _, sentence in rank_sentences(query, passages):
        words = len(sentence.text.split())
        if not 6 <= words <= 45:
            continue
        if previous is not None and missing_word(previous, [sentence.text]) is not None:
            continue
        term = key_term(sentence.text, asked)
        if term:
            pattern = re.compile(rf"(?<![\w`]){re.escape(term)}(?![\w`])")
            blanked = pattern.sub(BLANK, sentence.text.replace("`", ""), count=1)
            return blanked, sentence.passage
    return None


def missing_word(cloze: str, texts: list[str]) -> str | None:
    """The word the cloze blanked out, found in the first text that holds its sentence."""
    before, _, after = (" ".join(part.split()) for part in cloze.partition(BLANK))
    pattern = re.compile(re.escape(before) + r"\s?(\w+)\s?" + re.escape(after))
    for text in texts:
        match = pattern.search(" ".join(text.replace("`", "").split()))
        if match:
            return match.group(1)
    return None
