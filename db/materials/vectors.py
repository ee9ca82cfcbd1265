"""A chunk's meaning vectors: how they are computed, stored and scored against a question.

Each chunk keeps a small matrix: row 0 stands for the whole passage (the mean direction
of its sentences), the other rows embed its sentences. A question usually restates ONE
sentence of the passage that answers it, and a passage's single vector averages that
sentence away among the others; so a chunk scores a blend of its best sentence and its
whole (measured on the labelled questions, tests/data/retrieval: better than either
alone). Stored as float16 (half the bytes; cosine scores move by < 0.001) behind a
2-byte header giving the width.

Each sentence is embedded with the heading of its section ("Lambda Expressions: Small
anonymous functions can be created ..."): the heading names the subject that a
sentence only implies, and a student's question usually names it too. Measured on the
`tune` half of the labelled questions (bench/retrieval.py): recall@5 0.68 -> 0.79, the
keyword-close questions 0.98 -> 1.0. A passage that starts mid-section gets the heading
in force from the passages before it (`section_headings`).

The in-process cache maps (model, passage text) to its matrix: the same file uploaded
again (by anyone) is not embedded again.
"""

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from db.materials.embeddings import EmbeddingModel, embed_texts_sync, sentences
from db.materials.embeddings.local import normalise

# How much the best sentence weighs against the whole passage (tuned on the `tune`
# half of the labelled questions).
SENTENCE_WEIGHT = 0.7
MAX_SENTENCES = 24  # a chunk of 1,400 characters rarely has more
CACHE_CHUNKS = 4096
EMBED_BATCH_CHUNKS = 8  # progress and deadline checks happen between batches


class _MatrixCache:
    """A bounded LRU of chunk matrices, shared by the worker threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model_name: str, text: str) -> bytes:
        return hashlib.sha256(f"{model_name}\0{text}".encode()).digest()

    def get(self, key: bytes) -> np.ndarray | None:
        with self._lock:
            matrix = self._items.get(key)
            if matrix is not None:
                self._items.move_to_end(key)
            return matrix

    def put(self, key: bytes, matrix: np.ndarray) -> None:
        with self._lock:
            self._items[key] = matrix
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _MatrixCache(CACHE_CHUNKS)


def cached_matrices() -> dict[bytes, np.ndarray]:
    """A copy of the cache (benches keep it between runs to embed only what changed)."""
    with _cache._lock:
        return dict(_cache._items)


def remember_matrices(items: dict[bytes, np.ndarray]) -> None:
    """Put matrices that cached_matrices() returned back into the cache."""
    for key, matrix in items.items():
        _cache.put(key, matrix)


def clear_cache() -> None:
    """Forget every cached matrix (benches measure embedding from cold)."""
    _cache.clear()


def embed_chunks(
    texts: list[str],
    model: EmbeddingModel,
    *,
    headings: list[str | None] | None = None,
    deadline: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[bytes]:
    """Each passage's stored matrix (see pack). Blocking: run it on a worker thread.

    `headings[i]` is the section heading in force where passage i starts; None: the
    passages are one material's, in order, and it is worked out from them.
    TimeoutError past `deadline` (time.monotonic()), checked between batches;
    `progress(done, total)` is called after each batch.
    """
    if headings is None:
        headings = section_headings(texts)
    blobs: list[bytes] = []
    for start in range(0, len(texts), EMBED_BATCH_CHUNKS):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"embedding took too long ({start} of {len(texts)} passages)")
        end = start + EMBED_BATCH_CHUNKS
        blobs.extend(pack(m) for m in _matrices(texts[start:end], headings[start:end], model))
        if progress is not None:
            progress(len(blobs), len(texts))
    return blobs


_HEADING = re.compile(r"#{1,6}[ \t]+(\S.*)")
_SECTION_NUMBER = re.compile(r"^[\d.\\\s]+")


def heading_of(sentence: str) -> str | None:
    """The words of a markdown heading line ("## 4.7. `lambda` Expressions¶" -> "lambda
    Expressions"), None for anything else (a code comment has code under it)."""
    match = _HEADING.fullmatch(sentence.strip())
    if match is None:
        return None
    words = _SECTION_NUMBER.sub("", match.group(1)).replace("¶", "").replace("`", "")
    return words.replace("\\", "").strip() or None


def section_headings(texts: list[str]) -> list[str | None]:
    """For one material's passages in order: the heading in force where each starts."""
    found: list[str | None] = []
    current = None
    for text in texts:
        found.append(current)
        for sentence in sentences(text):
            current = heading_of(sentence) or current
    return found


def sentences_in_context(text: str, heading: str | None) -> list[str]:
    """What the index embeds for a passage: each sentence (at most MAX_SENTENCES) with
    the heading of its section before it; `heading` is the one in force at the start."""
    embedded = []
    for sentence in sentences(text) or [text]:
        heading = heading_of(sentence) or heading
        within = heading and heading not in sentence
        embedded.append(f"{heading}: {sentence}" if within else sentence)
    return embedded[:MAX_SENTENCES]


def _matrices(
    texts: list[str], headings: list[str | None], model: EmbeddingModel
) -> list[np.ndarray]:
    keys = [
        _cache.key(model.name, f"{heading or ''}\0{text}")
        for text, heading in zip(texts, headings, strict=True)
    ]
    found = [_cache.get(key) for key in keys]
    missing = [i for i, matrix in enumerate(found) if matrix is None]
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    for i in missing:
        parts = sentences_in_context(texts[i], headings[i])
        spans.append((len(pieces), len(pieces) + len(parts)))
        pieces.extend(parts)
    vectors = embed_texts_sync(pieces, model) if pieces else None
    for i, (start, end) in zip(missing, spans, strict=True):
        rows = vectors[start:end]
        # The passage's own vector is its sentences' mean direction: nearly as good as
        # embedding the passage again (recall@5 0.80 against 0.84 on the labelled
        # questions, vector ranking alone) at half the embedding time.
        whole = normalise(rows.mean(axis=0, keepdims=True))
        found[i] = np.concatenate([whole, rows]).astype(np.float16)
        _cache.put(keys[i], found[i])
    return found


def pack(matrix: np.ndarray) -> bytes:
    """A (rows, width) matrix as stored: uint16 width, then float16 rows."""
    matrix = np.asarray(matrix, dtype=np.float16)
    return np.uint16(matrix.shape[1]).tobytes() + matrix.tobytes()


def unpack(blob: bytes) -> np.ndarray:
    """The (rows, width) float16 matrix pack() stored."""
    width = int(np.frombuffer(blob[:2], dtype=np.uint16)[0])
    return np.frombuffer(blob[2:], dtype=np.float16).reshape(-1, width)


def stack(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Many chunks' stored matrices as one float32 matrix, and each chunk's first row.

    float32 once here, not per question: converting a 5,000-chunk learner's float16
    rows took most of each search (35-120 ms of 40-165 ms)."""
    matrices = [unpack(blob) for blob in blobs]
    sizes = np.array([len(matrix) for matrix in matrices])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return np.concatenate(matrices).astype(np.float32), starts


def score_stacked(stacked: np.ndarray, starts: np.ndarray, question: np.ndarray) -> np.ndarray:
    """Each chunk's similarity to the question (unit vector): whole and best sentence."""
    if stacked.shape[1] != question.shape[0]:
        raise ValueError("stored vectors and the question come from different models")
    similarity = stacked @ question.astype(stacked.dtype, copy=False)
    ends = np.append(starts[1:], len(similarity))
    whole = similarity[starts]
    # Best sentence per chunk: rows after the first (the product is ours to overwrite);
    # a chunk without sentences uses its whole.
    similarity[starts] = -np.inf
    best = np.maximum.reduceat(similarity, starts)
    best = np.where(ends - starts > 1, best, whole)
    return (1 - SENTENCE_WEIGHT) * whole + SENTENCE_WEIGHT * best


def score_chunks(blobs: list[bytes], question: np.ndarray) -> np.ndarray:
    """Each stored chunk's similarity to the question (see score_stacked)."""
    if not blobs:
        return np.zeros(0, dtype=np.float32)
    return score_stacked(*stack(blobs), question)
