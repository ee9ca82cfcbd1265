"""Vectors stored with each passage, meaning search fused with words, the backfill, a
remote embedding model, and indexing progress: on SQLite and PostgreSQL."""

import numpy as np
from sqlalchemy import update
from sqlmodel import col, select

from db.channels import topic_channel
from db.engine import unit_of_work
from db.materials import indexing
from db.materials.backfill import EmbeddingBackfill
from db.materials.embeddings import LOCAL_MODEL_NAME, index_name, model_from_spec, sentences
from db.materials.events import parse_material_event
from db.materials.extraction_pool import ExtractionPool
from db.materials.library import MaterialStatus, create_material, process_material
from db.materials.search import lexical_hits, search_passages, search_terms
from db.materials.vectors import MAX_SENTENCES, clear_cache, unpack
from db.models import MaterialChunk
from tests.factories import make_topic, make_user
from tests.fakes.embeddings_server import running_fake_embeddings
from tests.materials.helpers import DATA

CHAPTER = "tutorial-datastructures.md"
# Shares only "list" with its answer ("Sort the items of the list in place ..."),
# a word every passage of the chapter has.
PARAPHRASED = "How can I get my list ordered from biggest to smallest?"
ANSWER = "Sort the items of the list in place"


async def _processed(harness, pool=None, name=CHAPTER, bus=None):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    data = (DATA / name).read_bytes()
    async with unit_of_work(harness.session_factory) as session:
        material = await create_material(
            session, owner_id=me.user.id, topic_id=topic.id, filename=name, data=data
        )
    done = await process_material(
        harness.session_factory, bus, material=material, data=data, pool=pool
    )
    return me.user.id, topic.id, done


async def _chunks(harness, material_id):
    async with harness.session_factory() as session:
        query = select(MaterialChunk).where(MaterialChunk.material_id == material_id)
        return (await session.exec(query.order_by(MaterialChunk.ordinal))).all()


async def test_a_ready_material_has_vectors_of_the_local_model_for_every_passage(harness):
    _, _, material = await _processed(harness)
    assert material.status == MaterialStatus.READY
    chunks = await _chunks(harness, material.id)
    assert len(chunks) == material.chunk_count > 10
    for chunk in chunks:
        assert chunk.embedding_model == index_name(LOCAL_MODEL_NAME)
        matrix = unpack(chunk.embedding)
        # The passage's own row, then one per sentence.
        assert matrix.shape == (1 + min(len(sentences(chunk.text)), MAX_SENTENCES), 384)
        assert np.allclose(np.linalg.norm(matrix.astype(np.float32), axis=1), 1.0, atol=1e-2)


async def test_meaning_finds_what_words_alone_rank_low(harness):
    owner_id, _, _ = await _processed(harness)
    async with unit_of_work(harness.session_factory) as session:
        words = await lexical_hits(session, owner_id=owner_id, terms=search_terms(PARAPHRASED))
        hits = await search_passages(session, owner_id=owner_id, query=PARAPHRASED)
    word_rank = next((i for i, h in enumerate(words, 1) if ANSWER in h.quote), None)
    rank = next((i for i, h in enumerate(hits, 1) if ANSWER in h.quote), None)
    assert rank is not None and rank <= 3, [h.quote[:60] for h in hits]
    assert word_rank is None or word_rank > rank
    assert hits[rank - 1].similarity is not None and hits[rank - 1].similarity > 0.3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_meaning_search_never_returns_another_learners_passages(harness):
    owner_id, _, _ = await _processed(harness)
    stranger, _, _ = await _processed(harness, name="tutorial-errors.md")
    async with unit_of_work(harness.session_factory) as session:
        mine = await search_passages(session, owner_id=owner_id, query=PARAPHRASED, limit=50)
        theirs = await search_passages(session, owner_id=stranger, query=PARAPHRASED, limit=50)
    assert mine and {h.material_filename for h in mine} == {CHAPTER}
    assert {h.material_filename for h in theirs} == {"tutorial-errors.md"}


async def _forget_vectors(harness, material_id, *, model=None):
    async with unit_of_work(harness.session_factory) as session:
        await session.exec(
            update(MaterialChunk)
            .where(col(MaterialChunk.material_id) == material_id)
            .values(embedding=None if model is None else b"\x00\x00", embedding_model=model)
        )


async def test_the_backfill_embeds_old_passages_and_resumes_after_a_restart(harness):
    owner_id, _, material = await _processed(harness)
    await _forget_vectors(harness, material.id)  # as stored before hybrid retrieval
    pool = ExtractionPool(max_workers=1)
    try:
        first = EmbeddingBackfill(harness.session_factory, pool, batch=4)
        assert await first.pending() == material.chunk_count
        assert await first.run_once() == 4
        # A new process (a restart) finds the remaining work in the database.
        again = EmbeddingBackfill(harness.session_factory, pool, batch=64)
        assert await again.pending() == material.chunk_count - 4
        assert await again.run_until_done() == material.chunk_count - 4
        assert await again.pending() == 0
    finally:
        pool.close()
    chunks = await _chunks(harness, material.id)
    assert {c.embedding_model for c in chunks} == {index_name(LOCAL_MODEL_NAME)}
    async with unit_of_work(harness.session_factory) as session:
        hits = await search_passages(session, owner_id=owner_id, query=PARAPHRASED)
    assert any(ANSWER in h.quote and h.similarity for h in hits)


async def test_passages_of_an_older_embedding_recipe_are_re_embedded_in_the_background(harness):
    owner_id, _, material = await _processed(harness)
    before = {c.id: c.embedding for c in await _chunks(harness, material.id)}
    # As stored before sentences were embedded with their section headings: the same
    # model's name without the recipe.
    async with unit_of_work(harness.session_factory) as session:
        await session.exec(
            update(MaterialChunk)
            .where(col(MaterialChunk.material_id) == material.id)
            .values(embedding_model=LOCAL_MODEL_NAME)
        )
        hits = await search_passages(session, owner_id=owner_id, query=PARAPHRASED)
    # The same model's space: they still answer by meaning until they are replaced.
    assert any(ANSWER in h.quote and h.similarity for h in hits)
    pool = ExtractionPool(max_workers=1)
    try:
        backfill = EmbeddingBackfill(harness.session_factory, pool, batch=5)
        assert await backfill.pending() == material.chunk_count
        await backfill.run_until_done()
    finally:
        pool.close()
    chunks = await _chunks(harness, material.id)
    assert {c.embedding_model for c in chunks} == {index_name(LOCAL_MODEL_NAME)}
    # In batches of 5, passages that start mid-section still get their section's
    # heading from the passages before them: the same vectors as at upload.
    assert {c.id: c.embedding for c in chunks} == before
    async with unit_of_work(harness.session_factory) as session:
        await session.exec(  # another model's vectors are never compared
            update(MaterialChunk)
            .where(col(MaterialChunk.material_id) == material.id)
            .values(embedding_model="openai:text-embedding-3-small")
        )
        hits = await search_passages(session, owner_id=owner_id, query=PARAPHRASED)
    assert hits and all(h.similarity is None for h in hits)


async def test_a_remote_embedding_model_indexes_and_searches_and_a_change_re_embeds(harness):
    with running_fake_embeddings() as fake:
        remote = model_from_spec("ollama:nomic-embed-text", base_url=fake.base_url)
        pool = ExtractionPool(max_workers=1, embedder=remote)
        try:
            owner_id, _, material = await _processed(harness, pool=pool)
            chunks = await _chunks(harness, material.id)
            assert {c.embedding_model for c in chunks} == {index_name("ollama:nomic-embed-text")}
            assert unpack(chunks[0].embedding).shape[1] == 64
            async with unit_of_work(harness.session_factory) as session:
                hits = await search_passages(
                    session, owner_id=owner_id, query="deque appends pops", embedder=remote
                )
            assert any(h.similarity is not None for h in hits)
            # Back to the local model: every passage is re-embedded in the background.
            local_pool = ExtractionPool(max_workers=1)
            try:
                backfill = EmbeddingBackfill(harness.session_factory, local_pool)
                assert await backfill.pending() == material.chunk_count
                await backfill.run_until_done()
            finally:
                local_pool.close()
        finally:
            pool.close()
        assert fake.requests  # the passages really went to the endpoint
    chunks = await _chunks(harness, material.id)
    assert {c.embedding_model for c in chunks} == {index_name(LOCAL_MODEL_NAME)}


async def test_an_embedding_outage_leaves_the_upload_ready_for_words_and_the_backfill(harness):
    clear_cache()  # vectors of these passages from an earlier test would hide the outage
    with running_fake_embeddings() as fake:
        fake.fail_next = 1000
        remote = model_from_spec("ollama:nomic-embed-text", base_url=fake.base_url)
        pool = ExtractionPool(max_workers=1, embedder=remote)
        try:
            owner_id, _, material = await _processed(harness, pool=pool)
            assert material.status == MaterialStatus.READY
            assert {c.embedding for c in await _chunks(harness, material.id)} == {None}
            async with unit_of_work(harness.session_factory) as session:
                hits = await search_passages(
                    session, owner_id=owner_id, query="deque appends pops", embedder=remote
                )
            assert hits and all(h.similarity is None for h in hits)  # words still answer
            fake.fail_next = 0
            assert await EmbeddingBackfill(harness.session_factory, pool).run_until_done() > 0
        finally:
            pool.close()
    assert {c.embedding_model for c in await _chunks(harness, material.id)} == {
        index_name("ollama:nomic-embed-text")
    }


async def test_a_long_document_reports_indexing_progress(harness, monkeypatch):
    monkeypatch.setattr(indexing, "PROGRESS_MIN_CHUNKS", 4)
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    data = (DATA / "tutorial-errors.md").read_bytes()
    async with harness.bus.subscribe(topic_channel(topic.id)) as events:
        async with unit_of_work(harness.session_factory) as session:
            material = await create_material(
                session, owner_id=me.user.id, topic_id=topic.id, filename="e.md", data=data
            )
        done = await process_material(
            harness.session_factory, harness.bus, material=material, data=data
        )
        seen = []
        while True:
            event = parse_material_event(await events.next_within(10))
            seen.append(event)
            if event.status == MaterialStatus.READY:
                break
    progress = [e.progress for e in seen if e.progress]
    assert progress and all(e.status == MaterialStatus.PROCESSING for e in seen[:-1])
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert {t for _, t in progress} == {done.chunk_count}
    assert seen[-1].progress is None
