"""Grade a learner's free-text answer against a card's back, offline and deterministically.

The grade is an FSRS rating name. It rests on recall of the answer's content words:
how many of the words that carry the expected answer appear in the reply (allowing
plural/tense endings and small typos). Short answers ("mutable", "`None`") need nearly
all of their words; long definitional answers need the gist, not a recitation.
"""

import re
from difflib import SequenceMatcher
from enum import StrEnum

from db.learning.scheduling import ReviewRating

_TOKEN = re.compile(r"[a-z0-9_]+")
_STOPWORDS = {
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "of", "to", "in", "on", "for",
    "and", "or", "it", "its", "that", "this", "with", "as", "by", "at", "from", "which",
    "can", "has", "have", "do", "does", "you", "your", "not", "no", "so", "such", "also",
    "usually", "some", "any", "all", "into", "their", "they", "them", "will", "would",
}  # fmt: skip
_NEGATIONS = {"not", "no", "never", "cannot", "isn", "aren", "doesn", "don", "can't", "nothing"}
# Both sides are capped: every expected word is compared with every given one, and a
# 5,000-character back against a 2,000-character answer took 1.7 s on the event loop.
MAX_EXPECTED_WORDS = 40
MAX_GIVEN_WORDS = 150
# SequenceMatcher's ratio is at most 2 * shorter / (sum of lengths): below this length
# ratio it cannot reach the 0.85 a typo needs, so the comparison is skipped exactly.
_TYPO_RATIO = 0.85
_TYPO_LENGTHS = _TYPO_RATIO / (2 - _TYPO_RATIO)
_GIVE_UPS = {
    "", "idk", "i don't know", "i dont know", "i do not know", "no idea", "dunno", "?",
    "not sure", "i'm not sure", "i am not sure", "no clue", "i give up", "give up",
    "i forgot", "forgot", "i dunno", "i can't remember", "i cant remember", "don't know",
    "dont know", "tell me", "show me the answer", "what is it", "i have no idea",
}  # fmt: skip
# Plain words for "ask me another one" and "end the quiz". A whole reply must be one of
# these (after "please", "ok", punctuation): "next" inside an answer is an answer.
_SKIPS = {
    "skip", "next", "pass", "skip it", "skip this", "skip this one", "next one",
    "next question", "another", "another one", "another question", "move on",
    "let's move on", "lets move on", "something else", "different question",
}  # fmt: skip
_STOPS = {
    "stop", "quit", "exit", "end", "done", "enough", "i'm done", "im done", "i am done",
    "that's enough", "thats enough", "stop the quiz", "end the quiz", "stop quizzing",
    "no more", "let's stop", "lets stop", "finish", "stop now", "i want to stop",
}  # fmt: skip
_POLITE = re.compile(r"\b(please|pls|ok|okay|thanks|thank you|now|then|just|so)\b")


class QuizIntent(StrEnum):
    """What a reply to a quiz question means: an answer, or a wish about the quiz."""

    ANSWER = "ANSWER"
    SKIP = "SKIP"  # not graded; the next question
    DONT_KNOW = "DONT_KNOW"  # graded AGAIN, the answer shown
    STOP = "STOP"  # not graded; no further question


def quiz_intent(reply: str, expected: str | None = None) -> QuizIntent:
    """What the learner means by `reply` to a question whose answer is `expected`.

    A reply that matches the expected answer is an answer even when it reads like a
    command ("next" for "which built-in gives an iterator's next item?").
    """
    if expected is not None and _words(expected) and grade_answer(expected, reply) in (
        ReviewRating.GOOD, ReviewRating.EASY,
    ):  # fmt: skip
        return QuizIntent.ANSWER
    plain = _plain(reply)
    if plain in _GIVE_UPS:
        return QuizIntent.DONT_KNOW
    if plain in _SKIPS or plain.endswith(" please skip"):
        return QuizIntent.SKIP
    if plain in _STOPS:
        return QuizIntent.STOP
    return QuizIntent.ANSWER


def _plain(reply: str) -> str:
    """The reply lower-cased, without punctuation, courtesy words or extra spaces."""
    text = reply.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    text = _POLITE.sub(" ", text)
    return " ".join(text.split())


def grade_answer(expected: str, given: str) -> ReviewRating:
    """AGAIN, HARD, GOOD or EASY for `given` as an answer whose correct form is `expected`."""
    if _plain(given) in _GIVE_UPS:
        return ReviewRating.AGAIN
    expected_words = _words(expected)[:MAX_EXPECTED_WORDS]
    given_words = _words(given)[:MAX_GIVEN_WORDS]
    if not expected_words:
        # Nothing but stopwords to compare ("It is."): fall back to the whole text.
        return ReviewRating.GOOD if _normal(expected) == _normal(given) else ReviewRating.AGAIN
    if _normal(given) == _normal(expected):
        return ReviewRating.EASY
    hits = sum(1 for word in expected_words if _matches(word, given_words))
    recall = hits / len(expected_words)
    short = len(expected_words) <= 3
    good, hard = (0.99, 0.5) if short else (0.6, 0.3)
    if recall >= good:
        rating = ReviewRating.GOOD
    elif recall >= hard:
        rating = ReviewRating.HARD
    else:
        rating = ReviewRating.AGAIN
    # "not mutable" for "mutable" is the opposite answer, however many words it shares.
    # (Only for short answers: a long one words its negations too freely to compare.)
    if short and _negated(given) != _negated(expected):
        rating = ReviewRating.AGAIN
    return rating


def _normal(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def _words(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if token not in _STOPWORDS:
            seen.setdefault(_stem(token))
    return list(seen)


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ed", "ing", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


_NEGATING_PREFIXES = ("im", "in", "un", "non", "ir", "il", "dis")


def _matches(word: str, given: list[str]) -> bool:
    if word in given:
        return True
    # Typos: "imutable" for "immutable". Short words must match exactly (set/get),
    # and "immutable" is the opposite of "mutable", not a typo of it.
    return len(word) >= 5 and any(
        min(len(word), len(other)) / max(len(word), len(other)) >= _TYPO_LENGTHS
        and SequenceMatcher(None, word, other).ratio() >= _TYPO_RATIO
        and not _antonyms(word, other)
        for other in given
    )


def _antonyms(first: str, second: str) -> bool:
    shorter, longer = sorted((first, second), key=len)
    return longer.endswith(shorter) and longer[: -len(shorter)] in _NEGATING_PREFIXES


def _negated(text: str) -> bool:
    tokens = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    return any(token in _NEGATIONS or token.endswith("n't") for token in tokens)
