"""Putting a turn's events on the bus: numbered, on both of its channels, never fatal."""

import logging

from db.channels import message_channel, session_channel
from db.chat.states import MessageStatus
from db.pubsub import Bus
from db.throttled_log import ThrottledWarning
from tutor.failures import TurnFailure
from tutor.stream.byte_bounds import DELTA_EVENT_BYTES, split_by_bytes
from tutor.stream.codec import TERMINAL_TYPE_BY_STATUS, EventType, MessageEventData
from tutor.stream.settings import TurnRequest
from tutor.stream.state import TurnState

logger = logging.getLogger(__name__)
# One process-wide reporter: during a backend outage every turn's publishes fail alike.
_publish_failures = ThrottledWarning(logger)


async def announce_messages(bus: Bus, request: TurnRequest) -> None:
    """MessageAdded (seq 0) for the turn's new messages, before the answer's own events."""
    for message_id in request.announce:
        added = MessageEventData(
            type=EventType.ADDED, message_id=message_id, session_id=request.session_id, seq=0
        )
        try:
            await bus.publish(session_channel(request.session_id), added.encode())
        except Exception as error:  # sessionEvents re-reads the session after a gap
            _publish_failures.warn(f"turn {request.message_id}: announce failed", error)


async def publish_next(
    bus: Bus, request: TurnRequest, state: TurnState, kind: EventType, **fields
) -> None:
    """The turn's next event, with the next seq (nothing once it ended elsewhere); any
    other event than a delta publishes the coalesced text first, so order is kept."""
    if kind != EventType.DELTA:
        await flush_text(state)
    if state.ended_elsewhere:
        return
    state.seq += 1
    event = MessageEventData(
        type=kind,
        message_id=request.message_id,
        session_id=request.session_id,
        seq=state.seq,
        **fields,
    )
    await publish_event(bus, event)


async def publish_text(bus: Bus, request: TurnRequest, state: TurnState, text: str) -> None:
    """Append model text to the answer: through the turn's coalescer (which merges the
    deltas of a window into one event), or at once when it has none."""
    state.text_bytes += len(text.encode())
    if state.coalescer is None:
        await publish_text_now(bus, request, state, text)
    else:
        await state.coalescer.add(text)


async def flush_text(state: TurnState) -> None:
    """Publish the text still coalescing: before the state changes in any other way
    (a row flush must never see a tool call or an end its seq does not cover yet)."""
    if state.coalescer is not None:
        await state.coalescer.flush()


async def publish_text_now(bus: Bus, request: TurnRequest, state: TurnState, text: str) -> None:
    """Text as delta events, a long one split so that each event fits the bus. Each
    piece joins the text together with its seq (no await in between), so a flush never
    stores text its seq does not cover."""
    for piece in split_by_bytes(text, DELTA_EVENT_BYTES):
        state.parts.append(piece)
        await publish_next(bus, request, state, EventType.DELTA, delta=piece)


async def release_held_text(bus: Bus, request: TurnRequest, state: TurnState) -> None:
    """Publish what the link guard held back, once the model's text has ended."""
    held = state.links.flush()
    if held:
        await publish_text(bus, request, state, held)


def terminal_event(
    *,
    message_id: int,
    session_id: int,
    seq: int,
    status: MessageStatus,
    failure: TurnFailure | None,
) -> MessageEventData:
    """The event that ends a message's stream."""
    return MessageEventData(
        type=TERMINAL_TYPE_BY_STATUS[status],
        message_id=message_id,
        session_id=session_id,
        seq=seq,
        code=failure.code if failure else None,
        retryable=failure.retryable if failure else None,
    )


async def publish_event(bus: Bus, event: MessageEventData) -> None:
    """One event on the message's channel and on its session's."""
    payload = event.encode()
    for channel in (message_channel(event.message_id), session_channel(event.session_id)):
        try:
            await bus.publish(channel, payload)
        except Exception as error:
            # Subscribers recover from the row (a gap in seq, or their liveness
            # re-read); the answer itself must not fail because a broadcast hiccupped.
            _publish_failures.warn(f"turn {event.message_id}: publish failed", error)
