"""Documents parsed and validated off the loop, once per text, even when they arrive at once."""

import asyncio
import threading

import pytest

import schema.document_work as document_work
from schema.build import build_schema
from schema.document_work import LeastRecentlyUsed


class CountingBuild:
    """A build that blocks until released, and counts its calls (from the worker thread)."""

    def __init__(self, value: object = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.value = value if value is not None else object()
        self.error = error

    def __call__(self) -> object:
        self.calls += 1
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return self.value


async def test_waiters_on_a_key_being_built_share_one_build():
    cache = LeastRecentlyUsed(8)
    build = CountingBuild()
    waiters = [asyncio.create_task(cache.get_or_build("doc", build)) for _ in range(20)]
    await asyncio.sleep(0.05)
    build.release.set()
    values = await asyncio.gather(*waiters)
    assert build.calls == 1
    assert all(value is build.value for value in values)
    assert await cache.get_or_build("doc", CountingBuild()) is build.value  # cached


async def test_a_failed_build_reaches_every_waiter_and_is_not_cached():
    cache = LeastRecentlyUsed(8)
    build = CountingBuild(error=ValueError("bad document"))
    waiters = [asyncio.create_task(cache.get_or_build("doc", build)) for _ in range(5)]
    await asyncio.sleep(0.05)
    build.release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert build.calls == 1
    assert all(isinstance(result, ValueError) for result in results)
    retry = CountingBuild()
    retry.release.set()
    assert await cache.get_or_build("doc", retry) is retry.value
    assert retry.calls == 1


async def test_a_cancelled_waiter_does_not_cancel_the_build_for_the_others():
    cache = LeastRecentlyUsed(8)
    build = CountingBuild()
    first = asyncio.create_task(cache.get_or_build("doc", build))
    second = asyncio.create_task(cache.get_or_build("doc", build))
    await asyncio.sleep(0.05)
    first.cancel()
    build.release.set()
    assert await second is build.value
    with pytest.raises(asyncio.CancelledError):
        await first
    assert build.calls == 1


async def test_the_cache_keeps_only_the_most_recently_used_entries():
    cache = LeastRecentlyUsed(2)
    for key in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        build = CountingBuild(value=key)
        build.release.set()
        await cache.get_or_build(key, build)
    rebuilt = CountingBuild(value="b again")
    rebuilt.release.set()
    assert await cache.get_or_build("b", rebuilt) == "b again"
    kept = CountingBuild(value="c again")
    kept.release.set()
    assert await cache.get_or_build("c", kept) == "c"


async def test_a_burst_of_one_document_is_parsed_once(monkeypatch):
    parses = []
    real_parse = document_work.parse

    def counting_parse(*args, **kwargs):
        parses.append(args[0])
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(document_work, "parse", counting_parse)
    schema = build_schema()
    query = "query Burst { __typename }"
    results = await asyncio.gather(*(schema.execute(query) for _ in range(30)))
    assert all(result.errors is None for result in results)
    assert parses == [query]
