"""Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, llama.cpp, vLLM).

Synchronous on purpose: it runs on the extraction workers and the backfill's thread,
beside the local model, behind the same `embed(texts)` shape.
"""

import numpy as np
from openai import OpenAI

from db.materials.embeddings.local import normalise

# Inputs per request: providers cap a request's inputs (OpenAI at 2,048).
REQUEST_BATCH = 64


class RemoteEmbeddingModel:
    """`<provider>:<model>` served by an OpenAI-compatible endpoint."""

    def __init__(
        self, name: str, *, base_url: str, api_key: str | None, timeout_seconds: float = 60.0
    ) -> None:
        self.name = name  # e.g. "openai:text-embedding-3-small": what each vector records
        self.model = name.partition(":")[2]
        # Local servers need no key, but the client insists on one.
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_seconds, max_retries=2
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), d) float32, each row of unit length, in the order given."""
        rows: list[list[float]] = []
        for start in range(0, len(texts), REQUEST_BATCH):
            batch = texts[start : start + REQUEST_BATCH]
            response = self._client.embeddings.create(model=self.model, input=batch)
            ordered = sorted(response.data, key=lambda item: item.index)
            if len(ordered) != len(batch):
                raise RuntimeError(
                    f"{self.name} returned {len(ordered)} embeddings for {len(batch)} inputs"
                )
            rows.extend(item.embedding for item in ordered)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise(np.array(rows, dtype=np.float32))

    def close(self) -> None:
        self._client.close()
