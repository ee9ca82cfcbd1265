"""The extraction pool: bounded, owned by the app, and queue time is not processing time."""

import asyncio
import time

import httpx
import pytest

from api.app import create_app
from db.materials import extraction_pool
from db.materials.extraction.limits import ExtractionLimits
from db.materials.extraction_pool import ExtractionPool
from tests.materials.files import make_docx
from tests.materials.helpers import Learner


async def test_the_deadline_starts_when_a_worker_starts_the_job():
    pool = ExtractionPool(max_workers=1, limits=ExtractionLimits(seconds=0.5))
    try:
        blocker = asyncio.ensure_future(pool.run(lambda deadline: time.sleep(1.0), seconds=5))
        await asyncio.sleep(0.05)
        assert not pool.has_idle_worker
        # Queued for ~1 s, longer than its 0.5 s limit: it still gets its whole time.
        remaining = await pool.run(lambda deadline: deadline - time.monotonic())
        assert remaining > 0.4
        await blocker
        assert pool.has_idle_worker
    finally:
        pool.close()


async def test_a_job_stuck_past_its_deadline_is_abandoned_by_the_backstop(monkeypatch):
    monkeypatch.setattr(extraction_pool, "BACKSTOP_SECONDS", 0.2)
    pool = ExtractionPool(max_workers=1)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):  # the backstop fired
            await pool.run(lambda deadline: time.sleep(3.0), seconds=0.2)
        assert time.monotonic() - started < 2.5  # about 0.4 s; the job itself runs 3 s
    finally:
        pool.close()


async def test_uploads_queued_behind_a_slow_job_still_become_ready(settings, monkeypatch):
    """A hostile file holding every extraction worker must not fail other learners' files."""
    monkeypatch.setattr(extraction_pool, "BACKSTOP_SECONDS", 0.5)
    app = create_app(
        settings.model_copy(update={"material_workers": 1, "material_processing_seconds": 1.0})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            learner = await Learner.create(http)
            pool = app.state.extraction
            # Stands in for a hostile PDF: holds the only worker for 2.5 s, well past the
            # 1 s limit plus the 0.5 s backstop of the jobs queued behind it.
            slow = asyncio.ensure_future(pool.run(lambda deadline: time.sleep(2.5), seconds=10))
            await asyncio.sleep(0.05)
            docx = await learner.upload("queued.docx", make_docx("Generators yield values."))
            note = await learner.upload("queued.md", b"Comprehensions build lists.")
            for body in (docx, note):
                uploaded = body["data"]["uploadStudyMaterial"]
                # The small note too: the request does not wait behind a busy pool.
                assert uploaded["status"] == "PROCESSING", uploaded
                material = await learner.wait_processed(uploaded["id"])
                assert material["status"] == "READY", material
            await slow
