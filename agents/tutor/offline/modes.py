"""The offline tutor's answer in each mode, written from this turn's tool outputs."""

from typing import Any

from db.study.modes import TutorMode
from tutor.offline.quiz import quiz_answer
from tutor.offline.reading import TurnInput, json_object, topic_title
from tutor.offline.selection import clues, key_sentences, top_sentences
from tutor.offline.wording import OFFLINE_NOTE, source_label
from tutor.text import Passage, parse_passages, terms


def answer(turn: TurnInput) -> str:
    """The final answer of the turn, in its mode."""
    overview = json_object(turn.outputs.get("get_topic_overview"))
    topic = topic_title(turn)
    passages = parse_passages(turn.outputs.get("search_material", ""))
    if turn.mode == TutorMode.QUIZ:
        return quiz_answer(turn, topic, passages)
    if not passages:
        return _nothing_found(turn.question, topic)
    if turn.mode == TutorMode.SOCRATIC:
        return _socratic(turn.question, passages)
    if turn.mode == TutorMode.SUMMARIZE:
        return _summary(turn.question, topic, passages)
    return _explain(turn.question, topic, overview.get("progress"), passages)


def _nothing_found(question: str, topic: str | None) -> str:
    where = f" on {topic}" if topic else ""
    return (
        f"I am {OFFLINE_NOTE}, and I found nothing in your material{where} about "
        f"“{question}”. Upload notes or a chapter that covers it, or rephrase the question "
        "with the words your material uses."
    )


def _explain(
    question: str, topic: str | None, progress: dict[str, Any] | None, passages: list[Passage]
) -> str:
    best = top_sentences(question, passages, limit=3)
    lines = [f"Here is what your material{f' on {topic}' if topic else ''} says:", ""]
    for sentence in best:
        lines.append(f"> “{sentence.text}” [{sentence.passage.number}]")
        lines.append("")
    cited = sorted({s.passage.number: s.passage for s in best}.values(), key=lambda p: p.number)
    lines.append("Sources: " + "; ".join(f"[{p.number}] {p.source}" for p in cited) + ".")
    if progress and progress.get("cards_count"):
        lines.append(
            f"Your mastery of {topic or 'this topic'} is {round(100 * progress['mastery'])}% "
            f"with {progress['due_cards_count']} card(s) due: a QUIZ session will firm it up."
        )
    lines.append(f"(Answered by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _summary(question: str, topic: str | None, passages: list[Passage]) -> str:
    picked = key_sentences(question, passages, per_passage=2)
    lines = [f"Summary of your material{f' on {topic}' if topic else ''}:", ""]
    lines.extend(f"- {sentence.text} [{sentence.passage.number}]" for sentence in picked[:6])
    lines.append("")
    lines.append(f"(Key sentences quoted by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _socratic(question: str, passages: list[Passage]) -> str:
    # Point at the passage that holds the answer, never quote the answer itself.
    best = top_sentences(question, passages, limit=1)[0]
    to_notice = clues(question, best, limit=2)
    lines = [
        "Let's work it out together rather than me telling you.",
        "",
        f"Hint 1: look at {source_label(best.passage)}; the answer is in it.",
    ]
    if to_notice:
        lines.append(
            "Hint 2: notice what it says about " + " and ".join(f"“{c}”" for c in to_notice) + "."
        )
    subject = " ".join(sorted(set(terms(question)))[:3]) or "this"
    lines.extend(
        [
            "",
            f"Guiding question: in your own words, what does [{best.passage.number}] "
            f"say about {subject}, and why would that be?",
            "Reply with your answer and I will tell you whether you are on track.",
        ]
    )
    return "\n".join(lines)
