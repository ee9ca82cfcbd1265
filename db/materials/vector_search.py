"""Ranking a learner's chunks by meaning: the ONE place that reads stored vectors.

Today the owner's vectors are read and scored in numpy (vectors.score_chunks): at a
learner's scale (thousands of chunks) that is milliseconds of arithmetic, and it runs
the same on SQLite and PostgreSQL. To move to pgvector, replace the body of
`rank_by_meaning` with an `ORDER BY embedding <=> :question LIMIT :limit` over a
`vector(384)` column (one row per sentence, best row per chunk) and keep its signature:
callers never see how the ranking is done.
"""

import asyncio

import numpy as np
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from db.materials.library import MaterialStatus
from db.materials.vectors import score_chunks

# Above this many chunks the scoring moves off the event loop.
INLINE_SCORING_MAX = 500


async def rank_by_meaning(
    session: AsyncSession,
    *,
    owner_id: int,
    question: np.ndarray,
    model_name: str,
    topic_id: int | None = None,
    limit: int = 50,
) -> list[tuple[int, float]]:
    """(chunk_id, similarity) of the owner's READY chunks embedded by `model_name`, best
    first, at most `limit`. `question` is the question's unit vector from that model."""
    params = {
        "owner_id": owner_id,
        "model": model_name,
        "ready": MaterialStatus.READY,
    }
    topic_filter = ""
    if topic_id is not None:
        topic_filter = "AND c.topic_id = :topic_id"
        params["topic_id"] = topic_id
    statement = text(f"""
        SELECT c.id, c.embedding
        FROM material_chunks AS c
        JOIN study_materials AS m ON m.id = c.material_id
        WHERE c.owner_id = :owner_id AND m.owner_id = :owner_id AND m.status = :ready
          AND c.embedding_model = :model AND c.embedding IS NOT NULL
          {topic_filter}
    """).bindparams(**params)
    rows = (await session.exec(statement)).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    blobs = [bytes(row.embedding) for row in rows]
    if len(blobs) > INLINE_SCORING_MAX:
        scores = await asyncio.to_thread(score_chunks, blobs, question)
    else:
        scores = score_chunks(blobs, question)
    best = np.argsort(-scores, kind="stable")[:limit]
    return [(ids[i], float(scores[i])) for i in best]
