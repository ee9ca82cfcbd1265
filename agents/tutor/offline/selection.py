"""Which sentences of the passages the offline tutor quotes, and whether they answer at all.

Relevance is lexical (stemmed words), weighted by how rare a word is among the passages
shown (a word every passage has says little), with a bonus for a word the material
marks as code (`break`). A question whose rare words the passages do not hold is not
covered by them, however many common words match: "the capital of France" against
"a line should begin with a capital letter".
"""

import math
import re
from dataclasses import dataclass

from tutor.text import Passage, Sentence, rank_sentences, sentences_of, stem, terms

# The share of the question's weight the best sentence must match to count as an answer.
COVERED_SHARE = 0.5
# Question words that say what kind of answer is wanted, not what about.
_FRAME_WORDS = frozenset(
    stem(w)
    for w in """happen happens happened called name named kind kinds way ways thing things
    something python code program programs write make get put called say tell know""".split()
)


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float  # the share of the question's weight it matches, 0..1 (+ small bonuses)


def subject_terms(question: str) -> list[str]:
    """The question's content words that name its subject."""
    return [term for term in terms(question) if term not in _FRAME_WORDS]


def scored_sentences(question: str, passages: list[Passage]) -> list[Scored]:
    """Every sentence with its relevance to the question, best first (ties: reading order)."""
    sentences = [sentence for passage in passages for sentence in sentences_of(passage)]
    wanted = subject_terms(question) or terms(question)
    if not sentences or not wanted:
        return []
    weight = _weights(wanted, sentences)
    total = sum(weight.values())
    scored = []
    for sentence in sentences:
        have = set(terms(sentence.text))
        share = sum(weight[t] for t in wanted if t in have) / total
        coded = _code_words(sentence.text)
        bonus = 0.1 * len(coded.intersection(wanted)) + 0.03 / sentence.passage.number
        scored.append(Scored(sentence, share + bonus + 0.01 / (1 + sentence.position)))
    scored.sort(key=lambda s: (-s.score, s.sentence.passage.number, s.sentence.position))
    return scored


def _weights(wanted: list[str], sentences: list[Sentence]) -> dict[str, float]:
    """Inverse document frequency over the shown sentences; an absent word weighs most."""
    count = len(sentences)
    frequency = dict.fromkeys(wanted, 0)
    for sentence in sentences:
        for term in set(terms(sentence.text)).intersection(frequency):
            frequency[term] += 1
    return {term: 1.0 + math.log((1 + count) / (0.5 + df)) for term, df in frequency.items()}


def _code_words(text: str) -> set[str]:
    spans = re.findall(r"`([^`]+)`", text)
    return {stem(word) for span in spans for word in re.findall(r"\w+", span)}


def answering(question: str, passages: list[Passage], *, limit: int) -> list[Sentence]:
    """The sentences that answer the question, best first; [] when none does."""
    scored = scored_sentences(question, passages)
    if not scored or scored[0].score < COVERED_SHARE:
        return []
    floor = max(COVERED_SHARE, scored[0].score * 0.75)
    return [s.sentence for s in scored if s.score >= floor][:limit]


def top_sentences(question: str, passages: list[Passage], *, limit: int) -> list[Sentence]:
    """The sentences that best answer the question, best first (never empty if passages)."""
    ranked = [s.sentence for s in scored_sentences(question, passages)]
    if not ranked:
        ranked = [sentence for _, sentence in rank_sentences(question, passages)]
    if not ranked:
        # Passages with no prose sentence (a code listing): quote their opening instead.
        ranked = [Sentence(p, 0, " ".join(p.text.split()[:40])) for p in passages]
    return ranked[:limit]


def clues(question: str, answer: Sentence, *, limit: int) -> list[str]:
    """Terms of the answer the learner did not use: what to look for, not what it says."""
    asked = set(terms(question))
    return [term for term in terms(answer.text) if term not in asked][:limit]
