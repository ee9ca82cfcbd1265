"""The offline tutor as an Agents SDK Model: each call either calls tools or answers."""

import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Usage
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from db.study.modes import TutorMode
from tutor.offline.meaning import meaning_scores
from tutor.offline.modes import answer
from tutor.offline.planning import ToolCallPlan, next_tool_calls, subject_of
from tutor.offline.reading import TurnInput, read_turn
from tutor.offline.stream import (
    approximate_usage,
    function_call_events,
    message_events,
    response,
)
from tutor.text import parse_passages


class LocalTutorModel(Model):
    """The offline default model (see the package docstring)."""

    def __init__(self, *, word_delay_seconds: float = 0.0) -> None:
        # A pause between streamed words, for demos and tests of live streaming.
        self.word_delay_seconds = word_delay_seconds

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: Any = None,
    ) -> ModelResponse:
        output, usage = await respond(system_instructions, input, tools)
        return ModelResponse(output=output, usage=usage, response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[Any],
        model_settings: ModelSettings,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: Any = None,
    ) -> AsyncIterator[Any]:
        output, usage = await respond(system_instructions, input, tools)
        counter = iter(range(1_000_000))
        yield ResponseCreatedEvent(
            type="response.created",
            response=response([], None, status="in_progress"),
            sequence_number=next(counter),
        )
        for index, item in enumerate(output):
            if isinstance(item, ResponseFunctionToolCall):
                for event in function_call_events(item, index, counter):
                    yield event
            else:
                async for event in message_events(
                    item, index, counter, word_delay_seconds=self.word_delay_seconds
                ):
                    yield event
        # The SDK takes the turn's output and usage from this event alone.
        yield ResponseCompletedEvent(
            type="response.completed",
            response=response(output, usage),
            sequence_number=next(counter),
        )


async def respond(
    instructions: str | None, input: str | list[Any], tools: list[Any]
) -> tuple[list[Any], Usage]:
    """One model call's output (tool calls, or the answer) and its approximate usage."""
    turn = read_turn(instructions or "", input, {tool.name for tool in tools})
    calls = next_tool_calls(turn)
    output: list[Any]
    if calls:
        output = _tool_call_items(calls, first=turn.calls_so_far)
        produced = " ".join(call.arguments for call in output)
    else:
        await _read_meaning(turn)
        text = answer(turn)
        output = [_message_item(text, number=turn.calls_so_far)]
        produced = text
    consumed = (instructions or "") + " " + json.dumps(input, default=str)
    return output, approximate_usage(consumed, produced)


async def _read_meaning(turn: TurnInput) -> None:
    """How close each quotable sentence is in meaning to what the turn is about."""
    passages = parse_passages(turn.outputs.get("search_material", ""))
    if turn.mode != TutorMode.QUIZ and passages:
        turn.meaning = await meaning_scores(subject_of(turn), passages)


def _tool_call_items(calls: list[ToolCallPlan], *, first: int) -> list[ResponseFunctionToolCall]:
    # Ids count the calls of the turn, so they stay unique across its model calls.
    return [
        ResponseFunctionToolCall(
            id=f"fc_local_{first + i}",
            call_id=f"call_local_{first + i}_{name}",
            type="function_call",
            name=name,
            arguments=json.dumps(arguments, sort_keys=True),
            status="completed",
        )
        for i, (name, arguments) in enumerate(calls)
    ]


def _message_item(text: str, *, number: int) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=f"msg_local_{number}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )
