"""How close each sentence of the passages is in meaning to the question: cosine
similarity of sentence embeddings (the same local model the material index uses).

A sentence under a heading in its passage is also embedded with that heading ("Lambda
Expressions: Small anonymous functions can be created ...") and counts by the closer of
the two: the heading names the subject the sentence only implies, as the search index
does (db/materials/vectors.py). Measured with bench/tutor_answers.py: answers that state
the fact, tuning half 0.54 -> 0.57, the tutor's own questions 0.61 -> 0.63.

Sentence vectors are cached by text (the same material's sentences come back turn after
turn). Without the model (its package missing or its file damaged) the tutor still
answers by words alone, and says so in the log once.
"""

import logging
import re
from collections import OrderedDict

import numpy as np

from db.materials.embeddings import embed_texts
from tutor.offline.selection import window_text
from tutor.text import Passage, sentences_of

logger = logging.getLogger(__name__)

CACHE_SIZE = 8192  # sentence vectors kept (384 float32 each: ~12 MB)
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_warned = False


async def meaning_scores(question: str, passages: list[Passage]) -> dict[str, float]:
    """Sentence text (and passage text, and each sentence's window with its neighbours)
    -> cosine similarity to the question; {} when embeddings fail. A passage's own score
    and a window's say what the sentence is part of."""
    global _warned
    in_context = _sentences_with_headings(passages)
    texts = list(
        dict.fromkeys(
            [p.text for p in passages] + _sentences_and_windows(passages) + list(in_context)
        )
    )
    if not texts or not question.strip():
        return {}
    missing = [text for text in texts if text not in _cache]
    try:
        vectors = await embed_texts([question, *missing])
    except Exception as error:  # the answer by words is still an answer
        if not _warned:
            logger.warning("offline tutor: sentence embeddings unavailable (%r)", error)
            _warned = True
        return {}
    for text, vector in zip(missing, vectors[1:], strict=True):
        _remember(text, vector)
    asked = vectors[0]
    scores = {text: float(np.dot(asked, _cache[text])) for text in texts if text in _cache}
    for text, sentence in in_context.items():
        scores[sentence] = max(scores.get(sentence, -1.0), scores.get(text, -1.0))
    return scores


_SECTION_NUMBER = re.compile(r"^[\d.\s]+")


def _sentences_with_headings(passages: list[Passage]) -> dict[str, str]:
    """ "Heading: sentence" -> sentence, for the sentences under a heading in their passage
    ("8.3. Handling Exceptions" counts as "Handling Exceptions")."""
    found = {}
    for passage in passages:
        for sentence in sentences_of(passage):
            heading = _SECTION_NUMBER.sub("", sentence.section or "").strip()
            if heading and heading not in sentence.text:
                found[f"{heading}: {sentence.text}"] = sentence.text
    return found


def _sentences_and_windows(passages: list[Passage]) -> list[str]:
    """Each sentence, and each sentence with its neighbours (selection.window_text)."""
    texts = []
    for passage in passages:
        siblings = sentences_of(passage)
        texts.extend(s.text for s in siblings)
        texts.extend(window_text(siblings, s.position) for s in siblings)
    return texts


def _remember(text: str, vector: np.ndarray) -> None:
    _cache[text] = vector
    _cache.move_to_end(text)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
