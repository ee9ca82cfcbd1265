"""The embedding package: the packaged local model run for real, and a remote endpoint."""

import asyncio

import numpy as np
import pytest

from db.materials.embeddings import (
    LOCAL_MODEL_NAME,
    ModelFileError,
    embed_texts,
    embed_texts_sync,
    local_model,
    model_from_spec,
    sentences,
)
from db.materials.embeddings.local import LocalMiniLM, check_model_file
from tests.fakes.embeddings_server import running_fake_embeddings


def test_local_vectors_are_unit_length_float32_in_input_order():
    texts = ["How do I stop a loop early?", "The break statement exits the loop.", "x"]
    vectors = embed_texts_sync(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Order is the caller's even though batches are sorted by length inside.
    again = embed_texts_sync([texts[2], texts[0]])
    assert np.allclose(again[0], vectors[2], atol=1e-5)
    assert np.allclose(again[1], vectors[0], atol=1e-5)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence():
    question, answer, unrelated = embed_texts_sync(
        [
            "How can I get my list ordered from biggest to smallest?",
            "The list can be sorted in place with reverse=True to get descending order.",
            "A namespace is a mapping from names to objects.",
        ]
    )
    assert question @ answer > question @ unrelated + 0.2


async def test_async_entry_point_matches_the_sync_one_and_runs_off_the_loop():
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        vectors = await embed_texts(["word " * 200] * 16)
    finally:
        task.cancel()
    assert ticks > 0  # the loop kept running while the model worked
    assert np.allclose(vectors[0], embed_texts_sync(["word " * 200])[0], atol=1e-5)


def test_the_local_model_is_one_per_process():
    assert local_model() is local_model()
    assert model_from_spec(LOCAL_MODEL_NAME) is local_model()
    with pytest.raises(ValueError, match="only local embedding model"):
        model_from_spec("local:something-else")


def test_a_model_file_with_another_hash_is_refused_clearly(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not the model")
    with pytest.raises(ModelFileError, match="sha256"):
        check_model_file(bad)
    with pytest.raises(ModelFileError, match="sha256"):
        LocalMiniLM(model_file=bad).embed(["hello"])
    with pytest.raises(ModelFileError, match="not found"):
        check_model_file(tmp_path / "missing.onnx")


def test_a_remote_openai_compatible_endpoint_replaces_the_local_model():
    with running_fake_embeddings() as fake:
        model = model_from_spec("ollama:nomic-embed-text", base_url=fake.base_url, api_key=None)
        texts = [f"sentence number {i} about loops" for i in range(70)] + ["dictionary keys"]
        vectors = embed_texts_sync(texts, model)
    assert model.name == "ollama:nomic-embed-text"
    assert vectors.shape == (71, 64)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Two requests (64 inputs at most each), the model named without its provider.
    assert [len(r["json"]["input"]) for r in fake.requests] == [64, 7]
    assert {r["json"]["model"] for r in fake.requests} == {"nomic-embed-text"}
    # The fake answers in reverse order: the client put each vector back in its place.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[70]


def test_a_remote_model_without_a_base_url_is_a_configuration_error():
    with pytest.raises(ValueError, match="base URL"):
        model_from_spec("openai:text-embedding-3-small")


def test_sentences_split_at_sentence_and_paragraph_ends():
    text = "First one here. Second one here!\n\nA heading\n\nok. Then `code` follows."
    assert sentences(text) == [
        "First one here.",
        "Second one here!",
        "A heading ok.",  # fragments under 12 characters join the next piece
        "Then `code` follows.",
    ]


def test_stacked_vectors_are_unpacked_to_float32_once_and_scoring_leaves_them_alone():
    from db.materials.vectors import SENTENCE_WEIGHT, pack, score_stacked, stack

    whole = np.array([[1.0, 0.0]])
    first = np.vstack([whole, [[0.0, 1.0], [0.6, 0.8]]])  # whole, then two sentences
    second = np.array([[0.0, 1.0]])  # no sentences: its whole stands for it
    stacked, starts = stack([pack(first), pack(second)])
    # Searches score the learner's matrix as kept: no per-question float16 conversion.
    assert stacked.dtype == np.float32
    before = stacked.copy()
    scores = score_stacked(stacked, starts, np.array([0.0, 1.0], dtype=np.float32))
    assert np.array_equal(stacked, before)
    assert scores[0] == pytest.approx((1 - SENTENCE_WEIGHT) * 0.0 + SENTENCE_WEIGHT * 1.0)
    assert scores[1] == pytest.approx(1.0)


def test_each_sentence_is_embedded_with_the_heading_of_its_section():
    from db.materials.vectors import heading_of, section_headings, sentences_in_context

    first = (
        "## 4.7. `lambda` Expressions¶\n\n"
        "Small anonymous functions can be created with the `lambda` keyword.\n\n"
        "    # Strategy:  make a list\n    pairs.sort()"
    )
    second = "Such functions are restricted to a single expression.\n\n## 4.8. Documentation¶"
    assert heading_of("## 4.7. `lambda` Expressions¶") == "lambda Expressions"
    # A comment in a code sample has code under it: no heading.
    assert heading_of("# Strategy:  make a list\n    pairs.sort()") is None
    # The second passage starts mid-section: the heading comes from the one before.
    assert section_headings([first, second, "Next."]) == [
        None,
        "lambda Expressions",
        "Documentation",
    ]
    assert sentences_in_context(second, "lambda Expressions") == [
        "lambda Expressions: Such functions are restricted to a single expression.",
        "## 4.8. Documentation¶",  # a heading line holds its own words already
    ]
    assert sentences_in_context("No heading yet. None at all.", None) == [
        "No heading yet.",
        "None at all.",
    ]
