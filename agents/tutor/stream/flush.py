"""Flushing a running turn's text to its row, with the seq it covers, and renewing its lease.

The row is what late and lagging subscribers start from (a MessageSnapshot), so the
text, tool calls and seq written together must agree.
"""

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from db.chat import generation_rows
from db.engine import unit_of_work
from tutor.stream.settings import TurnRequest
from tutor.stream.state import TurnState

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)


async def flush_forever(generations: "Generations", request: TurnRequest, state: TurnState) -> None:
    """Flush every flush_interval while there is news, and at least every lease/3 seconds."""
    settings = generations.settings
    renew_every = settings.lease_seconds / 3
    since_renewal = 0.0
    while True:
        await asyncio.sleep(settings.flush_interval)
        since_renewal += settings.flush_interval
        if state.seq == state.flushed_seq and since_renewal < renew_every:
            continue
        try:
            still_running = await _flush_once(generations, request, state)
        except Exception:
            logger.warning("turn %s: flush failed", request.message_id, exc_info=True)
            continue
        since_renewal = 0.0
        if not still_running:
            # Another process declared this turn dead (our lease lapsed): stop.
            logger.warning("turn %s ended elsewhere; stopping", request.message_id)
            state.ended_elsewhere = True
            generations.stop_here(request.message_id)
            return


async def _flush_once(generations: "Generations", request: TurnRequest, state: TurnState) -> bool:
    """Write the state and renew the lease; False if the turn is no longer running."""
    # Captured without an await in between: content, tool calls and seq agree.
    seq, content, tool_calls = state.seq, state.text, list(state.tool_calls)
    lease = generations.clock() + timedelta(seconds=generations.settings.lease_seconds)
    async with unit_of_work(generations.session_factory) as session:
        still_running = await generation_rows.save_progress(
            session,
            message_id=request.message_id,
            content=content,
            tool_calls=tool_calls,
            last_seq=seq,
            lease_expires_at=lease,
        )
    state.flushed_seq = seq
    return still_running
