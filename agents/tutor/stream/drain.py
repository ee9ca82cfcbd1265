"""Running the tutor once on one model and draining the SDK's stream into numbered events.

Two clocks bound a run: the turn's deadline (shared by every attempt, see `attempts`)
and the wait for the stream's next event: `model_call_timeout_seconds` until a model
call's first text arrives, `stream_idle_timeout_seconds` between its chunks after
that. A slow but steady answer is never cut; a silent provider is, early.
"""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents import RunConfig, Runner
from agents.result import RunResultStreaming

from db.chat import history
from db.chat.states import MessageStatus
from db.chat.tool_calls import ToolCall
from db.engine import unit_of_work
from db.models import Message
from tutor.agent import build_tutor_agent
from tutor.context import TutorContext
from tutor.failures import AnswerTooLong, TurnFailure
from tutor.links import neutralise
from tutor.stream.byte_bounds import TOOL_ARGUMENTS_STORED_BYTES, bounded_arguments
from tutor.stream.codec import EventType
from tutor.stream.publish import flush_text, publish_next, publish_text
from tutor.stream.settings import TurnRequest
from tutor.stream.state import TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)

Usage = tuple[int | None, int | None]


@dataclass(frozen=True)
class TurnOutcome:
    """How the run ended, before it is stored."""

    status: MessageStatus
    failure: TurnFailure | None = None
    usage: Usage = (None, None)
    citations: list[dict[str, Any]] = field(default_factory=list)
    # The `provider:model` that ran the last attempt (a fallback's, if one answered).
    model: str | None = None


def is_cancellation(error: BaseException) -> bool:
    """Whether an error is the SDK's run being cancelled (what a stop causes): a
    CancelledError, or an Exception the SDK raised while handling one (it carries a
    cancelled tool across tasks that way)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, asyncio.CancelledError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


async def tutor_context(
    generations: "Generations", request: TurnRequest
) -> tuple[TutorContext, list[dict[str, str]]]:
    """The tools' context, and the conversation from our own rows (read once for every
    attempt)."""
    async with unit_of_work(generations.session_factory) as session:
        answer = await session.get(Message, request.message_id)
        conversation = await history.build_history(session, answer=answer)
    if request.client_history is not None and conversation:
        # The API client's messages are the history; ours supplies only this question.
        conversation = [*request.client_history, conversation[-1]]
    context = TutorContext(
        user_id=request.user_id,
        session_id=request.session_id,
        message_id=request.message_id,
        topic_id=request.topic_id,
        mode=request.mode,
        session_factory=generations.session_factory,
        bus=generations.bus,
        clock=generations.clock,
        embedder=generations.embedder,
    )
    return context, conversation


def run_streamed(
    generations: "Generations",
    request: TurnRequest,
    context: TutorContext,
    conversation: list[dict[str, str]],
    model: str,
) -> RunResultStreaming:
    settings = generations.settings
    # No timeout on a model call as a whole: `drain` bounds the waits between chunks.
    agent = build_tutor_agent(mode=request.mode, model=generations.catalog.model_for(model))
    return Runner.run_streamed(
        agent,
        input=conversation,
        context=context,
        max_turns=settings.max_turns,
        run_config=RunConfig(tracing_disabled=not settings.tracing),
    )


async def drain(
    generations: "Generations",
    request: TurnRequest,
    state: TurnState,
    result: RunResultStreaming,
    context: TutorContext,
    deadline: float,
) -> None:
    """Publish the run's events until it ends; TimeoutError past the deadline or when
    the stream goes quiet too long."""
    settings = generations.settings
    first_wait = settings.model_call_timeout_seconds
    idle_wait = settings.stream_idle_timeout_seconds or first_wait
    awaiting_first_text = True
    try:
        async with (
            asyncio.timeout_at(deadline),
            contextlib.aclosing(result.stream_events()) as stream,
        ):
            while True:
                try:
                    async with asyncio.timeout(first_wait if awaiting_first_text else idle_wait):
                        event = await anext(stream)
                except StopAsyncIteration:
                    break
                kind = await _on_stream_event(generations, request, state, event, context)
                if kind == "text":
                    awaiting_first_text = False
                elif kind == "tool_output":
                    awaiting_first_text = True  # the next model call starts from scratch
    finally:
        if not result.is_complete:
            # A timeout or cancel that lands in our own awaits (a publish) never
            # reaches the SDK's run loop: stop the model and tools here.
            result.cancel()


async def _on_stream_event(
    generations: "Generations", request: TurnRequest, state: TurnState, event, context
) -> str | None:
    """Publish what the event says; "text" or "tool_output" for those, else None."""
    bus = generations.bus
    if event.type == "raw_response_event":
        data = event.data
        if getattr(data, "type", None) == "response.output_text.delta" and data.delta:
            await _append_text(generations, request, state, data.delta)
            return "text"
        return None
    if event.type != "run_item_stream_event" or event.name not in ("tool_called", "tool_output"):
        return None
    # The text before the call goes out first, and before the call joins the state.
    await flush_text(state)
    if event.name == "tool_called":
        call = _tool_call(event.item.raw_item)
        state.tool_calls.append(call)
        await publish_next(bus, request, state, EventType.TOOL_CALL, tool_call=call)
    elif event.name == "tool_output":
        raw = event.item.raw_item
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", "")
        for index, call in enumerate(state.tool_calls):
            if call.call_id == call_id:
                # The model had the output as it was; what is shown is neutralised too
                # (search_material quotes material that anyone could have written).
                output = neutralise(str(event.item.output), generations.settings.link_policy)
                # A tool that raised answered with its error: a FAILED call, not DONE.
                failed = call_id in context.failed_tool_calls
                ended = call.failed(output) if failed else call.returned(output)
                state.tool_calls[index] = ended
                await publish_next(bus, request, state, EventType.TOOL_CALL, tool_call=ended)
                break
        return "tool_output"
    return None


async def _append_text(
    generations: "Generations", request: TurnRequest, state: TurnState, delta: str
) -> None:
    """Publish the model's text, links neutralised; past the answer's size limit, what
    fits and then stop."""
    generations.observer.text_delta(request)
    delta = state.links.feed(delta)
    if not delta:
        return
    room = generations.settings.max_answer_bytes - state.text_bytes
    if len(delta.encode()) <= room:
        await publish_text(generations.bus, request, state, delta)
        return
    # Cut on a character boundary: a partial character's bytes are dropped.
    fitting = delta.encode()[: max(room, 0)].decode(errors="ignore")
    if fitting:
        await publish_text(generations.bus, request, state, fitting)
    raise AnswerTooLong(request.message_id)


def failed_steps_note(calls: list[ToolCall], failed_ids: set[str]) -> str:
    """What a complete answer adds when some of its tool calls failed."""
    names = sorted({call.name for call in calls if call.call_id in failed_ids}) or ["a tool"]
    return (
        f"\n\n(Note: a step of this answer failed ({', '.join(names)}), "
        "so it may be incomplete. Ask again to retry it.)"
    )


def _tool_call(raw: Any) -> ToolCall:
    arguments = _parse_arguments(getattr(raw, "arguments", None))
    return ToolCall(
        call_id=getattr(raw, "call_id", None) or getattr(raw, "id", ""),
        name=getattr(raw, "name", "tool"),
        # The row keeps a bounded preview of whatever a model sends as arguments.
        arguments=bounded_arguments(arguments, TOOL_ARGUMENTS_STORED_BYTES),
    )


def usage_of(result: RunResultStreaming) -> Usage:
    """The tokens the run's model calls reported; (None, None) when none did."""
    usage = result.context_wrapper.usage
    if not usage.requests:
        return None, None
    return usage.input_tokens, usage.output_tokens


def _parse_arguments(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments or {}
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return {"raw": arguments}
