"""SharedRead: one read per operation, shared; one cancelled waiter cancels nothing else."""

import asyncio

import pytest

from schema.execution.shared_read import SharedRead


async def test_the_read_runs_once_and_only_once_started():
    reads = 0

    async def read() -> int:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0)
        return 42

    shared = SharedRead(read)
    assert not shared.started and reads == 0
    shared.start()
    assert shared.started
    assert await asyncio.gather(shared.get(), shared.get()) == [42, 42]
    assert reads == 1


async def test_a_cancelled_waiter_leaves_the_read_to_the_others():
    release = asyncio.Event()

    async def read() -> str:
        await release.wait()
        return "facts"

    shared = SharedRead(read)
    first = asyncio.ensure_future(shared.get())
    second = asyncio.ensure_future(shared.get())
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "facts"
    assert first.cancelled()


async def test_a_failed_read_fails_every_waiter():
    async def read() -> int:
        raise LookupError("no progress")

    shared = SharedRead(read)
    for _ in range(2):
        with pytest.raises(LookupError, match="no progress"):
            await shared.get()
