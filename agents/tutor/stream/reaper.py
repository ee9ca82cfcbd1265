"""Ending the turns of processes that died: their lease lapsed without renewal."""

import asyncio
import logging
from typing import TYPE_CHECKING

from db.chat import generation_rows
from db.chat.states import MessageStatus
from db.engine import unit_of_work
from db.models import Message
from tutor.failures import INTERRUPTED
from tutor.stream.publish import publish_event, terminal_event

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)


async def reap_forever(generations: "Generations") -> None:
    """Every reap_interval, fail the turns whose process stopped renewing them."""
    while True:
        await asyncio.sleep(generations.settings.reap_interval)
        try:
            await reap_once(generations)
        except Exception:
            logger.warning("reaper pass failed", exc_info=True)


async def reap_once(generations: "Generations") -> list[int]:
    """Fail the turns whose lease lapsed (their process died); returns their ids."""
    async with unit_of_work(generations.session_factory) as session:
        expired = await generation_rows.list_expired_generations(session, now=generations.clock())
    reaped = []
    for message in expired:
        if generations.running_here(message.id):
            continue  # ours and alive: the flusher renews it
        ended = await end_abandoned(generations, message, status=MessageStatus.FAILED)
        if ended is not None:
            reaped.append(message.id)
    return reaped


async def end_abandoned(
    generations: "Generations", message: Message, *, status: MessageStatus
) -> Message | None:
    """End another process's turn from its last flushed state and tell subscribers."""
    failure = INTERRUPTED if status == MessageStatus.FAILED else None
    async with unit_of_work(generations.session_factory) as session:
        row = await generation_rows.fail_abandoned_generation(
            session,
            message=message,
            status=status,
            error_code=failure.code if failure else None,
            now=generations.clock(),
        )
    if row is None:
        return None
    logger.warning("turn %s: its process is gone; marked %s", message.id, status)
    event = terminal_event(
        message_id=row.id,
        session_id=row.session_id,
        seq=row.last_seq,
        status=status,
        failure=failure,
    )
    await publish_event(generations.bus, event)
    return row
