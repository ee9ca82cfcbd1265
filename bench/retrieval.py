"""Hybrid retrieval: quality, embedding cost and search latency, beside words alone.

On SQLite and on PostgreSQL, one learner uploads the sample chapters (tests/data) through
the real HTTP multipart path of one app; then, with the labelled questions of
tests/data/retrieval/questions.json:
- quality: recall@5 (an answering passage among the five hits) and MRR (mean of 1/rank
  of the first answering hit, 0 when absent) of searchMaterials (hybrid) and of the word
  ranking alone, for the paraphrased questions (all, and their `tune` and `holdout`
  halves) and the keyword-close ones;
- upload-to-READY of the 10-page PDF, embedding from cold, and the same upload with the
  embedding step skipped (words only, as before hybrid retrieval);
- embedding throughput (passages/s, from cold) beside extraction + chunking throughput;
- search latency p50/p95 over 5,000 chunks of one learner (the chapters' real vectors
  repeated), hybrid against words alone.
`--sweep` also prints the fusion weights tried on the `tune` half.

Run: `uv run python bench/retrieval.py [--database sqlite|postgresql|both] [--sweep]`.
"""

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from itertools import cycle, product
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from db.engine import unit_of_work  # noqa: E402
from db.materials import hybrid, indexing, library, vectors  # noqa: E402
from db.materials.embeddings import local_model  # noqa: E402
from db.materials.search import lexical_hits, search_passages, search_terms  # noqa: E402
from tests import databases  # noqa: E402
from tests.materials.helpers import DATA, Learner  # noqa: E402
from tests.materials.retrieval_set import MATERIALS, load_questions, rank_of_answer  # noqa: E402

TARGETS = {"paraphrased": (0.9, 0.75), "keyword_close": (0.95, None)}
PDF = "tutorial-modules.pdf"
LATENCY_CHUNKS = 5000
LATENCY_QUERIES = 40
# Passage vectors of the sample chapters, kept between runs so that tuning runs embed
# only what changed (git ignores the folder; delete it after changing the model).
VECTOR_CACHE = ROOT / "bench" / ".cache" / "retrieval-vectors.npz"


def load_vector_cache() -> None:
    if not VECTOR_CACHE.exists():
        return
    import numpy as np

    with np.load(VECTOR_CACHE) as saved:
        vectors.remember_matrices({bytes.fromhex(key): saved[key] for key in saved.files})


def save_vector_cache() -> None:
    import numpy as np

    VECTOR_CACHE.parent.mkdir(parents=True, exist_ok=True)
    items = vectors.cached_matrices()
    np.savez(VECTOR_CACHE, **{key.hex(): matrix for key, matrix in items.items()})


def score(ranks: list[int | None]) -> dict:
    found = [rank for rank in ranks if rank is not None and rank <= 5]
    return {
        "questions": len(ranks),
        "recall_at_5": round(len(found) / len(ranks), 3),
        "mrr": round(sum(1 / rank for rank in found) / len(ranks), 3),
    }


async def ranks_for(session, owner_id, questions, *, words_only=False) -> list[int | None]:
    ranks = []
    for question in questions:
        if words_only:
            terms = search_terms(question.question)
            hits = await lexical_hits(session, owner_id=owner_id, terms=terms, limit=5)
        else:
            hits = await search_passages(session, owner_id=owner_id, query=question.question)
        ranks.append(rank_of_answer(question, [(h.material_filename, h.quote) for h in hits]))
    return ranks


async def quality(factory, owner_id) -> dict:
    para, close = load_questions("paraphrased"), load_questions("keyword_close")
    results = {}
    async with unit_of_work(factory) as session:
        for mode in ("hybrid", "words_only"):
            words_only = mode == "words_only"
            para_ranks = await ranks_for(session, owner_id, para, words_only=words_only)
            split = {q.id: q.split for q in para}
            results[mode] = {
                "paraphrased": score(para_ranks),
                "paraphrased_tune": score(
                    [r for q, r in zip(para, para_ranks, strict=True) if split[q.id] == "tune"]
                ),
                "paraphrased_holdout": score(
                    [r for q, r in zip(para, para_ranks, strict=True) if split[q.id] == "holdout"]
                ),
                "keyword_close": score(
                    await ranks_for(session, owner_id, close, words_only=words_only)
                ),
            }
            if not words_only:
                results[mode]["paraphrased_misses"] = [
                    q.id for q, r in zip(para, para_ranks, strict=True) if r is None or r > 5
                ]
    return results


async def sweep(factory, owner_id) -> list[dict]:
    tune = [q for q in load_questions("paraphrased") if q.split == "tune"]
    close = load_questions("keyword_close")
    rows = []
    saved = hybrid.MEANING_WEIGHT, hybrid.RRF_K, hybrid.COVERAGE_WEIGHT
    try:
        for coverage, weight, k in product((0.0, 1.0, 2.0), (1.0, 3.0, 5.0, 10.0), (2, 5, 10, 60)):
            hybrid.MEANING_WEIGHT, hybrid.RRF_K, hybrid.COVERAGE_WEIGHT = weight, k, coverage
            async with unit_of_work(factory) as session:
                tuned = score(await ranks_for(session, owner_id, tune))
                kept = score(await ranks_for(session, owner_id, close))
            rows.append(
                {"coverage": coverage, "meaning": weight, "k": k, "tune": tuned, "close": kept}
            )
    finally:
        hybrid.MEANING_WEIGHT, hybrid.RRF_K, hybrid.COVERAGE_WEIGHT = saved
    return rows


async def timed_upload(learner: Learner, *, embed: bool) -> float:
    vectors.clear_cache()
    original = indexing.embed_passages
    if not embed:

        async def skip(*args, **kwargs):
            return None

        library.embed_passages = skip
    try:
        started = time.perf_counter()
        await learner.upload_ready(PDF)
        return round(time.perf_counter() - started, 3)
    finally:
        library.embed_passages = original


async def throughput() -> dict:
    from db.materials.extraction.chunking import chunk_pages
    from db.materials.extraction.kinds import sniff_content_type
    from db.materials.extraction.limits import ExtractionLimits
    from db.materials.extraction.pages import extract_pages

    data = (DATA / "tutorial-errors.md").read_bytes()
    started = time.perf_counter()
    pages = extract_pages(data, sniff_content_type(data, "x.md"), ExtractionLimits(), deadline=1e18)
    chunks = chunk_pages(pages)
    chunking = time.perf_counter() - started
    vectors.clear_cache()
    started = time.perf_counter()
    await asyncio.to_thread(vectors.embed_chunks, [c.text for c in chunks], local_model())
    embedding = time.perf_counter() - started
    return {
        "passages": len(chunks),
        "embedding_passages_per_second": round(len(chunks) / embedding, 2),
        "extraction_and_chunking_passages_per_second": round(len(chunks) / chunking, 1),
    }


async def latency(factory, owner_id) -> dict:
    """Search p50/p95 with LATENCY_CHUNKS chunks for the learner (real vectors, repeated)."""
    async with unit_of_work(factory) as session:
        rows = (await session.exec(text(
            "SELECT material_id, topic_id, text, embedding, embedding_model FROM material_chunks "
            "WHERE owner_id = :o AND embedding IS NOT NULL"
        ).bindparams(o=owner_id))).all()  # fmt: skip
        copies = [
            {
                "o": owner_id,
                "m": row.material_id,
                "t": row.topic_id,
                "n": 10_000 + index,
                "x": f"{row.text} ({index})",
                "e": row.embedding,
                "em": row.embedding_model,
            }
            for index, row in zip(range(LATENCY_CHUNKS - len(rows)), cycle(rows), strict=False)
        ]
        await session.execute(text(
            "INSERT INTO material_chunks (owner_id, material_id, topic_id, ordinal, page, "
            "start_offset, end_offset, text, embedding, embedding_model) VALUES "
            "(:o, :m, :t, :n, NULL, 0, 1, :x, :e, :em)"
        ), copies)  # fmt: skip
    questions = load_questions("paraphrased")[:LATENCY_QUERIES]
    figures = {}
    for mode in ("hybrid", "words_only"):
        times = []
        for question in questions:
            async with unit_of_work(factory) as session:
                started = time.perf_counter()
                if mode == "hybrid":
                    await search_passages(session, owner_id=owner_id, query=question.question)
                else:
                    terms = search_terms(question.question)
                    await lexical_hits(session, owner_id=owner_id, terms=terms, limit=5)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        figures[mode] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }
    return {"chunks": LATENCY_CHUNKS, **figures}


async def run(database_url: str, *, do_sweep: bool, quality_only: bool, latency_only: bool) -> dict:
    settings = Settings(
        database_url=database_url,
        broadcast_url="memory://",
        jwt_secret="bench-secret-that-is-long-enough-for-hs256-0123456789",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        factory = app.state.context_values["session_factory"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            learner = await Learner.create(http)
            for name in MATERIALS:
                if name != PDF or quality_only:
                    await learner.upload_ready(name)
            upload = (
                {}
                if quality_only
                else {
                    "pdf_upload_to_ready_seconds_words_only": await timed_upload(
                        await Learner.create(http), embed=False
                    ),
                    "pdf_upload_to_ready_seconds_hybrid": await timed_upload(learner, embed=True),
                }
            )
        async with unit_of_work(factory) as session:
            owner_id = (await session.exec(text(
                "SELECT owner_id FROM study_materials WHERE filename = :f ORDER BY id LIMIT 1"
            ).bindparams(f="tutorial-controlflow.md"))).one()[0]  # fmt: skip
        result = {} if latency_only else {**await quality(factory, owner_id), **upload}
        if do_sweep:
            result["sweep"] = await sweep(factory, owner_id)
        if not quality_only or latency_only:
            result["latency"] = await latency(factory, owner_id)
    return result


def meets_targets(result: dict) -> bool:
    hybrid_result = result["hybrid"]
    para, close = hybrid_result["paraphrased"], hybrid_result["keyword_close"]
    return (
        para["recall_at_5"] >= TARGETS["paraphrased"][0]
        and para["mrr"] >= TARGETS["paraphrased"][1]
        and close["recall_at_5"] >= TARGETS["keyword_close"][0]
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sweep", action="store_true", help="print the fusion weights tried")
    parser.add_argument(
        "--quality-only", action="store_true", help="skip the timings (tuning runs)"
    )
    parser.add_argument(
        "--latency-only", action="store_true", help="only the search latency (profiling runs)"
    )
    args = parser.parse_args()
    args.quality_only = args.quality_only or args.latency_only
    logging.basicConfig(level=logging.WARNING)
    results: dict = {} if args.quality_only else {"throughput": await throughput()}
    if args.quality_only:  # timings embed from cold on purpose
        load_vector_cache()
    options = {
        "do_sweep": args.sweep,
        "quality_only": args.quality_only,
        "latency_only": args.latency_only,
    }
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            template = await databases.create_sqlite_template(Path(directory))
            results["sqlite"] = await run(f"sqlite+aiosqlite:///{template}", **options)
    if args.database in ("postgresql", "both"):
        url = await databases.create_postgres_database()
        try:
            results["postgresql"] = await run(url, **options)
        finally:
            await databases.drop_postgres_database(url)
    if args.quality_only:
        save_vector_cache()
    print(json.dumps(results, indent=2))
    databases_run = [results[name] for name in ("sqlite", "postgresql") if name in results]
    if args.latency_only:
        return 0
    return 0 if all(meets_targets(result) for result in databases_run) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
