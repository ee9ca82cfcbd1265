"""Fusing the word ranking with the meaning ranking (weighted reciprocal rank fusion).

Words are precise when the learner uses the book's terms; meaning finds the passage
when they do not ("ordered from biggest to smallest" for `reverse=True`). Reciprocal
rank fusion adds weight / (K + rank) from each ranking a passage appears in: it needs
no calibration between bm25 and cosine scores, and a passage both rankings like wins.
Plain RRF (equal weights, K=60) lost to the meaning ranking alone on paraphrased
questions; the weights below were chosen by `bench/retrieval.py --sweep` on the `tune`
half of the labelled questions (tests/data/retrieval; meaning weight 1-10, K 2-60,
coverage 0-2: the best few differ by one question of 28) and are reported on both
halves and on the keyword-close set, beside words alone. Since sentences are embedded
with their section heading the meaning ranking is the stronger one by far: words now
mostly break its ties, and the coverage boost still lifts a passage that holds every
word of a keyword-close question.
"""

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from db.materials.embeddings import EmbeddingModel, embed_texts, index_name, local_model
from db.materials.vector_search import rank_by_meaning

logger = logging.getLogger(__name__)

LEXICAL_WEIGHT = 1.0
MEANING_WEIGHT = 10.0
RRF_K = 10
# A passage holding every word of the question is a strong keyword match that the
# meaning ranking may still place low (a list of method names): it earns up to this
# much of a first rank on top (coverage squared).
COVERAGE_WEIGHT = 1.0
CANDIDATES = 50
# A model may set `min_similarity`: passages less similar are not meaning candidates
# (the local model's is 0.25: without it, its best match for a question the material
# does not cover, "vault combination zanzibar", would still be returned. On the labelled
# questions 95% of answering passages score >= 0.29, and the best passage for questions
# outside the material 0.20-0.40).


async def fuse_with_meaning(
    session: AsyncSession,
    *,
    owner_id: int,
    query: str,
    topic_id: int | None,
    limit: int,
    terms: list[str],
    lexical: list[Any],
    embedder: EmbeddingModel | None,
    fetch: Callable[[list[int]], Awaitable[dict[int, Any]]],
) -> list[Any]:
    """The best `limit` passages of both rankings. `lexical` are PassageHits best first
    for the question's `terms`; `fetch(ids)` loads the passages only meaning found."""
    meaning = await _meaning_ranking(
        session, owner_id=owner_id, query=query, topic_id=topic_id, embedder=embedder
    )
    scores: dict[int, float] = defaultdict(float)
    for rank, hit in enumerate(lexical, 1):
        scores[hit.chunk_id] += LEXICAL_WEIGHT / (RRF_K + rank)
        scores[hit.chunk_id] += COVERAGE_WEIGHT * _coverage(terms, hit.quote) ** 2 / (RRF_K + 1)
    for rank, (chunk_id, _) in enumerate(meaning, 1):
        scores[chunk_id] += MEANING_WEIGHT / (RRF_K + rank)
    best = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))[:limit]
    known = {hit.chunk_id: hit for hit in lexical}
    known.update(await fetch([chunk_id for chunk_id in best if chunk_id not in known]))
    similarity = dict(meaning)
    return [
        replace(known[chunk_id], score=scores[chunk_id], similarity=similarity.get(chunk_id))
        for chunk_id in best
        if chunk_id in known  # a passage deleted between the two reads
    ]


async def _meaning_ranking(
    session: AsyncSession,
    *,
    owner_id: int,
    query: str,
    topic_id: int | None,
    embedder: EmbeddingModel | None,
) -> list[tuple[int, float]]:
    model = embedder or local_model()
    try:
        question = (await embed_texts([query], model))[0]
    except Exception:  # e.g. a remote embedding endpoint down: words alone still answer
        logger.warning("could not embed a search question with %s", model.name, exc_info=True)
        return []
    ranked = await rank_by_meaning(
        session,
        owner_id=owner_id,
        question=question,
        model_name=index_name(model.name),
        # Stored before sentences carried their headings: the model's bare name.
        older_names=(model.name,),
        topic_id=topic_id,
        limit=CANDIDATES,
    )
    floor = getattr(model, "min_similarity", 0.0)
    return [(chunk_id, similarity) for chunk_id, similarity in ranked if similarity >= floor]


def _coverage(terms: list[str], quote: str) -> float:
    """The share of the question's words the passage holds (a 5-letter prefix matches,
    so "methods" finds "method")."""
    if not terms:
        return 0.0
    words = quote.lower()
    return sum(term[:5] in words for term in terms) / len(terms)
