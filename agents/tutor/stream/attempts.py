"""A turn's attempts: retries of one model, then the fallback models, within one deadline.

Provider failures are retried, with back-off, only before the first event: once the
learner has seen part of an answer, a second attempt would contradict it. When the
chosen model still fails before its first event, the configured fallbacks are tried in
order (each with its own retries). The turn timeout bounds all of it together: no
attempt starts, and none runs, past the turn's deadline.
"""

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from db.chat.states import FailureCode, MessageStatus
from tutor.context import TutorContext
from tutor.failures import TurnFailure, classify_failure
from tutor.stream.drain import (
    TurnOutcome,
    drain,
    failed_steps_note,
    is_cancellation,
    run_streamed,
    tutor_context,
    usage_of,
)
from tutor.stream.publish import announce_messages, publish_text, release_held_text
from tutor.stream.settings import TurnRequest
from tutor.stream.state import RunHandle, TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)


async def drive(
    generations: "Generations", request: TurnRequest, run: RunHandle, state: TurnState
) -> TurnOutcome:
    """Announce the turn's messages, run the tutor (retrying early failures, then
    falling back to other models), drain it."""
    await announce_messages(generations.bus, request)
    context, conversation = await tutor_context(generations, request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + generations.settings.turn_timeout_seconds
    outcome = TurnOutcome(MessageStatus.FAILED)
    for model in models_to_try(request.model, generations.settings.model_fallbacks):
        context.citations.clear()
        context.failed_tool_calls.clear()
        state.links.reset()  # text held back from a failed attempt was never shown
        outcome = await _try_model(
            generations, request, run, state, context, conversation, model, deadline
        )
        failed_early = outcome.status == MessageStatus.FAILED and state.seq == 0
        if not failed_early or run.stop_requested or loop.time() >= deadline:
            break
        logger.info(
            "turn %s: %s failed before its first token (%s); trying the next model",
            request.message_id,
            model,
            outcome.failure.code if outcome.failure else "?",
        )
    if outcome.status == MessageStatus.COMPLETE:
        await release_held_text(generations.bus, request, state)
    if outcome.status == MessageStatus.FAILED and state.seq == 0:
        outcome = replace(outcome, model=None)  # no model answered: the row keeps the chosen
    if outcome.status == MessageStatus.COMPLETE and context.failed_tool_calls:
        # The learner must know a step is missing, whatever the model said about it.
        note = failed_steps_note(state.tool_calls, context.failed_tool_calls)
        await publish_text(generations.bus, request, state, note)
    return outcome


def models_to_try(chosen: str, fallbacks: tuple[str, ...]) -> list[str]:
    """The chosen model, then each fallback once (the chosen one is not tried twice)."""
    ordered = [chosen]
    for model in fallbacks:
        if model not in ordered:
            ordered.append(model)
    return ordered


async def _try_model(
    generations: "Generations",
    request: TurnRequest,
    run: RunHandle,
    state: TurnState,
    context: TutorContext,
    conversation: list[dict[str, str]],
    model: str,
    deadline: float,
) -> TurnOutcome:
    """One model with its retries: COMPLETE, CANCELLED or FAILED (with why)."""
    settings = generations.settings
    loop = asyncio.get_running_loop()
    attempt = 0
    while True:
        result = run_streamed(generations, request, context, conversation, model)
        run.result = result
        try:
            await drain(generations, request, state, result, context, deadline)
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
            failure = _turn_failure(exc, loop.time() >= deadline)
            generations.observer.failed_attempt(request, failure)
            pause = settings.retry_backoff_seconds * 2**attempt
            may_retry = failure.retryable and state.seq == 0 and attempt < settings.retry_attempts
            if not may_retry or loop.time() + pause >= deadline:
                failed = MessageStatus.FAILED
                return TurnOutcome(failed, failure, usage_of(result), context.citations, model)
            attempt += 1
            context.citations.clear()
            context.failed_tool_calls.clear()
            state.links.reset()
            logger.info("turn %s: retrying after %s", request.message_id, failure.code)
            await asyncio.sleep(pause)
            if run.stop_requested:  # stopped during the back-off: no new call
                break
            continue
        break
    status = MessageStatus.CANCELLED if run.stop_requested else MessageStatus.COMPLETE
    return TurnOutcome(status, None, usage_of(result), context.citations, model)


def _turn_failure(exc: BaseException, past_deadline: bool) -> TurnFailure:
    if past_deadline:
        return TurnFailure(FailureCode.TIMEOUT, "the answer took longer than a turn may")
    return classify_failure(exc)
