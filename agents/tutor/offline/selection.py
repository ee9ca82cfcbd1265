"""Which sentences of the passages the offline tutor quotes, and whether they answer at all.

Relevance is meaning and words. Meaning: the cosine similarity of sentence embeddings
(offline.meaning), which matches "quit the loop early" with "breaks out of the innermost
enclosing loop". Words: the stemmed words shared with the question, weighted by how
rare each is among the passages shown (a word every passage has says little), with a
bonus for a word the material marks as code (`break`). A question is covered when its
best sentence is close in meaning, or shares most of its rare words and is not far in
meaning: "the capital of France" shares "capital" with "a line should begin with a
capital letter", and nothing else.
"""

import math
import re
from dataclasses import dataclass

from tutor.text import Passage, Sentence, rank_sentences, sentences_of, stem, terms

# Measured with bench/tutor_answers.py on the questions' tuning half: answering sentences
# of paraphrased questions are mostly above 0.4 in cosine, the best sentence for a
# question the material does not cover below 0.37.
COVERED_MEANING = 0.38
# Without meaning (no embeddings), or beside a weaker one: the share of the question's
# weighted words the best sentence must hold.
COVERED_SHARE = 0.5
NEAR_MEANING = 0.25
WORDS_WEIGHT = 0.35
CONTEXT_WEIGHT = 0.5
# Search ranks passages by words and meaning over the whole material: its first is most
# often the one that answers.
RANK_PRIOR = 0.2
# A window's mean closeness counts a little less than one sentence's own.
WINDOW_WEIGHT = 0.9
# Beside the best sentence, others are quoted when at least this relevant relative to it.
# (0.9 and 0.8 chosen again after search began to embed sentences with their section
# headings, on the tuning half and the tutor's own questions: 40 answers right of 69
# against 37 with 0.95 and 0.85.)
NEARLY_AS_GOOD = 0.8
# More sentences of the best passage are quoted beside its best when this relevant.
SAME_PASSAGE_SHARE = 0.8
# ... or beside the best though it holds few of the words the best matched, when it is
# this close to the best in meaning: a learner's words rarely are the book's, and the
# sentence that states the fact often shares none of them ("not all data can be sorted"
# for "order numbers and strings together"). 0.06: the smallest that lets the tuning
# half's such sentence through (bench/tutor_answers.py: tuning 0.607 -> 0.643 with the
# "For instance" rule below; extra 0.561 -> 0.585; held-out 0.464 -> 0.571).
MEANING_MARGIN = 0.06
# ... but only when the best holds under this share of the question's weighted words:
# when it holds most ("exception chaining"), a sentence without them is about something
# else however close in meaning ("Exceptions should typically be derived from ...").
FEW_WORDS = 0.5
_POINTING_BACK = frozenset(
    "it this that these they those such thus so however but also otherwise then here".split()
)
# A sentence opening with these illustrates the one before it, which states the fact
# ("Not all data can be sorted. For instance, [None, 'hello', 10] doesn't sort ...").
_EXAMPLE_OPENERS = ("for instance", "for example", "e.g.")
# Question words that say what kind of answer is wanted, not what about.
_FRAME_WORDS = frozenset(
    stem(w)
    for w in """happen happens happened called name named kind kinds way ways thing things
    something python code program programs write make get put called say tell know""".split()
)


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    score: float  # meaning + WORDS_WEIGHT * share, plus small bonuses
    meaning: float | None  # cosine similarity to the question; None without embeddings
    share: float  # the share of the question's weighted words it holds, 0..1

    @property
    def answers(self) -> bool:
        """Whether it is close enough to the question to be quoted as an answer."""
        if self.meaning is None:
            return self.share >= COVERED_SHARE
        return self.meaning >= COVERED_MEANING or (
            self.share >= COVERED_SHARE and self.meaning >= NEAR_MEANING
        )


def subject_terms(question: str) -> list[str]:
    """The question's content words that name its subject."""
    return [term for term in terms(question) if term not in _FRAME_WORDS]


def scored_sentences(
    question: str, passages: list[Passage], meaning: dict[str, float] | None = None
) -> list[Scored]:
    """Every sentence with its relevance to the question, best first (ties: reading order).

    `meaning` maps sentence text to its cosine similarity with the question."""
    sentences = [sentence for passage in passages for sentence in sentences_of(passage)]
    wanted = subject_terms(question) or terms(question)
    if not sentences or not wanted:
        return []
    weight = _weights(wanted, sentences)
    by_passage: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        by_passage.setdefault(sentence.passage.number, []).append(sentence)
    total = sum(weight.values())
    scored = []
    for sentence in sentences:
        have = set(terms(sentence.text))
        share = sum(weight[t] for t in wanted if t in have) / total
        coded = _code_words(sentence.text)
        bonus = 0.1 * len(coded.intersection(wanted)) + RANK_PRIOR / sentence.passage.number
        close = _windowed((meaning or {}), sentence, by_passage)
        context = (meaning or {}).get(sentence.passage.text, 0.0)
        base = share if close is None else close + WORDS_WEIGHT * share + CONTEXT_WEIGHT * context
        bonus += 0.01 / (1 + sentence.position)
        scored.append(Scored(sentence, base + bonus, close, share))
    scored.sort(key=lambda s: (-s.score, s.sentence.passage.number, s.sentence.position))
    return scored


def _windowed(
    meaning: dict[str, float], sentence: Sentence, by_passage: dict[int, list[Sentence]]
) -> float | None:
    """The sentence's closeness in meaning, or that of its window (it with its neighbours,
    embedded together) when higher: an answer is often split over two sentences ("It is
    raised when ...")."""
    close = meaning.get(sentence.text)
    if close is None:
        return None
    window = meaning.get(window_text(by_passage[sentence.passage.number], sentence.position))
    return close if window is None else max(close, WINDOW_WEIGHT * window)


def window_text(siblings: list[Sentence], position: int) -> str:
    """The sentence at `position` with its neighbours, as one text to embed."""
    return " ".join(s.text for s in siblings[max(0, position - 1) : position + 2])


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


def answering(
    question: str,
    passages: list[Passage],
    *,
    limit: int,
    meaning: dict[str, float] | None = None,
) -> list[Sentence]:
    """The sentences that answer the question, best first; [] when none does. Beside the
    best, only those nearly as relevant and themselves answering."""
    scored = scored_sentences(question, passages, meaning)
    if not scored or not scored[0].answers:
        return []
    best = scored[0]
    floor = best.score * NEARLY_AS_GOOD
    # An extra sentence that holds few of the words the best one matched, and is not
    # nearly as close in meaning, is about something else ("Exceptions should be
    # derived..." beside exception chaining).
    return [
        s.sentence
        for s in scored
        if s is best or (s.score >= floor and s.answers and on_subject(s, best))
    ][:limit]


def on_subject(other: Scored, best: Scored) -> bool:
    """Whether a sentence beside the best is about the same thing: it holds at least half
    of the words the best matched; or, when the best itself holds few of the question's
    words (the learner did not use the book's), it is nearly as close in meaning."""
    if other.share >= best.share / 2:
        return True
    if other.meaning is None or best.meaning is None or best.share >= FEW_WORDS:
        return False
    return other.meaning >= best.meaning - MEANING_MARGIN


def teaching(
    question: str,
    passages: list[Passage],
    *,
    limit: int,
    meaning: dict[str, float] | None = None,
) -> list[Sentence]:
    """What a teaching answer quotes: the answering sentences, the next best ones of the
    best passage when nearly as relevant (an explanation often spans two sentences), and the
    neighbours that complete a chosen sentence: the one before a sentence that opens by
    pointing back ("It ...", "This ..."), the one after that points back to it.
    At most `limit` + 1 sentences; [] when none answers."""
    scored = scored_sentences(question, passages, meaning)
    chosen = answering(question, passages, limit=limit, meaning=meaning)
    if not chosen:
        return []
    best = scored[0]
    for other in scored[1:]:
        if len(chosen) >= limit or other.score < best.score * SAME_PASSAGE_SHARE:
            break
        # As in answering(): one holding few of the words the best matched, and not
        # nearly as close in meaning, is off-subject.
        if (
            other.sentence.passage == best.sentence.passage
            and other.sentence not in chosen
            and on_subject(other, best)
        ):
            chosen.append(other.sentence)
    completed = list(chosen)
    for sentence in chosen:
        # The sentence before one that points back ("It ..."), and the one after that
        # continues it ("This value is called `None`."), complete what it says.
        before, after = _neighbour(sentence, -1), _neighbour(sentence, 1)
        # A line ending in ":" introduces code ("Traceback ...:"), it is no antecedent.
        if (
            before
            and before not in completed
            and _points_back(sentence.text)
            and not before.text.endswith(":")
        ):
            completed.append(before)
        if after and after not in completed and _points_back(after.text):
            completed.append(after)
    return completed[: limit + 1]


def _neighbour(sentence: Sentence, step: int) -> Sentence | None:
    siblings = sentences_of(sentence.passage)
    index = sentence.position + step
    return siblings[index] if 0 <= index < len(siblings) else None


def _points_back(text: str) -> bool:
    first = text.split(maxsplit=1)[0].strip(",").lower()
    return first in _POINTING_BACK or text.lower().startswith(_EXAMPLE_OPENERS)


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
