"""A learner with a topic, a session and real uploaded material, and a way to run a turn.

`run_turn` drives the real turn machinery (the runner sendMessage launches), never a
copy of it: what a test checks is what the runner stored on the row and published.
"""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from agents import set_tracing_disabled
from agents.models.interface import Model

from db.engine import unit_of_work
from db.materials import library
from db.models import Message
from schema.relay import to_global_id
from tests.chat.helpers import MESSAGE_EVENTS, subscribe
from tests.factories import make_message, make_session, make_topic, make_user
from tests.harness import TEST_GENERATION_SETTINGS
from tests.materials.helpers import DATA
from tutor.agent import MAX_TURNS
from tutor.providers import ModelCatalog
from tutor.stream.generations import Generations
from tutor.stream.settings import TurnRequest

# Long enough for a turn on a busy machine; a stuck turn fails the test, not the run.
TURN_SECONDS = 60
LEASE = timedelta(seconds=TEST_GENERATION_SETTINGS.lease_seconds)

# Tests never export traces to OpenAI (the app does the same unless told otherwise).
set_tracing_disabled(True)


@dataclass
class Learner:
    user_id: int
    topic_id: int
    session_id: int
    material_id: int | None = None


@dataclass
class Turn:
    """One finished turn: its stored row and the events the runner published for it."""

    row: Message
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.row.content

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return self.row.tool_calls or []

    @property
    def citations(self) -> list[dict[str, Any]]:
        return self.row.citations or []

    @property
    def deltas(self) -> list[str]:
        return [e["delta"] for e in self.events if e["__typename"] == "MessageDelta"]

    @property
    def terminal(self) -> dict[str, Any]:
        return self.events[-1]


class OneModelCatalog(ModelCatalog):
    """Serves the test's model under any checked name."""

    def __init__(self, model: Model) -> None:
        super().__init__(default_model="local:tutor", providers={}, request_timeout_seconds=5)
        self.model = model

    def model_for(self, name: str) -> Model:
        self.check(name)
        return self.model


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
        learner.material_id = await upload(harness, learner, chapter, (DATA / chapter).read_bytes())
    return learner


async def add_message(harness, learner: Learner, role: str, content: str, **extra) -> Message:
    """A stored message row of the learner's session (COMPLETE unless told otherwise)."""
    return await make_message(
        harness,
        owner_id=learner.user_id,
        session_id=learner.session_id,
        role=role,
        content=content,
        **extra,
    )


async def run_turn(
    harness,
    learner: Learner,
    model: Model,
    history: list[dict[str, str]],
    *,
    mode: str = "EXPLAIN",
    max_turns: int = MAX_TURNS,
    coalesce_window_seconds: float | None = None,
) -> Turn:
    """Runs one turn through the real runner and returns what it stored and published.

    `coalesce_window_seconds=0` publishes each of the model's deltas as its own event
    (for tests of what the model streams); by default the runner's window merges them.

    The history is stored as a chain of rows ending in a PENDING answer, as sendMessage
    leaves them (so a test can branch, as regenerate does); the runner builds the model's
    input from them. Provider failures are not retried, so a test sees each request.
    """
    parent_id = None
    for item in history:
        role = "USER" if item["role"] == "user" else "ASSISTANT"
        parent = await add_message(
            harness, learner, role, item["content"], mode=mode, parent_id=parent_id
        )
        parent_id = parent.id
    answer = await add_message(
        harness, learner, "ASSISTANT", "", status="PENDING", mode=mode, parent_id=parent_id,
        model="local:tutor", lease_expires_at=harness.clock() + LEASE,
    )  # fmt: skip
    generations = Generations(
        session_factory=harness.session_factory,
        bus=harness.bus,
        catalog=OneModelCatalog(model),
        clock=harness.clock,
        settings=replace(
            TEST_GENERATION_SETTINGS,
            max_turns=max_turns,
            retry_attempts=0,
            coalesce_window_seconds=(
                TEST_GENERATION_SETTINGS.coalesce_window_seconds
                if coalesce_window_seconds is None
                else coalesce_window_seconds
            ),
        ),
    )
    await generations.start(reap=False)
    try:
        # Subscribed before the turn starts, so every delta arrives as its own event.
        subscribed = harness.bus.subscriber_count()
        events = asyncio.create_task(_events_until_the_end(harness, learner, answer.id))
        await harness.subscribers_beyond(subscribed)
        generations.launch(
            TurnRequest(
                user_id=learner.user_id,
                session_id=learner.session_id,
                message_id=answer.id,
                topic_id=learner.topic_id,
                mode=mode,
                model="local:tutor",
            )
        )
        published = await events
    finally:
        await generations.close()
    async with unit_of_work(harness.session_factory) as session:
        row = await session.get(Message, answer.id)
    return Turn(row=row, events=published)


async def _events_until_the_end(harness, learner: Learner, message_id: int) -> list[dict]:
    variables = {"id": to_global_id("Message", message_id), "after": 0}
    stream = await subscribe(harness, learner.user_id, MESSAGE_EVENTS, variables)
    events = []
    async with asyncio.timeout(TURN_SECONDS):
        async for result in stream:  # the subscription completes after the terminal event
            assert result.errors is None, result.errors
            events.append(result.data["messageEvents"])
    return events
