"""stream: true: the answer as OpenAI's chat.completion.chunk events, then `data: [DONE]`.

Closing the HTTP stream stops the generation (this API's convention, unlike GraphQL
subscriptions): the answer ends CANCELLED and keeps the text written so far.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from api.openai_compat.answer import Finished, Piece, follow_answer
from tutor.stream.generations import Generations
from tutor.stream.stop import request_stop


class StoppingStream(StreamingResponse):
    """An SSE response that stops the answer when the client leaves before its end.

    It watches for the client's disconnect itself: a client may leave while the answer
    is silent (a long tool call), and on newer ASGI servers Starlette only notices when
    it next writes.
    """

    def __init__(self, generations: Generations, message_id: int, chunks: "Chunks") -> None:
        super().__init__(
            chunks,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.generations = generations
        self.message_id = message_id
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streaming = asyncio.create_task(super().__call__(scope, receive, send))
        watching = asyncio.create_task(_until_disconnect(receive))
        try:
            await asyncio.wait((streaming, watching), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streaming, watching):
                task.cancel()
            await asyncio.gather(streaming, watching, return_exceptions=True)
            if not self.chunks.ended:
                # Shielded: the stop is sent even if this request is being cancelled.
                await asyncio.shield(request_stop(self.generations, self.message_id))


async def _until_disconnect(receive: Receive) -> None:
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass


def _event(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


class Chunks:
    """The SSE body of one answer; `ended` once its end has been read."""

    def __init__(
        self,
        generations: Generations,
        *,
        owner_id: int,
        message_id: int,
        header: dict[str, Any],
        include_usage: bool,
    ) -> None:
        self.generations = generations
        self.owner_id = owner_id
        self.message_id = message_id
        self.header = header
        self.include_usage = include_usage
        self.ended = False

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _event(
            {**self.header, "object": "chat.completion.chunk", "choices": [choice], **extra}
        )

    async def __aiter__(self) -> AsyncIterator[str]:
        yield self.chunk({"role": "assistant", "content": ""})
        answer = follow_answer(self.generations, owner_id=self.owner_id, message_id=self.message_id)
        async for item in answer:
            if isinstance(item, Piece):
                yield self.chunk({"content": item.text})
                continue
            self.ended = True
            async for event in _ending(item, self.chunk, self.header, self.include_usage):
                yield event


async def _ending(
    finished: Finished, chunk, header: dict[str, Any], include_usage: bool
) -> AsyncIterator[str]:
    if finished.failed:
        code = str(finished.row.error_code or "failed").lower()
        yield _event(
            {
                "error": {
                    "message": f"the tutor could not finish ({code})",
                    "type": "api_error",
                    "code": code,
                    "param": None,
                }
            }
        )
        yield _event("[DONE]")
        return
    sources = finished.sources_text()
    if sources:
        yield chunk({"content": sources})
    yield chunk({}, finished.finish_reason, citations=finished.citations)
    if include_usage:
        yield _event(
            {**header, "object": "chat.completion.chunk", "choices": [], "usage": finished.usage}
        )
    yield _event("[DONE]")
