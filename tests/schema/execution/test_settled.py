"""settled_or_awaitable / settled_then: a value now only from a Future that succeeded."""

import asyncio

import pytest

from schema.execution.settled import settled_or_awaitable, settled_then


async def test_a_resolved_future_gives_its_value_now():
    future = asyncio.get_running_loop().create_future()
    future.set_result(41)
    assert settled_or_awaitable(future) == 41
    assert settled_then(future, lambda value: value + 1) == 42


async def test_a_pending_future_stays_awaitable():
    future = asyncio.get_running_loop().create_future()
    assert settled_or_awaitable(future) is future
    later = settled_then(future, lambda value: value + 1)
    future.set_result(41)
    assert await later == 42


async def test_a_failed_or_cancelled_future_raises_when_awaited():
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(LookupError("gone"))
    assert settled_or_awaitable(failed) is failed
    with pytest.raises(LookupError):
        await settled_then(failed, str)
    cancelled = asyncio.get_running_loop().create_future()
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await settled_or_awaitable(cancelled)


async def test_a_coroutine_is_passed_on():
    async def count() -> int:
        return 7

    coroutine = count()
    assert settled_or_awaitable(coroutine) is coroutine
    assert await coroutine == 7
