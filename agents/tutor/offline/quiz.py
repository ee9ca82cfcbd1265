"""QUIZ mode: grade the answer to the question asked last, then ask the next one.

A flashcard when the learner has one due, otherwise a fill-in-the-blank question cut
from a passage of their material. The previous answer's text says which was asked.
"""

import re

from tutor.offline.reading import TurnInput, json_object
from tutor.offline.wording import BLANK, CARD_QUESTION, CLOZE_QUESTION, OFFLINE_NOTE, source_label
from tutor.text import Passage, key_term, rank_sentences, sentences_of, stem, terms


def asked_card_question(previous_answer: str) -> bool:
    """Whether the previous answer asked a flashcard's question."""
    return CARD_QUESTION in previous_answer


def pending_cloze(previous_answer: str) -> str | None:
    """The fill-in-the-blank sentence the previous answer asked, if it asked one."""
    if CLOZE_QUESTION not in previous_answer:
        return None
    line = previous_answer.split(CLOZE_QUESTION, 1)[1].strip().splitlines()[0]
    return line.strip() if BLANK in line else None


def quiz_answer(turn: TurnInput, topic: str | None, passages: list[Passage]) -> str:
    """Feedback on the pending answer, then the next question (or why there is none)."""
    lines = _quiz_feedback(turn, passages)
    card = json_object(turn.outputs.get("next_quiz_card"))
    if card.get("card_id") is not None:
        lines.append(f"{CARD_QUESTION} {card['front']}")
        lines.append("Reply with your answer; I will grade it and schedule the card.")
        return "\n".join(lines)
    question = _cloze(turn.question, passages)
    if question is None:
        lines.append(
            f"I am {OFFLINE_NOTE}. I found no flashcards and no material to quiz you on"
            f"{f' in {topic}' if topic else ''}: upload material or create cards first."
        )
        return "\n".join(lines)
    text, passage = question
    lines.append(f"{CLOZE_QUESTION} {text}")
    lines.append(f"(From {source_label(passage)}. Reply with the missing word.)")
    return "\n".join(lines)


def _quiz_feedback(turn: TurnInput, passages: list[Passage]) -> list[str]:
    recorded = json_object(turn.outputs.get("record_quiz_answer"))
    if recorded.get("rating"):
        return [
            f"Your answer is rated {recorded['rating']}. The expected answer: "
            f"{recorded['correct_answer']}",
            f"Your mastery of this topic is now {round(100 * recorded['mastery'])}%.",
            "",
        ]
    cloze = pending_cloze(turn.previous_answer)
    if cloze is None:
        return []
    missing = _missing_word(cloze, passages)
    if missing is None:
        return []
    given = {stem(word) for word in re.findall(r"\w+", turn.question)}
    verdict = "Correct!" if stem(missing) in given else "Not quite."
    return [f"{verdict} The missing word is “{missing}”.", ""]


def _cloze(question: str, passages: list[Passage]) -> tuple[str, Passage] | None:
    asked = set(terms(question))
    for _, sentence in rank_sentences(question, passages):
        words = len(sentence.text.split())
        if not 6 <= words <= 45:
            continue
        term = key_term(sentence.text, asked)
        if term:
            pattern = re.compile(rf"(?<![\w`]){re.escape(term)}(?![\w`])")
            blanked = pattern.sub(BLANK, sentence.text.replace("`", ""), count=1)
            return blanked, sentence.passage
    return None


def _missing_word(cloze: str, passages: list[Passage]) -> str | None:
    before, _, after = cloze.partition(BLANK)
    pattern = re.compile(re.escape(before) + r"(\w+)" + re.escape(after))
    for passage in passages:
        for sentence in sentences_of(passage):
            match = pattern.fullmatch(sentence.text.replace("`", ""))
            if match:
                return match.group(1)
    return None
