"""A learner with a topic, a session and real uploaded material, and a way to run a turn."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents import Runner, set_tracing_disabled
from openai.types.responses import ResponseTextDeltaEvent

from db.engine import unit_of_work
from db.materials import library
from db.models import Message
from tests.factories import make_session, make_topic, make_user
from tutor.agent import MAX_TURNS, build_tutor_agent
from tutor.context import TutorContext

FIXTURES = Path(__file__).resolve().parents[1] / "data"

# Tests never export traces to OpenAI (the app does the same unless told otherwise).
set_tracing_disabled(True)


@dataclass
class Learner:
    user_id: int
    topic_id: int
    session_id: int
    material_id: int | None = None


@dataclass
class TurnResult:
    text: str
    deltas: list[str]
    tool_calls: list[dict[str, Any]]
    context: TutorContext
    usage: Any
    result: Any = None
    events: list[Any] = field(default_factory=list)


async def upload(harness, learner: Learner, filename: str, data: bytes) -> int:
    """Stores and processes material through the material pipeline (chunks + index)."""
    async with unit_of_work(harness.session_factory) as session:
        material = await library.create_material(
            session,
            owner_id=learner.user_id,
            topic_id=learner.topic_id,
            filename=filename,
            data=data,
        )
    processed = await library.process_material(
        harness.session_factory, None, material=material, data=data
    )
    assert processed.status == "READY", processed.error
    return material.id


async def make_learner(harness, *, mode: str = "EXPLAIN", chapter: str | None = None) -> Learner:
    user = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=user.id, title="Python control flow")
    session = await make_session(harness, owner_id=user.id, topic_id=topic.id, mode=mode)
    learner = Learner(user.id, topic.id, session.id)
    if chapter:
        learner.material_id = await upload(
            harness, learner, chapter, (FIXTURES / chapter).read_bytes()
        )
    return learner


async def add_message(harness, learner: Learner, role: str, content: str, **extra) -> Message:
    """A stored message row, as the turn runner writes them."""
    async with unit_of_work(harness.session_factory) as session:
        row = Message(
            owner_id=learner.user_id,
            session_id=learner.session_id,
            role=role,
            content=content,
            status=extra.pop("status", "COMPLETE"),
            mode=extra.pop("mode", "EXPLAIN"),
            **extra,
        )
        session.add(row)
        await session.flush()
        return row


async def run_turn(
    harness,
    learner: Learner,
    model,
    history: list[dict[str, str]],
    *,
    mode: str = "EXPLAIN",
    max_turns: int = MAX_TURNS,
    message_id: int | None = None,
    deltas_out: list[str] | None = None,
) -> TurnResult:
    """Runs the tutor agent streamed, as the turn runner does, and collects what it emitted."""
    if message_id is None:
        message_id = (await add_message(harness, learner, "ASSISTANT", "", status="PENDING")).id
    context = TutorContext(
        user_id=learner.user_id,
        session_id=learner.session_id,
        message_id=message_id,
        topic_id=learner.topic_id,
        mode=mode,
        session_factory=harness.session_factory,
        bus=harness.bus,
        clock=harness.clock,
    )
    agent = build_tutor_agent(mode=mode, model=model)
    result = Runner.run_streamed(agent, history, context=context, max_turns=max_turns)
    # The caller's list sees the deltas even when the run fails part way.
    deltas: list[str] = deltas_out if deltas_out is not None else []
    calls: dict[str, dict[str, Any]] = {}
    events = []
    async for event in result.stream_events():
        events.append(event)
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            deltas.append(event.data.delta)
        elif event.type == "run_item_stream_event" and event.name == "tool_called":
            raw = event.item.raw_item
            calls[raw.call_id] = {
                "call_id": raw.call_id,
                "name": raw.name,
                "arguments": raw.arguments,
            }
        elif event.type == "run_item_stream_event" and event.name == "tool_output":
            raw = event.item.raw_item
            call_id = raw["call_id"] if isinstance(raw, dict) else raw.call_id
            calls[call_id]["output"] = str(event.item.output)
    turn = TurnResult(
        text=str(result.final_output or ""),
        deltas=deltas,
        tool_calls=list(calls.values()),
        context=context,
        usage=result.context_wrapper.usage,
        result=result,
        events=events,
    )
    # One generation per session may run at a time: finish the row, as the runner does.
    await store_answer(harness, message_id, turn)
    return turn


async def store_answer(harness, message_id: int, turn: TurnResult) -> None:
    """Writes a finished turn onto its row the way the runner does (text + tool_calls JSON)."""
    async with unit_of_work(harness.session_factory) as session:
        row = await session.get(Message, message_id)
        row.content = turn.text
        row.status = "COMPLETE"
        row.tool_calls = [dict(call, status="COMPLETED") for call in turn.tool_calls]
        row.citations = list(turn.context.citations)
        session.add(row)
