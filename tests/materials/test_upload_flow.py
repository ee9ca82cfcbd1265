"""upload_material without GraphQL: inline or background, the backlog's bytes, events."""

import asyncio
import threading

import pytest

from db.channels import topic_channel
from db.engine import unit_of_work
from db.errors import UnsupportedMediaType
from db.materials.events import (
    MaterialChange,
    parse_material_event,
    publish_material_event,
)
from db.materials.extraction_pool import ExtractionPool
from db.materials.library import create_material
from db.materials.uploads import upload_material
from tests.factories import make_topic, make_user
from tests.materials.helpers import DATA


class Backlog:
    """Records what an upload holds and releases."""

    def __init__(self) -> None:
        self.held = 0

    def hold(self, size: int):
        self.held += size

        def release() -> None:
            self.held -= size

        return release


class Spawned:
    """Keeps the work an upload hands to the background, to run it when the test says."""

    def __init__(self) -> None:
        self.work: dict[str, object] = {}

    def __call__(self, coroutine, *, name: str) -> None:
        self.work[name] = coroutine


async def _upload(harness, filename: str, data: bytes, backlog, spawned, pool=None):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    return await upload_material(
        harness.session_factory,
        harness.bus,
        owner_id=me.user.id,
        topic_id=topic.id,
        filename=filename,
        data=data,
        max_processing=None,
        pool=pool,
        hold_bytes=backlog.hold,
        spawn=spawned,
    )


async def test_a_small_text_file_is_ready_before_the_upload_returns(harness):
    backlog, spawned = Backlog(), Spawned()
    row = await _upload(harness, "notes.md", b"# Loops\n\nA for loop repeats.", backlog, spawned)
    assert row.status == "READY" and row.chunk_count == 1
    assert spawned.work == {} and backlog.held == 0


async def test_a_pdf_goes_to_the_background_and_holds_its_bytes_until_done(harness):
    backlog, spawned = Backlog(), Spawned()
    data = (DATA / "tutorial-modules.pdf").read_bytes()
    row = await _upload(harness, "modules.pdf", data, backlog, spawned)
    assert row.status == "PROCESSING"
    assert list(spawned.work) == [f"material-{row.id}"] and backlog.held == len(data)
    done = await spawned.work[f"material-{row.id}"]
    assert done.status == "READY" and done.page_count and backlog.held == 0


async def test_a_small_file_waits_in_the_background_when_no_worker_is_idle(harness):
    backlog, spawned = Backlog(), Spawned()
    pool = ExtractionPool(max_workers=1)
    release_worker = threading.Event()
    # The only worker is busy with someone else's upload.
    busy = asyncio.ensure_future(pool.run(lambda deadline: release_worker.wait(30)))
    try:
        await asyncio.sleep(0)
        assert not pool.has_idle_worker
        row = await _upload(harness, "n.txt", b"Short notes.", backlog, spawned, pool=pool)
        assert row.status == "PROCESSING" and len(spawned.work) == 1
        release_worker.set()
        await busy
        assert (await spawned.work[f"material-{row.id}"]).status == "READY"
    finally:
        release_worker.set()
        pool.close()


async def test_a_refused_upload_releases_its_bytes(harness):
    backlog, spawned = Backlog(), Spawned()
    with pytest.raises(UnsupportedMediaType):
        await _upload(harness, "image.png", b"\x89PNG\r\n\x1a\n" + bytes(64), backlog, spawned)
    assert backlog.held == 0 and spawned.work == {}


async def test_a_published_material_event_parses_back(harness):
    me = await make_user(harness)
    topic = await make_topic(harness, owner_id=me.user.id)
    async with unit_of_work(harness.session_factory) as session:
        row = await create_material(
            session, owner_id=me.user.id, topic_id=topic.id, filename="n.txt", data=b"Notes."
        )
    async with harness.bus.subscribe(topic_channel(row.topic_id)) as payloads:
        await publish_material_event(harness.bus, row, kind=MaterialChange.DELETED)
        event = parse_material_event(await payloads.next_within(5))
    assert event.kind is MaterialChange.DELETED
    assert (event.material_id, event.owner_id, event.topic_id) == (
        row.id,
        row.owner_id,
        row.topic_id,
    )
    assert event.status == "PROCESSING"
