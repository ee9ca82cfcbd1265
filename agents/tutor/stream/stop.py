"""Stopping an answer from any process: the request travels on the control channel to
the process generating it, and the caller waits (a bounded time) to see it end."""

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from db.channels import CONTROL_CHANNEL, message_channel
from db.chat import messages
from db.chat.states import RUNNING_STATUSES, MessageRole, MessageStatus
from db.errors import BadUserInput
from db.models import Message
from db.pubsub import SubscriberLagged
from tutor.stream.codec import MessageEventData, decode_cancel_request, encode_cancel_request
from tutor.stream.reaper import end_abandoned

if TYPE_CHECKING:
    from tutor.stream.generations import Generations

logger = logging.getLogger(__name__)

# How long a stop waits for the generating process to confirm it.
STOP_WAIT_SECONDS = 8.0


async def stop_answer(generations: "Generations", *, owner_id: int, message_id: int) -> Message:
    """stopGeneration: the caller's answer, stopped if it was running, as it ends."""
    row = await messages.read_message(
        generations.session_factory, owner_id=owner_id, message_id=message_id
    )
    if row.role != MessageRole.ASSISTANT:
        raise BadUserInput("only the tutor's answers can be stopped", field="messageId")
    if row.status in RUNNING_STATUSES:
        row = await stop(generations, row)
    return row


async def request_stop(generations: "Generations", message_id: int) -> None:
    """Stop the turn wherever it runs: here directly, elsewhere via the bus."""
    if generations.running_here(message_id):
        generations.stop_here(message_id)
    else:
        await generations.bus.publish(CONTROL_CHANNEL, encode_cancel_request(message_id))


async def stop(generations: "Generations", message: Message) -> Message:
    """Stop a running answer wherever it runs and return it as it ends.

    Waits (a bounded time) for the generating process to confirm; an answer nobody
    generates any more (its lease lapsed) is ended here.
    """
    async with generations.bus.subscribe(message_channel(message.id)) as events:
        await request_stop(generations, message.id)
        # It may have ended between the caller's read and our subscribing, in which
        # case no terminal event is coming.
        if (await _reread(generations, message)).status in RUNNING_STATUSES:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_WAIT_SECONDS):
                    await _until_terminal(events)
    row = await _reread(generations, message)
    lapsed = row.lease_expires_at is None or row.lease_expires_at < generations.clock()
    if row.status in RUNNING_STATUSES and lapsed:
        row = await end_abandoned(generations, row, status=MessageStatus.CANCELLED) or row
    return row


async def listen_for_stops(generations: "Generations", ready: asyncio.Event) -> None:
    """Act on the stop requests of every process for the turns running here."""
    async with generations.bus.subscribe(CONTROL_CHANNEL) as requests:
        ready.set()
        while True:
            try:
                async for payload in requests:
                    message_id = decode_cancel_request(payload)
                    if message_id is not None:
                        generations.stop_here(message_id)
            except Exception:
                # A lag only drops stop requests, which callers repeat; keep going.
                logger.warning("stop listener: missed requests", exc_info=True)


async def _reread(generations: "Generations", message: Message) -> Message:
    return await messages.read_message(
        generations.session_factory, owner_id=message.owner_id, message_id=message.id
    )


async def _until_terminal(events) -> None:
    while True:
        try:
            async for payload in events:
                if MessageEventData.decode(payload).terminal:
                    return
        except SubscriberLagged:  # the row read that follows tells the truth
            return
