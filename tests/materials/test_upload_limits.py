"""Uploads are held in memory until extracted: bounded per learner and per process."""

import asyncio

import httpx
import pytest
from sqlalchemy import update

from api.app import create_app
from db.engine import unit_of_work
from db.errors import RateLimited
from db.materials.library import MaterialStatus, create_material
from db.materials.upload_backlog import UploadBacklog
from db.models import StudyMaterial
from schema.relay import row_id_of
from tests.factories import make_topic, make_user
from tests.materials.helpers import Learner

NOTE = b"A list comprehension builds a list from an iterable."


async def _create(harness, owner_id: int, topic_id: int, *, limit: int | None) -> StudyMaterial:
    async with unit_of_work(harness.session_factory) as session:
        return await create_material(
            session,
            owner_id=owner_id,
            topic_id=topic_id,
            filename="note.txt",
            data=NOTE,
            max_processing=limit,
        )


async def _set_status(harness, material_id: int, status: str) -> None:
    async with unit_of_work(harness.session_factory) as session:
        await session.exec(
            update(StudyMaterial).where(StudyMaterial.id == material_id).values(status=status)
        )


async def test_a_learner_has_at_most_a_few_uploads_processing(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    first = await _create(harness, me.user.id, topic.id, limit=2)
    await _create(harness, me.user.id, topic.id, limit=2)
    with pytest.raises(RateLimited) as raised:
        await _create(harness, me.user.id, topic.id, limit=2)
    assert "at most 2 at once" in raised.value.message
    # Another learner is not held back by this one...
    other = await make_user(harness)
    other_topic = await make_topic(harness, owner_id=other.user.id)
    await _create(harness, other.user.id, other_topic.id, limit=2)
    # ...and once one upload is READY (or FAILED), the next is accepted.
    await _set_status(harness, first.id, MaterialStatus.READY)
    await _create(harness, me.user.id, topic.id, limit=2)


async def test_concurrent_uploads_are_counted_one_by_one(harness):
    # Count-then-insert races without the per-user lock: all five would see 0 processing.
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    results = await asyncio.gather(
        *(_create(harness, me.user.id, topic.id, limit=2) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(result, StudyMaterial) for result in results) == 2
    assert sum(isinstance(result, RateLimited) for result in results) == 3


def test_the_backlog_refuses_bytes_beyond_its_budget_and_gives_them_back():
    backlog = UploadBacklog(max_bytes=100)
    release_a = backlog.hold(60)
    release_b = backlog.hold(40)
    with pytest.raises(RateLimited) as raised:
        backlog.hold(1)
    assert raised.value.details["retryAfterSeconds"] == 60
    release_a()
    release_a()  # a second release gives nothing back twice
    assert backlog.held_bytes == 40
    release_b()
    # One file larger than the whole budget still goes through when nothing else is held:
    # the upload limit, not the backlog, decides which files are too large.
    release_big = backlog.hold(500)
    with pytest.raises(RateLimited):
        backlog.hold(1)
    release_big()
    assert backlog.held_bytes == 0


@pytest.fixture
async def limited(settings):
    """The app with one upload PROCESSING per learner, and its upload backlog."""
    app = create_app(settings.model_copy(update={"max_processing_uploads_per_user": 1}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, app.state.context_values["upload_backlog"]


def _code(body: dict) -> str | None:
    errors = body.get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code")


async def test_uploads_over_http_respect_both_limits(limited, harness):
    http, backlog = limited
    learner = await Learner.create(http)
    # A learner's upload still PROCESSING (made so directly: a real one is over too soon).
    material = await learner.upload_ready("note.md", NOTE)
    material_id = row_id_of(material["id"], "StudyMaterial")
    await _set_status(harness, material_id, "PROCESSING")
    refused = await learner.upload("again.md", NOTE)
    assert _code(refused) == "RATE_LIMITED", refused
    assert "still being processed" in refused["errors"][0]["message"]
    await _set_status(harness, material_id, MaterialStatus.FAILED)
    await learner.upload_ready("again.md", NOTE)

    # The process's backlog: while other uploads hold all of it, the next one waits.
    release_others = backlog.hold(backlog.max_bytes)
    busy = await learner.upload("busy.md", NOTE)
    assert _code(busy) == "RATE_LIMITED", busy
    assert busy["errors"][0]["extensions"]["retryAfterSeconds"] == 60
    release_others()
    # A background upload (a PDF) gives its bytes back once processed, like inline ones.
    pdf = await learner.upload("tutorial-modules.pdf")
    assert pdf["data"]["uploadStudyMaterial"]["status"] == "PROCESSING"
    await learner.wait_processed(pdf["data"]["uploadStudyMaterial"]["id"], expect="READY")
    async with asyncio.timeout(10):  # released just after READY is stored
        while backlog.held_bytes:  # noqa: ASYNC110 - a plain counter, nothing to wait on
            await asyncio.sleep(0.01)
