"""Ending a turn: its terminal state written once, then its terminal event published."""

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from db.chat import generation_rows
from db.engine import unit_of_work
from db.models import Message
from tutor.citations import citations_to_store
from tutor.links import LinkPolicy, neutralise
from tutor.stream.drain import TurnOutcome
from tutor.stream.publish import flush_text, publish_event, terminal_event
from tutor.stream.settings import TurnRequest
from tutor.stream.state import TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)

# Pauses between attempts to store a turn's end (a database blip must not lose it).
FINISH_RETRY_PAUSES = (0.2, 1.0, 3.0)


async def finish(
    generations: "Generations", request: TurnRequest, state: TurnState, outcome: TurnOutcome
) -> None:
    """Publish the text still coalescing, store the turn's end (retrying a database
    blip) and tell its subscribers."""
    try:
        await flush_text(state)
    except Exception:
        # The end must be stored whatever happened to the held text; what is stored is
        # what was published, so the row and the stream still agree.
        logger.warning(
            "turn %s: publishing its last text failed", request.message_id, exc_info=True
        )
    terminal_seq = state.seq + 1
    row = await _store_end(generations, request, state, outcome, terminal_seq)
    if row is None:
        return
    event = terminal_event(
        message_id=request.message_id,
        session_id=request.session_id,
        seq=terminal_seq,
        status=outcome.status,
        failure=outcome.failure,
    )
    await publish_event(generations.bus, event)


def neutralised_quotes(citations, policy: LinkPolicy) -> list[dict[str, Any]]:
    """The citations to store, their quotes' links neutralised (a quote is shown as
    markdown like the answer, and comes from material anyone could have written)."""
    stored = []
    for citation in citations:
        quote = citation.get("quote")
        if isinstance(quote, str):
            citation = {**citation, "quote": neutralise(quote, policy)}
        stored.append(citation)
    return stored


async def _store_end(
    generations: "Generations",
    request: TurnRequest,
    state: TurnState,
    outcome: TurnOutcome,
    terminal_seq: int,
) -> Message | None:
    """The ended row; None if it ended elsewhere or could not be stored at all."""
    failure = outcome.failure
    for attempt, pause in enumerate((*FINISH_RETRY_PAUSES, None)):
        try:
            async with unit_of_work(generations.session_factory) as session:
                return await generation_rows.finish_generation(
                    session,
                    message_id=request.message_id,
                    status=outcome.status,
                    content=state.text,
                    tool_calls=[call.ended_unanswered() for call in state.tool_calls],
                    # Only what the answer cites, quotes checked against the material,
                    # and their links neutralised.
                    citations=neutralised_quotes(
                        citations_to_store(state.text, list(outcome.citations)),
                        generations.settings.link_policy,
                    ),
                    last_seq=terminal_seq,
                    input_tokens=outcome.usage[0],
                    output_tokens=outcome.usage[1],
                    error_code=failure.code if failure else None,
                    model=outcome.model,
                    now=generations.clock(),
                )
        except Exception:
            if pause is None:
                # The lease is no longer renewed: any process's reaper ends the turn
                # from its last flush once it lapses.
                logger.exception("turn %s: could not store its end", request.message_id)
                return None
            logger.warning(
                "turn %s: storing its end failed (attempt %d); retrying",
                request.message_id,
                attempt + 1,
                exc_info=True,
            )
            await asyncio.sleep(pause)
    return None  # pragma: no cover - the loop returns on its last attempt
