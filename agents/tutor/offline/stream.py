"""The Responses API objects and stream events the SDK expects from a Model.

The SDK takes a streamed turn's output and usage from its final ResponseCompletedEvent
alone; the events before it are what listeners (our turn runner) see live.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from agents import Usage
from openai.types.responses import (
    Response,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from tutor.offline.wording import LOCAL_MODEL_ID
from tutor.text import words_with_spaces

Counter = Iterator[int]


def approximate_usage(consumed: str, produced: str) -> Usage:
    """One request's token usage, approximated from word counts (words * 4 / 3)."""
    input_tokens = _approximate_tokens(consumed)
    output_tokens = _approximate_tokens(produced)
    return Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )


def _approximate_tokens(text: str) -> int:
    return (len(text.split()) * 4 + 2) // 3


def response(output: list[Any], usage: Usage | None, *, status: str = "completed") -> Response:
    """The Responses API object of one model call."""
    return Response(
        id="resp_local",
        created_at=0,
        model=LOCAL_MODEL_ID,
        object="response",
        output=output,
        tool_choice="auto",
        tools=[],
        top_p=None,
        parallel_tool_calls=False,
        status=status,
        usage=None if usage is None else _response_usage(usage),
    )


def _response_usage(usage: Usage) -> ResponseUsage:
    return ResponseUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
    )


def function_call_events(item: ResponseFunctionToolCall, index: int, counter: Counter) -> list[Any]:
    """The events of one tool call: added, its arguments in one delta, done."""
    return [
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            item=item.model_copy(update={"arguments": "", "status": "in_progress"}),
            output_index=index,
            sequence_number=next(counter),
        ),
        ResponseFunctionCallArgumentsDeltaEvent(
            type="response.function_call_arguments.delta",
            item_id=item.id,
            output_index=index,
            delta=item.arguments,
            sequence_number=next(counter),
        ),
        ResponseFunctionCallArgumentsDoneEvent.model_validate(
            {
                "type": "response.function_call_arguments.done",
                "item_id": item.id,
                "output_index": index,
                "arguments": item.arguments,
                "name": item.name,
                "sequence_number": next(counter),
            }
        ),
        ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=next(counter),
        ),
    ]


async def message_events(
    item: ResponseOutputMessage, index: int, counter: Counter, *, word_delay_seconds: float
) -> AsyncIterator[Any]:
    """The events of one text message, one delta per word."""
    text = item.content[0].text
    yield ResponseOutputItemAddedEvent(
        type="response.output_item.added",
        item=item.model_copy(update={"content": [], "status": "in_progress"}),
        output_index=index,
        sequence_number=next(counter),
    )
    yield ResponseContentPartAddedEvent(
        type="response.content_part.added",
        item_id=item.id,
        output_index=index,
        content_index=0,
        part=ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[]),
        sequence_number=next(counter),
    )
    for word in words_with_spaces(text):
        yield _text_delta(item, index, counter, word)
        # Always yield to the loop: a cancel (stopGeneration) lands between words.
        await asyncio.sleep(word_delay_seconds)
    for event in _message_done_events(item, index, counter, text):
        yield event


def _text_delta(item: ResponseOutputMessage, index: int, counter: Counter, word: str) -> Any:
    return ResponseTextDeltaEvent(
        type="response.output_text.delta",
        item_id=item.id,
        output_index=index,
        content_index=0,
        delta=word,
        logprobs=[],
        sequence_number=next(counter),
    )


def _message_done_events(
    item: ResponseOutputMessage, index: int, counter: Counter, text: str
) -> list[Any]:
    return [
        ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item.id,
            output_index=index,
            content_index=0,
            text=text,
            logprobs=[],
            sequence_number=next(counter),
        ),
        ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item.id,
            output_index=index,
            content_index=0,
            part=item.content[0],
            sequence_number=next(counter),
        ),
        ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=next(counter),
        ),
    ]
