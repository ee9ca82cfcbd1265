"""The turn runner: runs the tutor for one assistant message and drains its stream.

Each text delta, tool call and tool result becomes a MessageEvent with the next `seq`,
published on the message's and the session's channel. The text is flushed to the row
at least every `flush_interval` seconds together with the seq it covers, so the row is
always a consistent snapshot a late subscriber can start from. The turn ends COMPLETE,
CANCELLED or FAILED with the partial text kept, and a terminal event.

One `Generations` per process owns the running turns: it starts them, cancels them
when asked on any process (a control channel on the bus), renews their lease, and
fails the turns of processes that died (their lease lapsed).
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agents import RunConfig, Runner
from agents.result import RunResultStreaming

from db.chat import turns
from db.engine import SessionFactory, unit_of_work
from db.models import Message
from db.pubsub import Bus, SubscriberLagged
from tutor.agent import MAX_TURNS, build_tutor_agent
from tutor.context import TutorContext
from tutor.events import (
    ADDED,
    CONTROL_CHANNEL,
    DELTA,
    TERMINAL_TYPE_BY_STATUS,
    TOOL_CALL,
    MessageEventData,
    decode_cancel_request,
    encode_cancel_request,
    message_channel,
    session_channel,
)
from tutor.failures import TurnFailure, classify_failure
from tutor.providers import ModelCatalog

logger = logging.getLogger(__name__)

# How long a stop waits for the generating process to confirm it.
STOP_WAIT_SECONDS = 8.0
# Pauses between attempts to store a turn's end (a database blip must not lose it).
FINISH_RETRY_PAUSES = (0.2, 1.0, 3.0)
INTERRUPTED = TurnFailure(
    turns.INTERRUPTED, True, "the server running this answer stopped; ask again"
)


@dataclass(frozen=True)
class GenerationSettings:
    """Timings of running turns; tests shorten them."""

    # A turn's process renews its lease every lease/3 seconds; others fail it once
    # the lease has lapsed, checking every reap_interval: a dead process's turn is
    # FAILED within lease + reap_interval seconds.
    lease_seconds: float = 30.0
    reap_interval: float = 15.0
    flush_interval: float = 1.0
    max_turns: int = MAX_TURNS
    turn_timeout_seconds: float = 300.0
    model_call_timeout_seconds: float | None = 120.0
    # Provider failures are retried only before the first event, never mid-answer.
    retry_attempts: int = 2
    retry_backoff_seconds: float = 0.5
    # How long a stop waits for the model and tools to wind down before cancelling.
    stop_grace_seconds: float = 5.0
    tracing: bool = False


@dataclass(frozen=True)
class TurnRequest:
    """Everything a turn needs, read from the rows when the turn was created."""

    user_id: int
    session_id: int
    message_id: int
    topic_id: int | None
    mode: str
    model: str
    # Messages to announce (MessageAdded, seq 0) on sessionEvents before the first event.
    announce: tuple[int, ...] = ()


@dataclass
class _TurnState:
    """What the turn has produced so far; the row is flushed from this."""

    seq: int = 0
    parts: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    flushed_seq: int = 0
    # Another process ended this turn (our lease lapsed): publish nothing more, since
    # subscribers already have its terminal event.
    ended_elsewhere: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Run:
    task: asyncio.Task | None = None
    result: RunResultStreaming | None = None
    stop_requested: bool = False
    shutting_down: bool = False
    # Writing the terminal state: stops and shutdown must not cancel the task now, or
    # a finished answer would be left PENDING for the reaper to fail.
    finishing: bool = False


class Generations:
    """This process's running turns, and its share of watching other processes' turns."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        bus: Bus,
        catalog: ModelCatalog,
        clock: Callable[[], datetime],
        settings: GenerationSettings | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.bus = bus
        self.catalog = catalog
        self.clock = clock
        self.settings = settings or GenerationSettings()
        self._runs: dict[int, _Run] = {}
        self._watchers: list[asyncio.Task] = []
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, reap: bool = True) -> None:
        """Listen for stop requests from any process and (unless told not to) reap."""
        ready = asyncio.Event()
        listener = asyncio.create_task(self._listen_for_stops(ready), name="tutor-stop-listener")
        self._watchers = [listener]
        if reap:
            self._watchers.append(asyncio.create_task(self._reap_forever(), name="tutor-reaper"))
        # If the control channel cannot be subscribed, fail start-up instead of waiting.
        subscribed = asyncio.create_task(ready.wait())
        await asyncio.wait((listener, subscribed), return_when=asyncio.FIRST_COMPLETED)
        if not subscribed.done():
            subscribed.cancel()
            for watcher in self._watchers:
                watcher.cancel()
            listener.result()  # raises the subscribe error

    async def close(self) -> None:
        """End this process's turns as FAILED (INTERRUPTED): their stream stops here."""
        self._closing = True
        for watcher in self._watchers:
            watcher.cancel()
        for run in self._runs.values():
            run.shutting_down = True
            if run.task is not None and not run.finishing:
                run.task.cancel()
        tasks = [run.task for run in self._runs.values() if run.task is not None]
        await asyncio.gather(*self._watchers, *tasks, return_exceptions=True)

    def running_here(self, message_id: int) -> bool:
        return message_id in self._runs

    def __len__(self) -> int:
        return len(self._runs)

    # ------------------------------------------------------------------ turns

    def launch(self, request: TurnRequest) -> None:
        """Start the turn in the background; the registry holds the task until it ends."""
        if self._closing:
            raise RuntimeError("the server is shutting down")
        run = _Run()
        self._runs[request.message_id] = run
        run.task = asyncio.create_task(self._run(request, run), name=f"turn-{request.message_id}")

    async def request_stop(self, message_id: int) -> None:
        """Stop the turn wherever it runs: here directly, elsewhere via the bus."""
        if message_id in self._runs:
            self._stop_local(message_id)
        else:
            await self.bus.publish(CONTROL_CHANNEL, encode_cancel_request(message_id))

    async def stop(self, message: Message) -> Message:
        """Stop a running answer wherever it runs and return it as it ends.

        Waits (a bounded time) for the generating process to confirm; an answer nobody
        generates any more (its lease lapsed) is ended here.
        """
        async with self.bus.subscribe(message_channel(message.id)) as events:
            await self.request_stop(message.id)
            # It may have ended between the caller's read and our subscribing, in which
            # case no terminal event is coming.
            if (await self._reread(message)).status in turns.RUNNING_STATUSES:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STOP_WAIT_SECONDS):
                        await _until_terminal(events)
        row = await self._reread(message)
        lapsed = row.lease_expires_at is None or row.lease_expires_at < self.clock()
        if row.status in turns.RUNNING_STATUSES and lapsed:
            row = await self.end_abandoned(row, status=turns.CANCELLED) or row
        return row

    async def _reread(self, message: Message) -> Message:
        async with unit_of_work(self.session_factory) as session:
            return await turns.get_message(
                session, owner_id=message.owner_id, message_id=message.id
            )

    def _stop_local(self, message_id: int) -> None:
        run = self._runs.get(message_id)
        if run is None or run.stop_requested or run.finishing:
            return
        run.stop_requested = True
        if run.result is not None and not run.result.is_complete:
            # Stops the model stream and the running tools (a bare break would not).
            run.result.cancel()
        else:
            # Not started yet, or between attempts (a retry's back-off): nothing of the
            # SDK's runs, so cancelling our task is the whole stop.
            run.task.cancel()
        asyncio.get_running_loop().call_later(
            self.settings.stop_grace_seconds, self._force_stop, message_id
        )

    def _force_stop(self, message_id: int) -> None:
        run = self._runs.get(message_id)
        if run is None or run.finishing or run.task is None or run.task.done():
            return
        run.task.cancel()

    async def _run(self, request: TurnRequest, run: _Run) -> None:
        state = _TurnState()
        flusher = asyncio.create_task(self._flush_forever(request, state, run))
        cancelled = False
        usage: tuple[int | None, int | None] = (None, None)
        citations: list[dict[str, Any]] = []
        try:
            status, failure, usage, citations = await self._drive(request, run, state)
        except asyncio.CancelledError:
            cancelled = True
            status, failure = ("CANCELLED", None) if run.stop_requested else ("FAILED", INTERRUPTED)
        except Exception as exc:  # the runner itself failed: still end the turn
            status, failure = "FAILED", classify_failure(exc)
        finally:
            flusher.cancel()
        if usage == (None, None) and run.result is not None:
            # What the model reported before a stop or failure still counts.
            usage = _usage(run.result)
        run.finishing = True
        try:
            # Shielded: the terminal state is written even if the task is cancelled now.
            await asyncio.shield(
                self._finish(request, state, status, failure, usage=usage, citations=citations)
            )
        finally:
            self._runs.pop(request.message_id, None)
        if cancelled:
            raise asyncio.CancelledError

    async def _drive(self, request: TurnRequest, run: _Run, state: _TurnState):
        for message_id in request.announce:
            # seq 0: MessageAdded precedes the message's own events, which start at 1.
            added = MessageEventData(
                type=ADDED, message_id=message_id, session_id=request.session_id, seq=0
            )
            try:
                await self.bus.publish(session_channel(request.session_id), added.encode())
            except Exception:  # sessionEvents re-reads the session after a gap
                logger.warning("turn %s: announce failed", request.message_id, exc_info=True)
        async with unit_of_work(self.session_factory) as session:
            answer = await session.get(Message, request.message_id)
            history = await turns.build_history(session, answer=answer)
        context = TutorContext(
            user_id=request.user_id,
            session_id=request.session_id,
            message_id=request.message_id,
            topic_id=request.topic_id,
            mode=request.mode,
            session_factory=self.session_factory,
            bus=self.bus,
            clock=self.clock,
        )
        attempt = 0
        while True:
            agent = build_tutor_agent(
                mode=request.mode,
                model=self.catalog.model_for(request.model),
                timeout_seconds=self.settings.model_call_timeout_seconds,
            )
            result = Runner.run_streamed(
                agent,
                input=history,
                context=context,
                max_turns=self.settings.max_turns,
                run_config=RunConfig(tracing_disabled=not self.settings.tracing),
            )
            run.result = result
            try:
                try:
                    async with (
                        asyncio.timeout(self.settings.turn_timeout_seconds),
                        contextlib.aclosing(result.stream_events()) as stream,
                    ):
                        async for event in stream:
                            await self._on_stream_event(request, state, event)
                finally:
                    if not result.is_complete:
                        # A timeout or cancel that lands in our own awaits (a publish)
                        # never reaches the SDK's run loop: stop the model and tools here.
                        result.cancel()
            except Exception as exc:
                if run.stop_requested:
                    break
                failure = classify_failure(exc)
                if failure.retryable and state.seq == 0 and attempt < self.settings.retry_attempts:
                    attempt += 1
                    context.citations.clear()
                    logger.info("turn %s: retrying after %s", request.message_id, failure.code)
                    await asyncio.sleep(self.settings.retry_backoff_seconds * 2 ** (attempt - 1))
                    if run.stop_requested:  # stopped during the back-off: no new call
                        break
                    continue
                return "FAILED", failure, _usage(result), context.citations
            break
        status = "CANCELLED" if run.stop_requested else "COMPLETE"
        return status, None, _usage(result), context.citations

    async def _on_stream_event(self, request: TurnRequest, state: _TurnState, event) -> None:
        if event.type == "raw_response_event":
            data = event.data
            if getattr(data, "type", None) == "response.output_text.delta" and data.delta:
                state.parts.append(data.delta)
                await self._publish(request, state, DELTA, delta=data.delta)
            return
        if event.type != "run_item_stream_event":
            return
        if event.name == "tool_called":
            raw = event.item.raw_item
            call = {
                "call_id": getattr(raw, "call_id", None) or getattr(raw, "id", ""),
                "name": getattr(raw, "name", "tool"),
                "arguments": _parse_arguments(getattr(raw, "arguments", None)),
                "output": None,
                "status": "RUNNING",
            }
            state.tool_calls.append(call)
            await self._publish(request, state, TOOL_CALL, tool_call=dict(call))
        elif event.name == "tool_output":
            raw = event.item.raw_item
            call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", "")
            for call in state.tool_calls:
                if call["call_id"] == call_id:
                    call["output"] = str(event.item.output)
                    call["status"] = "DONE"
                    await self._publish(request, state, TOOL_CALL, tool_call=dict(call))
                    break

    async def _publish(self, request: TurnRequest, state: _TurnState, kind: str, **fields) -> None:
        if state.ended_elsewhere:
            return
        state.seq += 1
        payload = MessageEventData(
            type=kind,
            message_id=request.message_id,
            session_id=request.session_id,
            seq=state.seq,
            **fields,
        ).encode()
        await self._publish_payload(request, payload)

    async def _publish_payload(self, request: TurnRequest, payload: str) -> None:
        for channel in (message_channel(request.message_id), session_channel(request.session_id)):
            try:
                await self.bus.publish(channel, payload)
            except Exception:
                # Subscribers recover from the row (a gap in seq, or their liveness
                # re-read); the answer itself must not fail because a broadcast hiccupped.
                logger.warning("turn %s: publish failed", request.message_id, exc_info=True)

    async def _flush_forever(self, request: TurnRequest, state: _TurnState, run: _Run) -> None:
        renew_every = self.settings.lease_seconds / 3
        since_renewal = 0.0
        while True:
            await asyncio.sleep(self.settings.flush_interval)
            since_renewal += self.settings.flush_interval
            if state.seq == state.flushed_seq and since_renewal < renew_every:
                continue
            # Captured without an await in between: content, tool calls and seq agree.
            seq, content, tool_calls = state.seq, state.text, [dict(c) for c in state.tool_calls]
            lease = self.clock() + timedelta(seconds=self.settings.lease_seconds)
            try:
                async with unit_of_work(self.session_factory) as session:
                    still_running = await turns.save_progress(
                        session,
                        message_id=request.message_id,
                        content=content,
                        tool_calls=tool_calls,
                        last_seq=seq,
                        lease_expires_at=lease,
                    )
            except Exception:
                logger.warning("turn %s: flush failed", request.message_id, exc_info=True)
                continue
            state.flushed_seq = seq
            since_renewal = 0.0
            if not still_running:
                # Another process declared this turn dead (our lease lapsed): stop.
                logger.warning("turn %s ended elsewhere; stopping", request.message_id)
                state.ended_elsewhere = True
                self._stop_local(request.message_id)
                return

    async def _finish(
        self,
        request: TurnRequest,
        state: _TurnState,
        status: str,
        failure: TurnFailure | None,
        *,
        usage: tuple[int | None, int | None],
        citations: list[dict[str, Any]] | None = None,
    ) -> None:
        terminal_seq = state.seq + 1
        tool_calls = [
            {**call, "status": "FAILED"} if call["status"] == "RUNNING" else call
            for call in state.tool_calls
        ]
        for attempt, pause in enumerate((*FINISH_RETRY_PAUSES, None)):
            try:
                async with unit_of_work(self.session_factory) as session:
                    row = await turns.finish_generation(
                        session,
                        message_id=request.message_id,
                        status=status,
                        content=state.text,
                        tool_calls=tool_calls,
                        citations=list(citations or []),
                        last_seq=terminal_seq,
                        input_tokens=usage[0],
                        output_tokens=usage[1],
                        error_code=failure.code if failure else None,
                        now=self.clock(),
                    )
                break
            except Exception:
                if pause is None:
                    # The lease is no longer renewed: any process's reaper ends the turn
                    # from its last flush once it lapses.
                    logger.exception("turn %s: could not store its end", request.message_id)
                    return
                logger.warning(
                    "turn %s: storing its end failed (attempt %d); retrying",
                    request.message_id,
                    attempt + 1,
                    exc_info=True,
                )
                await asyncio.sleep(pause)
        if row is None:
            return  # already ended elsewhere (reaper or a stop of a lapsed lease)
        await self._publish_payload(
            request,
            MessageEventData(
                type=TERMINAL_TYPE_BY_STATUS[status],
                message_id=request.message_id,
                session_id=request.session_id,
                seq=terminal_seq,
                code=failure.code if failure else None,
                retryable=failure.retryable if failure else None,
            ).encode(),
        )

    # ------------------------------------------------------------------ other processes

    async def _listen_for_stops(self, ready: asyncio.Event) -> None:
        async with self.bus.subscribe(CONTROL_CHANNEL) as requests:
            ready.set()
            while True:
                try:
                    async for payload in requests:
                        message_id = decode_cancel_request(payload)
                        if message_id is not None:
                            self._stop_local(message_id)
                except Exception:
                    # A lag only drops stop requests, which callers repeat; keep going.
                    logger.warning("stop listener: missed requests", exc_info=True)

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reap_interval)
            try:
                await self.reap_once()
            except Exception:
                logger.warning("reaper pass failed", exc_info=True)

    async def reap_once(self) -> list[int]:
        """Fail the turns whose lease lapsed (their process died); returns their ids."""
        async with unit_of_work(self.session_factory) as session:
            expired = await turns.list_expired_generations(session, now=self.clock())
        reaped = []
        for message in expired:
            if message.id in self._runs:
                continue  # ours and alive: the flusher renews it
            ended = await self.end_abandoned(message, status="FAILED")
            if ended is not None:
                reaped.append(message.id)
        return reaped

    async def end_abandoned(self, message: Message, *, status: str) -> Message | None:
        """End another process's turn from its last flushed state and tell subscribers."""
        failure = INTERRUPTED if status == "FAILED" else None
        async with unit_of_work(self.session_factory) as session:
            row = await turns.fail_abandoned_generation(
                session,
                message=message,
                status=status,
                error_code=failure.code if failure else None,
                now=self.clock(),
            )
        if row is None:
            return None
        logger.warning("turn %s: its process is gone; marked %s", message.id, status)
        request = TurnRequest(
            user_id=row.owner_id,
            session_id=row.session_id,
            message_id=row.id,
            topic_id=None,
            mode=row.mode,
            model=row.model or "",
        )
        await self._publish_payload(
            request,
            MessageEventData(
                type=TERMINAL_TYPE_BY_STATUS[status],
                message_id=row.id,
                session_id=row.session_id,
                seq=row.last_seq,
                code=failure.code if failure else None,
                retryable=failure.retryable if failure else None,
            ).encode(),
        )
        return row


async def _until_terminal(events) -> None:
    while True:
        try:
            async for payload in events:
                if MessageEventData.decode(payload).terminal:
                    return
        except SubscriberLagged:  # the row read that follows tells the truth
            return


def _usage(result: RunResultStreaming) -> tuple[int | None, int | None]:
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
