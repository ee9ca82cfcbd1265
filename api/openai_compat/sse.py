"""stream: true: the answer as OpenAI's chat.completion.chunk events, then `data: [DONE]`.

Closing the HTTP stream stops the generation (this API's convention, unlike GraphQL
subscriptions): the answer ends CANCELLED and keeps the text written so far.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from api.openai_compat.answer import Finished, Piece, follow_answer
from tutor.stream.generations import Generations
from tutor.stream.stop import request_stop

# Stops requested by closed streams, kept referenced until they have been sent.
_stopping: set[asyncio.Task] = set()


def _event(payload: dict[str, Any] | str) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


async def completion_chunks(
    generations: Generations,
    *,
    owner_id: int,
    message_id: int,
    header: dict[str, Any],
    include_usage: bool,
) -> AsyncIterator[str]:
    """The SSE body; if the client goes away before the end, the answer is stopped."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _event({**header, "object": "chat.completion.chunk", "choices": [choice], **extra})

    ended = False
    try:
        yield chunk({"role": "assistant", "content": ""})
        async for item in follow_answer(generations, owner_id=owner_id, message_id=message_id):
            if isinstance(item, Piece):
                yield chunk({"content": item.text})
                continue
            ended = True
            async for event in _ending(item, chunk, header, include_usage):
                yield event
    finally:
        if not ended:
            task = asyncio.create_task(request_stop(generations, message_id))
            _stopping.add(task)
            task.add_done_callback(_stopping.discard)


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
