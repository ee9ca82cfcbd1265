"""The background task of one turn: drive it (the process's flusher writes its progress
meanwhile), then end it."""

import asyncio
import functools
from dataclasses import replace
from typing import TYPE_CHECKING

from db.chat.states import MessageStatus
from tutor.failures import INTERRUPTED, classify_failure
from tutor.links import LinkGuard
from tutor.stream.attempts import drive
from tutor.stream.coalesce import TextCoalescer
from tutor.stream.drain import TurnOutcome, usage_of
from tutor.stream.finish import finish
from tutor.stream.publish import publish_text_now, release_held_text
from tutor.stream.settings import TurnRequest
from tutor.stream.state import RunHandle, TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations


async def run_turn(generations: "Generations", request: TurnRequest, run: RunHandle) -> None:
    """Run the turn to its end; its end is stored even if the task is cancelled."""
    generations.observer.started(request)
    state = TurnState(links=LinkGuard(generations.settings.link_policy))
    state.coalescer = TextCoalescer(
        generations.settings.coalesce_window_seconds,
        functools.partial(publish_text_now, generations.bus, request, state),
    )
    generations.flusher.add(request, state)
    cancelled = False
    try:
        outcome = await drive(generations, request, run, state)
    except asyncio.CancelledError:
        cancelled = True
        if run.stop_requested:
            outcome = TurnOutcome(MessageStatus.CANCELLED)
        else:
            outcome = TurnOutcome(MessageStatus.FAILED, INTERRUPTED)
    except Exception as exc:  # the runner itself failed: still end the turn
        outcome = TurnOutcome(MessageStatus.FAILED, classify_failure(exc))
    finally:
        generations.flusher.remove(request.message_id)
    if outcome.usage == (None, None) and run.result is not None:
        # What the model reported before a stop or failure still counts.
        outcome = replace(outcome, usage=usage_of(run.result))
    generations.observer.ended(request, outcome)
    run.finishing = True
    if not cancelled:
        # What the link guard still holds (a construct left open) is part of the answer.
        await release_held_text(generations.bus, request, state)
    try:
        # Shielded: the terminal state is written even if the task is cancelled now.
        await asyncio.shield(finish(generations, request, state, outcome))
    finally:
        generations.forget(request.message_id)
    if cancelled:
        raise asyncio.CancelledError
