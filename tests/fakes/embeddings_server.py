"""A real OpenAI-compatible `/v1/embeddings` server on 127.0.0.1 (uvicorn in a thread).

Its vectors are hashed bags of words (DIMENSIONS wide, not normalised, so the client's
normalising is exercised): texts sharing words point the same way. `fake.requests`
logs each request's JSON body and Authorization header; `fake.fail_next` makes the next
requests answer 500. Usage: `with running_fake_embeddings() as fake: fake.base_url`.
"""

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DIMENSIONS = 64


def bag_of_words_vector(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIMENSIONS] += 3.0
    return vector


@dataclass
class FakeEmbeddings:
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/embeddings", self._embeddings, methods=["POST"])])

    async def _embeddings(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append({"json": body, "authorization": request.headers.get("authorization")})
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": {"message": "scripted failure"}}, status_code=500)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": index, "embedding": bag_of_words_vector(text)}
            for index, text in enumerate(inputs)
        ]
        data.reverse()  # clients must order by `index`, not by position
        usage = {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}
        return JSONResponse(
            {"object": "list", "data": data, "model": body["model"], "usage": usage}
        )


class _QuietServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns the signals
        pass


@contextmanager
def running_fake_embeddings() -> Iterator[FakeEmbeddings]:
    fake = FakeEmbeddings()
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = _QuietServer(config)
    thread = threading.Thread(target=server.run, name="fake-embeddings", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake embeddings server did not start")
        time.sleep(0.01)
    fake.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
