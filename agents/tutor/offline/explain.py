"""EXPLAIN: the sentences of the material that answer the question, with the code they
introduce; follow-ups continue the previous subject; "not covered" said plainly."""

from typing import Any

from tutor.offline.followups import FollowUp, follow_up
from tutor.offline.reading import TurnInput
from tutor.offline.selection import answering, scored_sentences, teaching
from tutor.offline.wording import OFFLINE_NOTE, not_covered, quoted_lines
from tutor.text import Passage, Sentence, code_after

MAX_QUOTES = 3  # a learner reads the answer: three sentences, four with context
_CAUSAL = ("because", "so that", "since", "this means", "in order to", "to avoid",
           "otherwise", "prevents", "reason", "useful", "better", "which is why")  # fmt: skip


def explain(
    turn: TurnInput, topic: str | None, progress: dict[str, Any] | None, passages: list[Passage]
) -> str:
    """The EXPLAIN answer of the turn (see the module docstring)."""
    follow = follow_up(turn.question, turn.history)
    question = follow.subject if follow else turn.question
    intro, chosen = _choose(follow, question, passages, turn)
    if not chosen:
        return not_covered(turn.question, passages, topic)
    lines = [intro, ""]
    lines.extend(quoted_lines(_reading_order(chosen), with_code=True))
    cited = sorted({s.passage.number: s.passage for s in chosen}.values(), key=lambda p: p.number)
    lines.append("Sources: " + "; ".join(f"[{p.number}] {p.source}" for p in cited) + ".")
    if progress and progress.get("cards_count"):
        lines.append(
            f"Your mastery of {topic or 'this topic'} is {round(100 * progress['mastery'])}% "
            f"with {progress['due_cards_count']} card(s) due: a QUIZ session will firm it up."
        )
    lines.append(f"(Answered by {OFFLINE_NOTE}.)")
    return "\n".join(lines)


def _choose(
    follow: FollowUp | None, question: str, passages: list[Passage], turn: TurnInput
) -> tuple[str, list[Sentence]]:
    if follow is None:
        chosen = teaching(question, passages, limit=MAX_QUOTES, meaning=turn.meaning)
        return "Here is what your material says:", chosen
    answer = answering(question, passages, limit=MAX_QUOTES, meaning=turn.meaning)
    if not answer:
        return "Here is what your material says:", answer
    scored = scored_sentences(question, passages, turn.meaning)
    ranked = [s.sentence for s in scored if s.score > 0]
    previous = turn.previous_answer
    if follow.kind == "example":
        with_code = [s for s in ranked[:12] if code_after(s)]
        if with_code:
            return "An example from your material, on the same subject:", with_code[:1]
        return "Your material shows no code next to this; what it says:", answer[:1]
    if follow.kind == "why":
        causes = [s for s in ranked[:12] if any(c in s.text.lower() for c in _CAUSAL)]
        if causes:
            return "Why, as your material puts it:", causes[:2]
        return "Your material does not say why; what it says:", answer[:1]
    fresh = [s for s in ranked[:12] if s.text not in previous]
    if fresh:
        return "More from your material on the same subject:", fresh[:2]
    return "That is all your material says about it:", answer[:1]


def _reading_order(chosen: list[Sentence]) -> list[Sentence]:
    """Grouped by passage (the best one first), each group in the passage's order."""
    order = list(dict.fromkeys(s.passage.number for s in chosen))
    return sorted(chosen, key=lambda s: (order.index(s.passage.number), s.position))
