"""A disk cache of the local model's sentence vectors, for benches that upload the same
material run after run: embedding the chapters is most of their time (minutes on two
busy cores), and the vectors of the same text by the same model file never change.

`cached_embeddings(folder)` wraps the local model's embed() for the duration of a `with`
block; the folder holds a .gitignore of its own so nothing cached is ever committed.
"""

import contextlib
import hashlib
import pickle
from pathlib import Path

import numpy as np

from db.materials.embeddings.local import LocalMiniLM


@contextlib.contextmanager
def cached_embeddings(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("*\n")
    store = folder / "vectors.pickle"
    vectors: dict[str, np.ndarray] = pickle.loads(store.read_bytes()) if store.exists() else {}
    original = LocalMiniLM.embed

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in vectors))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            fresh = original(self, [by_key[k] for k in missing])
            vectors.update(zip(missing, fresh, strict=True))
        return np.stack([vectors[k] for k in keys]).astype(np.float32)

    LocalMiniLM.embed = embed
    try:
        yield
    finally:
        LocalMiniLM.embed = original
        store.write_bytes(pickle.dumps(vectors))
