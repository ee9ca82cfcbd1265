"""Running the tutor for one answer and draining the SDK's stream into numbered events.

Provider failures are retried, with back-off, only before the first event: once the
learner has seen part of an answer, a second attempt would contradict it.
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
from tutor.failures import TurnFailure, classify_failure
from tutor.stream.codec import EventType
from tutor.stream.publish import announce_messages, publish_next
from tutor.stream.settings import TurnRequest
from tutor.stream.state import RunHandle, TurnState

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


async def drive(
    generations: "Generations", request: TurnRequest, run: RunHandle, state: TurnState
) -> TurnOutcome:
    """Announce the turn's messages, run the tutor (retrying early failures), drain it."""
    await announce_messages(generations.bus, request)
    context, conversation = await _tutor_context(generations, request)
    settings = generations.settings
    attempt = 0
    while True:
        result = _run_streamed(generations, request, context, conversation)
        run.result = result
        try:
            await _drain(generations, request, state, result)
        except Exception as exc:
            if run.stop_requested:
                if not is_cancellation(exc):
                    # Not what a stop raises: a real failure that the stop hides.
                    logger.error(
                        "turn %s: unexpected error while stopping; ending it CANCELLED",
                        request.message_id,
                        exc_info=exc,
                    )
                break
            failure = classify_failure(exc)
            if not (failure.retryable and state.seq == 0 and attempt < settings.retry_attempts):
                failed = MessageStatus.FAILED
                return TurnOutcome(failed, failure, usage_of(result), context.citations)
            attempt += 1
            context.citations.clear()
            logger.info("turn %s: retrying after %s", request.message_id, failure.code)
            await asyncio.sleep(settings.retry_backoff_seconds * 2 ** (attempt - 1))
            if run.stop_requested:  # stopped during the back-off: no new call
                break
            continue
        break
    status = MessageStatus.CANCELLED if run.stop_requested else MessageStatus.COMPLETE
    return TurnOutcome(status, None, usage_of(result), context.citations)


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


async def _tutor_context(
    generations: "Generations", request: TurnRequest
) -> tuple[TutorContext, list[dict[str, str]]]:
    """The tools' context, and the conversation from our own rows (read once for every
    attempt)."""
    async with unit_of_work(generations.session_factory) as session:
        answer = await session.get(Message, request.message_id)
        conversation = await history.build_history(session, answer=answer)
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


def _run_streamed(
    generations: "Generations",
    request: TurnRequest,
    context: TutorContext,
    conversation: list[dict[str, str]],
) -> RunResultStreaming:
    settings = generations.settings
    agent = build_tutor_agent(
        mode=request.mode,
        model=generations.catalog.model_for(request.model),
        timeout_seconds=settings.model_call_timeout_seconds,
    )
    return Runner.run_streamed(
        agent,
        input=conversation,
        context=context,
        max_turns=settings.max_turns,
        run_config=RunConfig(tracing_disabled=not settings.tracing),
    )


async def _drain(
    generations: "Generations",
    request: TurnRequest,
    state: TurnState,
    result: RunResultStreaming,
) -> None:
    try:
        async with (
            asyncio.timeout(generations.settings.turn_timeout_seconds),
            contextlib.aclosing(result.stream_events()) as stream,
        ):
            async for event in stream:
                await _on_stream_event(generations, request, state, event)
    finally:
        if not result.is_complete:
            # A timeout or cancel that lands in our own awaits (a publish) never
            # reaches the SDK's run loop: stop the model and tools here.
            result.cancel()


async def _on_stream_event(
    generations: "Generations", request: TurnRequest, state: TurnState, event
) -> None:
    bus = generations.bus
    if event.type == "raw_response_event":
        data = event.data
        if getattr(data, "type", None) == "response.output_text.delta" and data.delta:
            state.parts.append(data.delta)
            await publish_next(bus, request, state, EventType.DELTA, delta=data.delta)
        return
    if event.type != "run_item_stream_event":
        return
    if event.name == "tool_called":
        call = _tool_call(event.item.raw_item)
        state.tool_calls.append(call)
        await publish_next(bus, request, state, EventType.TOOL_CALL, tool_call=call)
    elif event.name == "tool_output":
        raw = event.item.raw_item
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", "")
        for index, call in enumerate(state.tool_calls):
            if call.call_id == call_id:
                state.tool_calls[index] = returned = call.returned(str(event.item.output))
                await publish_next(bus, request, state, EventType.TOOL_CALL, tool_call=returned)
                break


def _tool_call(raw: Any) -> ToolCall:
    return ToolCall(
        call_id=getattr(raw, "call_id", None) or getattr(raw, "id", ""),
        name=getattr(raw, "name", "tool"),
        arguments=_parse_arguments(getattr(raw, "arguments", None)),
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
