"""One user holds at most a few subscriptions open per process; closing one frees it."""

import asyncio
import contextlib

from schema.relay import to_global_id
from schema.subscription_quota import SubscriptionQuota
from tests.chat.helpers import MESSAGE_EVENTS, SESSION_EVENTS, learner_with_session, send
from tests.chat.helpers import subscribe as open_subscription
from tests.factories import make_topic
from tests.materials.helpers import MATERIAL_EVENTS


async def _listening(harness, user_id, query, variables):
    """A subscription waiting for its first event, once it holds its bus subscription."""
    baseline = harness.bus.subscriber_count()
    stream = await open_subscription(harness, user_id, query, variables)
    first = asyncio.ensure_future(anext(stream))
    await harness.subscribers_beyond(baseline)
    return stream, first


async def _close(stream, first) -> None:
    """What a client's `complete` does: the pending read ends, then the subscription."""
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    await stream.aclose()


async def _refusal(harness, user_id, query, variables) -> str:
    stream = await open_subscription(harness, user_id, query, variables)
    async with asyncio.timeout(10):
        result = await anext(stream)
    await stream.aclose()
    assert result.errors, result
    return result.errors[0].extensions["code"]


async def test_a_user_holds_at_most_the_quota_of_subscriptions(harness):
    quota = SubscriptionQuota(max_per_user=2)
    harness.subscription_quota = quota
    user_id, study_session = await learner_with_session(harness)
    session_id = to_global_id("StudySession", study_session.id)
    topic = await make_topic(harness, owner_id=user_id)
    answer = (await send(harness, user_id, session_id, "What is a loop?"))["assistantMessage"]

    session_stream, session_first = await _listening(
        harness, user_id, SESSION_EVENTS, {"id": session_id}
    )
    material_stream, material_first = await _listening(
        harness, user_id, MATERIAL_EVENTS, {"t": to_global_id("Topic", topic.id)}
    )
    assert quota.open_for(user_id) == 2
    # A third of any kind is refused, and takes no slot.
    refused = await _refusal(harness, user_id, MESSAGE_EVENTS, {"id": answer["id"], "after": 0})
    assert refused == "RATE_LIMITED"
    assert await _refusal(harness, user_id, SESSION_EVENTS, {"id": session_id}) == "RATE_LIMITED"
    assert quota.open_for(user_id) == 2

    # Another learner has slots of their own.
    other_id, other_session = await learner_with_session(harness)
    other_stream, other_first = await _listening(
        harness, other_id, SESSION_EVENTS, {"id": to_global_id("StudySession", other_session.id)}
    )
    assert quota.open_for(other_id) == 1

    # Closing a subscription gives its slot back.
    for first, stream in (
        (session_first, session_stream),
        (material_first, material_stream),
        (other_first, other_stream),
    ):
        await _close(stream, first)
    assert quota.open_for(user_id) == quota.open_for(other_id) == 0
    stream, first = await _listening(harness, user_id, SESSION_EVENTS, {"id": session_id})
    assert quota.open_for(user_id) == 1
    await _close(stream, first)
