"""materialEvents: the token is re-checked on a quiet topic; stale uploads are announced."""

import asyncio
import json
import logging
from datetime import timedelta

import pytest

from api.app import create_app
from db.channels import topic_channel
from db.engine import unit_of_work
from db.errors import NotFound
from db.materials import followers
from db.materials.events import MaterialChange, publish_material_event
from db.materials.followers import MaterialFollower
from db.materials.library import STALE_AFTER, create_material
from db.materials.sweeper import StaleMaterialSweeper
from db.models import StudyMaterial
from db.pubsub import Bus
from db.types import utcnow
from schema.relay import to_global_id
from tests.factories import make_topic, make_user
from tests.materials.helpers import MATERIAL_EVENTS


async def test_material_events_end_unauthenticated_soon_after_the_token_expires(
    harness, monkeypatch
):
    monkeypatch.setattr(followers, "LIVENESS_SECONDS", 0.1)
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    context = harness.context(me.user.id)
    context.auth_expires_at = utcnow() + timedelta(hours=1)
    stream = await harness.schema.subscribe(
        MATERIAL_EVENTS,
        variable_values={"t": to_global_id("Topic", topic.id)},
        context_value=context,
    )
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.3)  # subscribed, and a few quiet liveness ticks pass
    assert not first.done()
    # No event will ever arrive on this topic: only the liveness timer can notice.
    context.auth_expires_at = utcnow() - harness.policy.leeway - timedelta(seconds=1)
    result = await asyncio.wait_for(first, timeout=5)
    assert result.errors is not None, result
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"
    await stream.aclose()


async def _stale_material(harness, owner_id: int, topic_id: int) -> int:
    """A material a dead process left PROCESSING (created longer than STALE_AFTER ago)."""
    async with unit_of_work(harness.session_factory) as session:
        material = await create_material(
            session, owner_id=owner_id, topic_id=topic_id, filename="n.txt", data=b"Notes."
        )
        material.created_at = utcnow() - STALE_AFTER - timedelta(seconds=1)
        session.add(material)
    return material.id


async def test_the_periodic_sweep_fails_stale_materials_and_announces_it(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    stream = await harness.schema.subscribe(
        MATERIAL_EVENTS,
        variable_values={"t": to_global_id("Topic", topic.id)},
        context_value=harness.context(me.user.id),
    )
    subscribed = harness.bus.subscriber_count()
    first = asyncio.ensure_future(anext(stream))
    sweeper = StaleMaterialSweeper(harness.session_factory, harness.bus, interval_seconds=0.1)
    sweeper.start()
    try:
        # The subscription listens before the stale row exists (it has no catch-up)...
        await harness.subscribers_beyond(subscribed)
        await asyncio.sleep(0.3)  # ...and a few sweeps go by with nothing to do
        assert not first.done()
        # Left behind by another process that died while this one keeps running.
        material_id = await _stale_material(harness, me.user.id, topic.id)
        result = await asyncio.wait_for(first, timeout=5)
    finally:
        await sweeper.close()
        await stream.aclose()
    assert result.errors is None, result.errors
    event = result.data["materialEvents"]
    assert event["materialId"] == to_global_id("StudyMaterial", material_id)
    assert event["kind"] == "UPDATED" and event["status"] == "FAILED"
    assert "interrupted" in event["material"]["error"]


async def test_the_app_keeps_sweeping_after_start_up(harness, settings):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    app = create_app(settings.model_copy(update={"material_sweep_interval_seconds": 0.1}))
    async with app.router.lifespan_context(app):
        material_id = await _stale_material(harness, me.user.id, topic.id)
        for _ in range(100):
            async with harness.session_factory() as session:
                row = await session.get(StudyMaterial, material_id)
            if row.status != "PROCESSING":
                break
            await asyncio.sleep(0.05)
    assert row.status == "FAILED" and "interrupted" in row.error


async def test_the_material_follower_yields_stored_rows_and_skips_other_owners(harness, caplog):
    me = await make_user(harness)
    other = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    with pytest.raises(NotFound):
        await MaterialFollower.open_for(
            harness.session_factory,
            owner_id=other.user.id,
            topic_id=topic.id,
            check_access=lambda: None,
        )
    follower = await MaterialFollower.open_for(
        harness.session_factory, owner_id=me.user.id, topic_id=topic.id, check_access=lambda: None
    )
    async with unit_of_work(harness.session_factory) as session:
        material = await create_material(
            session, owner_id=me.user.id, topic_id=topic.id, filename="n.txt", data=b"Notes."
        )
    bus = Bus("memory://", max_queued=2)
    await bus.connect()
    try:
        async with bus.subscribe(topic_channel(topic.id)) as events:
            updates = follower.follow(events)
            foreign = {"kind": "UPDATED", "material_id": material.id, "owner_id": other.user.id}
            await bus.publish(topic_channel(topic.id), json.dumps(foreign))
            await publish_material_event(bus, material, kind=MaterialChange.CREATED)
            created = await asyncio.wait_for(anext(updates), timeout=5)
            for _ in range(3):  # three events on a two-slot queue: the backlog is dropped
                await publish_material_event(bus, material, kind=MaterialChange.UPDATED)
            with caplog.at_level(logging.INFO, logger="db.materials.followers"):
                next_update = asyncio.ensure_future(anext(updates))
                await asyncio.sleep(0.1)
            assert "fell behind" in caplog.text and not next_update.done()
            await publish_material_event(bus, material, kind=MaterialChange.DELETED)
            deleted = await asyncio.wait_for(next_update, timeout=5)
            await updates.aclose()
    finally:
        await bus.disconnect()
    # The other owner's event is skipped; each update carries the row as stored.
    assert (created.kind, created.material_id) == (MaterialChange.CREATED, material.id)
    assert created.material is not None and created.material.filename == "n.txt"
    assert created.status == created.material.status
    assert (deleted.kind, deleted.material) == (MaterialChange.DELETED, None)
