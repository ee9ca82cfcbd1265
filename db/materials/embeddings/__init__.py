"""Sentence embeddings for retrieval: text in, unit-length float32 vectors out.

One entry point: `await embed_texts(texts)` (or `embed_texts_sync` on a worker thread),
with the process's local model unless another `EmbeddingModel` is given. The local model
(local.py) is loaded lazily, once per process; `model_from_spec` builds an
OpenAI-compatible one (remote.py) from `STUDYGRAPH_EMBEDDING_MODEL`. Vectors compare by
dot product (cosine, since they are normalised). `sentences` splits a passage the way
the index embeds it; `index_name` is what a stored vector records: its model and the
recipe of what was embedded (db/materials/vectors.py).
"""

import asyncio
import re
from functools import cache
from typing import TYPE_CHECKING, Protocol

from db.materials.embeddings.local import MODEL_NAME as LOCAL_MODEL_NAME
from db.materials.embeddings.local import LocalMiniLM, ModelFileError
from db.materials.embeddings.remote import RemoteEmbeddingModel

if TYPE_CHECKING:  # numpy, onnxruntime and openai load on first use, not with the app
    import numpy as np

__all__ = [
    "LOCAL_MODEL_NAME",
    "EmbeddingModel",
    "ModelFileError",
    "embed_texts",
    "embed_texts_sync",
    "index_name",
    "local_model",
    "model_from_spec",
    "sentences",
]


# What each stored vector embeds beside its model: "sections" = every sentence with the
# heading of the section it is in (vectors.py). A stored vector records both, so a new
# recipe, like a new model, is re-embedded in the background (backfill.py).
RECIPE = "sections"


def index_name(model_name: str) -> str:
    """The name stored with a passage's vectors: the model's, and the recipe's."""
    return f"{model_name}+{RECIPE}"


class EmbeddingModel(Protocol):
    """What the index needs of a model: its name (stored with each vector) and embed()."""

    name: str

    def embed(self, texts: list[str]) -> "np.ndarray": ...


@cache
def local_model() -> LocalMiniLM:
    """The process's local model (its weights load on the first embed)."""
    return LocalMiniLM()


def model_from_spec(
    spec: str, *, base_url: str | None = None, api_key: str | None = None
) -> EmbeddingModel:
    """`local:...` is the packaged model; anything else an OpenAI-compatible endpoint."""
    provider = spec.partition(":")[0].strip().lower()
    if provider == "local":
        if spec != LOCAL_MODEL_NAME:
            raise ValueError(f"the only local embedding model is {LOCAL_MODEL_NAME!r}")
        return local_model()
    if not base_url:
        raise ValueError(f"embedding model {spec!r} needs its provider's base URL")
    return RemoteEmbeddingModel(spec, base_url=base_url, api_key=api_key)


def embed_texts_sync(texts: list[str], model: EmbeddingModel | None = None) -> "np.ndarray":
    """(len(texts), d) float32, L2-normalised; blocks: call it off the event loop."""
    texts = [text if text.strip() else "." for text in texts]  # empty input has no tokens
    if not texts:
        import numpy as np

        return np.zeros((0, 0), dtype=np.float32)
    return (model or local_model()).embed(texts)


async def embed_texts(texts: list[str], model: EmbeddingModel | None = None) -> "np.ndarray":
    """embed_texts_sync on a thread, so the event loop keeps serving."""
    return await asyncio.to_thread(embed_texts_sync, list(texts), model)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|\n\s*\n")
MIN_SENTENCE_CHARS = 12


def sentences(text: str) -> list[str]:
    """A passage's sentences (paragraph breaks also end one); tiny fragments merge forward."""
    pieces = [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]
    merged: list[str] = []
    for piece in pieces:
        if merged and len(merged[-1]) < MIN_SENTENCE_CHARS:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged
