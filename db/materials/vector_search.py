"""Ranking a learner's chunks by meaning: the ONE place that reads stored vectors.

Today the owner's vectors are read and scored in numpy (vectors.score_stacked): at a
learner's scale (thousands of chunks) that is milliseconds of arithmetic, and it runs
the same on SQLite and PostgreSQL. Reading and unpacking a learner's vectors costs more
than scoring them, so the unpacked matrix is kept per learner in this process until
the chunks it covers change (a cheap count/max/sum fingerprint query says so).

To move to pgvector, replace the body of `rank_by_meaning` with an
`ORDER BY embedding <=> :question LIMIT :limit` over a `vector(384)` column (one row per
sentence, best row per chunk) and keep its signature: callers never see how the ranking is done.
"""

import asyncio
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from db.materials.library import MaterialStatus

if TYPE_CHECKING:  # numpy loads with the first search, not with the app
    import numpy as np

# Above this many chunks the scoring moves off the event loop.
INLINE_SCORING_MAX = 500


async def rank_by_meaning(
    session: AsyncSession,
    *,
    owner_id: int,
    question: "np.ndarray",
    model_name: str,
    topic_id: int | None = None,
    limit: int = 50,
    older_names: tuple[str, ...] = (),
) -> list[tuple[int, float]]:
    """(chunk_id, similarity) of the owner's READY chunks whose vectors are `model_name`'s
    (embeddings.index_name: model and recipe), best first, at most `limit`. `question`
    is the question's unit vector from that model. Vectors stored under `older_names`
    (the same model by an older recipe: the same space) count too, until the backfill
    replaces them: a new recipe never leaves a learner with words alone meanwhile."""
    params = {
        "owner_id": owner_id,
        "model": model_name,
        "models": [model_name, *older_names],
        "ready": MaterialStatus.READY,
    }
    topic_filter = ""
    if topic_id is not None:
        topic_filter = "AND c.topic_id = :topic_id"
        params["topic_id"] = topic_id
    where = f"""
        FROM material_chunks AS c
        JOIN study_materials AS m ON m.id = c.material_id
        WHERE c.owner_id = :owner_id AND m.owner_id = :owner_id AND m.status = :ready
          AND c.embedding_model IN :models AND c.embedding IS NOT NULL
          {topic_filter}
    """
    # Which chunks qualify, in four numbers: any upload, deletion, backfill batch or
    # status change moves one of them, and then the learner's vectors are read again.
    current = "sum(CASE WHEN c.embedding_model = :model THEN 1 ELSE 0 END)"
    fingerprint = tuple(
        (
            await session.exec(
                _bound(f"SELECT count(*), max(c.id), sum(c.id), {current} {where}", params)
            )
        ).one()
    )
    if not fingerprint[0]:
        return []
    key = (owner_id, model_name, topic_id)
    learner = _learners.get(key, fingerprint)
    if learner is None:
        rows = (await session.exec(_bound(f"SELECT c.id, c.embedding {where}", params))).all()
        learner = await asyncio.to_thread(_Vectors.load, rows)
        _learners.put(key, fingerprint, learner)
    return await learner.rank(question, limit)


def _bound(statement: str, params: dict):
    used = {k: v for k, v in params.items() if re.search(rf":{k}\b", statement)}
    return text(statement).bindparams(bindparam("models", expanding=True)).bindparams(**used)


class _Vectors:
    """One learner's chunk vectors, unpacked into one matrix for scoring."""

    def __init__(self, ids, stacked, starts) -> None:
        self.ids = ids
        self.stacked = stacked
        self.starts = starts

    @classmethod
    def load(cls, rows) -> "_Vectors":
        from db.materials.vectors import stack

        stacked, starts = stack([bytes(row.embedding) for row in rows])
        return cls([row.id for row in rows], stacked, starts)

    @property
    def nbytes(self) -> int:
        return self.stacked.nbytes

    async def rank(self, question, limit: int) -> list[tuple[int, float]]:
        import numpy as np

        from db.materials.vectors import score_stacked

        if len(self.ids) > INLINE_SCORING_MAX:
            scores = await asyncio.to_thread(score_stacked, self.stacked, self.starts, question)
        else:
            scores = score_stacked(self.stacked, self.starts, question)
        best = np.argsort(-scores, kind="stable")[:limit]
        return [(self.ids[i], float(scores[i])) for i in best]


class _LearnerCache:
    """Recently searched learners' unpacked vectors, bounded by bytes (LRU)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[tuple, _Vectors]] = OrderedDict()

    def get(self, key: tuple, fingerprint: tuple) -> _Vectors | None:
        item = self._items.get(key)
        if item is None or item[0] != fingerprint:
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: tuple, fingerprint: tuple, vectors: _Vectors) -> None:
        self._items[key] = (fingerprint, vectors)
        self._items.move_to_end(key)
        while sum(v.nbytes for _, v in self._items.values()) > self.max_bytes and self._items:
            self._items.popitem(last=False)


# A learner with 5,000 chunks takes ~60-80 MB (float32, unpacked once so that no
# question pays for a conversion); a few of them stay unpacked.
_learners = _LearnerCache(max_bytes=256 * 1024 * 1024)
