"""Streamed chunks built by pydantic's core equal what the openai library builds."""

import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tutor.stream_client import StreamingClient

BASE = {"id": "c1", "object": "chat.completion.chunk", "created": 1700000000, "model": "m"}

CHUNKS = {
    "role first": {**BASE, "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
    "text delta": {
        **BASE,
        "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
    },
    "null content": {**BASE, "choices": [{"index": 0, "delta": {"content": None}}]},
    "tool call": {
        **BASE,
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "search_material", "arguments": '{"q":'},
                        }
                    ]
                },
            }
        ],
    },
    "finish with usage": {
        **BASE,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    },
    "usage only": {
        **BASE,
        "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    },
    "provider extras": {
        **BASE,
        "provider": "SomeHost",
        "choices": [
            {"index": 0, "delta": {"content": "x", "reasoning": "y"}, "native_finish_reason": None}
        ],
    },
    # Not a valid chunk for the types (an unknown finish reason, a missing model): built
    # leniently, as the library always did.
    "unknown finish reason": {
        **BASE,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "eos"}],
    },
    "missing model": {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "choices": [{"index": 0, "delta": {"content": "x"}}],
    },
}


def build(client_class, data, cast_to=ChatCompletionChunk):
    client = client_class(base_url="http://127.0.0.1:9/v1", api_key="unused")
    return client._process_response_data(data=data, cast_to=cast_to, response=None)


@pytest.mark.parametrize("name", list(CHUNKS))
def test_a_chunk_is_the_same_object_either_way(name):
    data = CHUNKS[name]
    ours, theirs = build(StreamingClient, data), build(AsyncOpenAI, data)
    assert type(ours) is type(theirs) is ChatCompletionChunk
    assert ours.model_dump() == theirs.model_dump()
    # Serialised alike, whichever way it is dumped (extras included).
    assert ours.model_dump(exclude_unset=True) == theirs.model_dump(exclude_unset=True)
    # What the Agents SDK reads of a chunk.
    for mine, library in zip(ours.choices, theirs.choices, strict=True):
        assert mine.delta.content == library.delta.content
        assert mine.delta.tool_calls == library.delta.tool_calls
        assert mine.finish_reason == library.finish_reason
    assert ours.usage == theirs.usage


def test_a_chunk_that_does_not_validate_is_still_built():
    chunk = build(StreamingClient, CHUNKS["unknown finish reason"])
    assert chunk.choices[0].finish_reason == "eos"


def test_other_types_take_the_librarys_path():
    data = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop",
            }
        ],
    }
    ours = build(StreamingClient, data, ChatCompletion)
    assert ours.model_dump() == build(AsyncOpenAI, data, ChatCompletion).model_dump()
