"""A real OpenAI-compatible chat-completions server on 127.0.0.1, scripted per test.

It speaks HTTP over a real socket (uvicorn in a background thread, ephemeral port), so
the openai client, its SSE parser and the Agents SDK's chat-completions model run for
real. Usage:

    from tests.fakes.openai_server import text, tool_call, status, drop, stall
    # (the `fake_openai` fixture, in tests/conftest.py, starts one per test)

    def test_x(fake_openai):
        fake_openai.script([tool_call("search_material", {"query": "loops"}), text("Done.")])
        ...  # point a client at fake_openai.base_url (any api key)
        assert fake_openai.requests[1]["json"]["messages"][-1]["role"] == "tool"

Each POST /v1/chat/completions consumes the next scripted step, in order; with none
left it answers 500. Steps:
- text(content, delay=0): streams the content one word per chunk (`delay` seconds
  apart), then finish_reason "stop", then a usage chunk when the request asked for it
  (stream_options.include_usage), then `data: [DONE]`.
- tool_call(name, arguments, call_id=...): streams one tool call, finish_reason "tool_calls".
- status(code, message=...): answers an error status (401, 429, 500...) before any token.
- drop(content, after_words): streams that many words, then cuts the connection.
- stall(seconds, content="", after_words=0): streams some words, then goes silent.
- sse_error(content, after_words, message=...): streams that many words, then an SSE
  error event (`data: {"error": {...}}`), as providers report a failure mid-stream.
GET /v1/models lists `fake.models` (ids with a context_length). `fake.requests` logs
every request as {"method", "path", "json", "authorization"}; `fake.completions` only
the chat-completion ones. The server stops at the end of the test; stalls end with it.
"""

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Step:
    """One scripted answer to a chat-completions request."""

    kind: str  # text | tool_call | status | drop | stall | sse_error
    content: str = ""
    name: str = ""
    arguments: str = ""
    call_id: str = ""
    code: int = 200
    message: str = ""
    after_words: int = 0
    seconds: float = 0.0
    delay: float = 0.0


def text(content: str, *, delay: float = 0.0) -> Step:
    return Step("text", content=content, delay=delay)


def tool_call(name: str, arguments: dict[str, Any], *, call_id: str = "call_fake_1") -> Step:
    return Step("tool_call", name=name, arguments=json.dumps(arguments), call_id=call_id)


def status(code: int, message: str = "scripted failure") -> Step:
    return Step("status", code=code, message=message)


def drop(content: str, *, after_words: int) -> Step:
    return Step("drop", content=content, after_words=after_words)


def stall(seconds: float, *, content: str = "", after_words: int = 0) -> Step:
    return Step("stall", content=content, after_words=after_words, seconds=seconds)


def sse_error(content: str, *, after_words: int, message: str = "upstream overloaded") -> Step:
    return Step("sse_error", content=content, after_words=after_words, message=message)


class _ConnectionCut(Exception):
    """Raised inside a streaming body: uvicorn then drops the connection mid-response."""


@dataclass
class FakeOpenAI:
    """The scripted server (see the module docstring)."""

    models: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": "gpt-test", "object": "model", "created": 0, "owned_by": "fake",
             "context_length": 8192},
            {"id": "vendor/model:free", "object": "model", "created": 0, "owned_by": "fake"},
        ]
    )  # fmt: skip
    requests: list[dict[str, Any]] = field(default_factory=list)
    _steps: deque[Step] = field(default_factory=deque)
    _stopping: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def completions(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def script(self, steps: list[Step]) -> None:
        """Queue the answers of the next chat-completions requests, in order."""
        self._steps.extend(steps)

    @property
    def remaining(self) -> int:
        return len(self._steps)

    # ------------------------------------------------------------ the ASGI app

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    def _log(self, request: Request, body: Any) -> None:
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "json": body,
                "authorization": request.headers.get("authorization"),
            }
        )

    async def _list_models(self, request: Request) -> JSONResponse:
        self._log(request, None)
        return JSONResponse({"object": "list", "data": self.models})

    async def _chat(self, request: Request):
        body = await request.json()
        self._log(request, body)
        step = self._steps.popleft() if self._steps else status(500, "no scripted response left")
        if step.kind == "status":
            error = {"message": step.message, "type": "fake_error", "code": str(step.code)}
            return JSONResponse({"error": error}, status_code=step.code)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if not body.get("stream"):
            return JSONResponse(self._completion(body, step))
        return StreamingResponse(
            self._stream(body, step, include_usage), media_type="text/event-stream"
        )

    def _completion(self, body: dict[str, Any], step: Step) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": step.content or None}
        if step.kind == "tool_call":
            message["tool_calls"] = [self._tool_call_json(step)]
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", ""),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": _usage(body, step.content),
        }

    @staticmethod
    def _tool_call_json(step: Step) -> dict[str, Any]:
        return {
            "id": step.call_id,
            "type": "function",
            "function": {"name": step.name, "arguments": step.arguments},
        }

    async def _stream(
        self, body: dict[str, Any], step: Step, include_usage: bool
    ) -> AsyncIterator[str]:
        model = body.get("model", "")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        if step.kind == "tool_call":
            yield chunk({"tool_calls": [{"index": 0, **self._tool_call_json(step)}]})
            finish = "tool_calls"
        else:
            words = _words(step.content)
            partial = step.kind in ("drop", "stall", "sse_error")
            limit = step.after_words if partial else len(words)
            for word in words[:limit]:
                yield chunk({"content": word})
                if step.delay:
                    await asyncio.sleep(step.delay)
            if step.kind == "drop":
                raise _ConnectionCut("scripted connection drop")
            if step.kind == "sse_error":
                error = {"message": step.message, "type": "server_error"}
                yield f"data: {json.dumps({'error': error})}\n\n"
                return
            if step.kind == "stall":
                await self._sleep(step.seconds)
                return
            finish = "stop"
        yield chunk({}, finish)
        if include_usage:
            usage_chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [],
                "usage": _usage(body, step.content),
            }
            yield f"data: {json.dumps(usage_chunk)}\n\n"
        yield "data: [DONE]\n\n"

    async def _sleep(self, seconds: float) -> None:
        # Wakes up early when the server stops, so a stalled response never holds a test.
        # Polled: the stop flag is set from the test's thread (an asyncio.Event is not
        # thread-safe).
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _words(content: str) -> list[str]:
    pieces = content.split(" ")
    return [piece + " " for piece in pieces[:-1]] + [pieces[-1]] if content else []


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
    completion = max(1, len(content.split()))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class _QuietServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns the signals
        pass


def start_fake_openai() -> tuple[FakeOpenAI, _QuietServer, threading.Thread]:
    """Starts a FakeOpenAI on an ephemeral port; stop it with stop_fake_openai."""
    fake = FakeOpenAI()
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = _QuietServer(config)
    thread = threading.Thread(target=server.run, name="fake-openai", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)
    fake.port = server.servers[0].sockets[0].getsockname()[1]
    return fake, server, thread


def stop_fake_openai(fake: FakeOpenAI, server: _QuietServer, thread: threading.Thread) -> None:
    fake._stopping.set()
    server.should_exit = True
    thread.join(timeout=10)
