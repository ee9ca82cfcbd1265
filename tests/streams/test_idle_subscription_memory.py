"""What an idle subscription keeps alive (bench/subscription_memory.py measures the bytes).

A sessionEvents subscription waiting for its next event holds its operation's hooks,
its follower and its bus subscription, possibly for hours; these tests pin what each
no longer holds: finished extension hooks, the follower's database session, an empty
queue's storage.
"""

import asyncio
import contextlib
import gc
import types
from collections import deque

from sqlalchemy.ext.asyncio import AsyncSession

from schema.relay import to_global_id
from schema.subscription_quota import SubscriptionQuota
from tests.chat.helpers import SESSION_EVENTS, learner_with_session
from tests.chat.helpers import subscribe as open_subscription
from tutor.stream.followers import SessionFollower


@contextlib.asynccontextmanager
async def _idle_session_events(harness):
    """A sessionEvents subscription waiting for its first event; yields its user's id."""
    user_id, study_session = await learner_with_session(harness)
    baseline = harness.bus.subscriber_count()
    stream = await open_subscription(
        harness, user_id, SESSION_EVENTS, {"id": to_global_id("StudySession", study_session.id)}
    )
    first = asyncio.ensure_future(anext(stream))
    await harness.subscribers_beyond(baseline)
    await asyncio.sleep(0.05)  # the follower's first read, then its wait
    try:
        yield user_id
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        await stream.aclose()


def _suspended(kind: type) -> list:
    """Live generators (or async generators) of `kind` paused mid-way."""
    frame = "ag_frame" if kind is types.AsyncGeneratorType else "gi_frame"
    return [
        item for item in gc.get_objects() if type(item) is kind and getattr(item, frame) is not None
    ]


async def test_only_the_operation_scope_hook_lives_with_an_idle_subscription(harness):
    async with _idle_session_events(harness):
        held = {
            generator.gi_code.co_qualname
            for generator in _suspended(types.GeneratorType)
            if generator.gi_code.co_name == "on_operation"
        }
    # DocumentLimitsExtension and the limit rules finish with parsing and validation.
    assert held == {"OperationScope.on_operation"}


async def test_an_idle_session_follower_holds_no_database_session(harness):
    async with _idle_session_events(harness):
        (follow,) = [
            generator
            for generator in _suspended(types.AsyncGeneratorType)
            if generator.ag_code is SessionFollower.follow.__code__
        ]
        local_values = list(follow.ag_frame.f_locals.values())
    assert not [value for value in local_values if isinstance(value, AsyncSession)]


async def test_an_idle_bus_subscription_has_no_queue_storage_nor_event(harness):
    async with harness.bus.subscribe("idle-memory") as events:
        waiting = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)
        held = gc.get_referents(*gc.get_referents(events))
        assert not [value for value in held if isinstance(value, (deque, asyncio.Event))]
        await harness.bus.publish("idle-memory", "first")
        async with asyncio.timeout(5):
            assert await waiting == "first"


async def test_an_idle_subscription_holds_its_quota_slot_and_channel_without_generators(
    harness,
):
    harness.subscription_quota = SubscriptionQuota(max_per_user=5)
    async with _idle_session_events(harness) as user_id:
        held = {g.gi_code.co_qualname for g in _suspended(types.GeneratorType)}
        held |= {g.ag_code.co_qualname for g in _suspended(types.AsyncGeneratorType)}
        assert harness.subscription_quota.open_for(user_id) == 1
    assert not held & {"Context.listen", "SubscriptionQuota.slot"}
    assert harness.subscription_quota.open_for(user_id) == 0
