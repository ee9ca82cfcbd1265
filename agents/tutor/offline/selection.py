"""Which sentences of the passages the offline tutor quotes."""

from tutor.text import Passage, Sentence, rank_sentences, terms


def top_sentences(question: str, passages: list[Passage], *, limit: int) -> list[Sentence]:
    """The sentences that best answer the question, best first."""
    ranked = [sentence for _, sentence in rank_sentences(question, passages)]
    if not ranked:
        # Passages with no prose sentence (a code listing): quote their opening instead.
        ranked = [Sentence(p, 0, " ".join(p.text.split()[:40])) for p in passages]
    return ranked[:limit]


def key_sentences(question: str, passages: list[Passage], *, per_passage: int) -> list[Sentence]:
    """The best sentences of each passage, in reading order (passage, then position)."""
    picked = []
    for passage in passages:
        ranked = rank_sentences(question, [passage])
        picked.extend(sentence for _, sentence in ranked[:per_passage])
    picked.sort(key=lambda s: (s.passage.number, s.position))
    return picked


def clues(question: str, answer: Sentence, *, limit: int) -> list[str]:
    """Terms of the answer the learner did not use: what to look for, not what it says."""
    asked = set(terms(question))
    return [term for term in terms(answer.text) if term not in asked][:limit]
