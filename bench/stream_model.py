"""The simulated model of bench/stream.py: an OpenAI-compatible server streaming timed deltas.

`POST /v1/chat/completions` (stream=true) answers with SSE chunks whose text is the
wall-clock time (`time.time_ns()`) at which the chunk was emitted, one number and a
space per chunk, so whoever receives the delta knows how old it is. The request's last
user message says what to stream:

    bench group=<name> deltas=<count> rate=<per second>

The stream sends its first (empty, role-only) chunk at once, then waits until its
group is released (`POST /groups/<name>/release`), so that every stream of a group is
in place before any delta is emitted. From the release each stream emits `deltas`
chunks `1/rate` seconds apart on an absolute schedule (no drift), starting at a random
phase within the first interval so that the streams of a group do not emit in lockstep;
then finish_reason "stop", a usage chunk when asked (stream_options.include_usage) and
`data: [DONE]`.

`GET /groups/<name>` says how many streams of the group are waiting; `GET /v1/models`
lists the one model, `sim`. Started by stream.py as
`uvicorn stream_model:app --app-dir bench`; it imports nothing from studygraph.
"""

import asyncio
import json
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

MODEL_ID = "sim"
# A stream never waits for its release longer than this (the bench would be gone).
RELEASE_TIMEOUT_SECONDS = 120.0
MAX_DELTAS = 100_000
_PARAMETER = re.compile(r"(\w+)=(\S+)")


@dataclass
class Group:
    """Streams that start together."""

    released: asyncio.Event = field(default_factory=asyncio.Event)
    started_at: float = 0.0  # time.monotonic() of the release
    waiting: int = 0
    streams: int = 0


GROUPS: dict[str, Group] = {}


def _group(name: str) -> Group:
    group = GROUPS.get(name)
    if group is None:
        group = GROUPS[name] = Group()
    return group


def _parameters(body: dict) -> tuple[str, int, float]:
    """(group, deltas, rate) from the last user message."""
    text = ""
    for message in body.get("messages") or []:
        if message.get("role") == "user":
            content = message.get("content")
            text = content if isinstance(content, str) else json.dumps(content)
    values = dict(_PARAMETER.findall(text))
    group = values.get("group", "default")
    deltas = min(max(int(values.get("deltas", "30")), 0), MAX_DELTAS)
    rate = min(max(float(values.get("rate", "30")), 0.1), 10_000.0)
    return group, deltas, rate


def _chunk(model: str, delta: dict, finish: str | None = None) -> str:
    payload = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


async def _stream(body: dict) -> AsyncIterator[str]:
    model = body.get("model", MODEL_ID)
    name, deltas, rate = _parameters(body)
    group = _group(name)
    group.streams += 1
    yield _chunk(model, {"role": "assistant", "content": ""})
    group.waiting += 1
    try:
        await asyncio.wait_for(group.released.wait(), RELEASE_TIMEOUT_SECONDS)
    finally:
        group.waiting -= 1
    interval = 1.0 / rate
    # A stream that arrives after its group's release starts now, not in the past:
    # catching up would burst deltas.
    start = max(group.started_at, time.monotonic()) + random.random() * interval
    for number in range(deltas):
        delay = start + number * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield _chunk(model, {"content": f"{time.time_ns()} "})
    yield _chunk(model, {}, "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {"prompt_tokens": 10, "completion_tokens": deltas, "total_tokens": 10 + deltas}
        payload = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [],
            "usage": usage,
        }
        yield f"data: {json.dumps(payload)}\n\n"
    yield "data: [DONE]\n\n"


async def chat_completions(request: Request):
    body = await request.json()
    if not body.get("stream"):
        error = {"message": "the bench model only streams", "type": "bench_error"}
        return JSONResponse({"error": error}, status_code=400)
    return StreamingResponse(_stream(body), media_type="text/event-stream")


async def list_models(request: Request) -> JSONResponse:
    model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "bench"}
    return JSONResponse({"object": "list", "data": [model]})


async def group_state(request: Request) -> JSONResponse:
    group = _group(request.path_params["name"])
    return JSONResponse(
        {"waiting": group.waiting, "streams": group.streams, "released": group.released.is_set()}
    )


async def release(request: Request) -> JSONResponse:
    group = _group(request.path_params["name"])
    if not group.released.is_set():
        group.started_at = time.monotonic()
        group.released.set()
    return JSONResponse({"waiting": group.waiting, "streams": group.streams})


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/groups/{name}", group_state, methods=["GET"]),
        Route("/groups/{name}/release", release, methods=["POST"]),
    ]
)
