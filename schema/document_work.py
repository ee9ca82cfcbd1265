"""Parsing and validation of documents this process has not seen, off the event loop.

Strawberry's ParserCache and ValidationCache parse and validate on the event loop. A
repeated document is a cache hit and costs microseconds, but a new one costs time in
proportion to its size: a 1,000-token document took 4 ms to parse and 26 ms to
validate on a busy machine, and for that long no other request, stream or /healthz
was served. Here a miss goes to one worker thread. The GIL still lets only one of them
run Python at a time, but it switches every 5 ms (sys.getswitchinterval), so the loop
waits at most that long, not the whole document. One thread, not a pool: each further
thread would be one more to wait for, and a flood of new documents queues behind one
another instead of behind the loop. Hits stay on the loop; they need no thread hop.
"""

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, TypeVar

import strawberry.schema.schema as strawberry_schema
from graphql import parse
from strawberry.extensions import SchemaExtension

ValueT = TypeVar("ValueT")

_executor: ThreadPoolExecutor | None = None


def document_executor() -> ThreadPoolExecutor:
    """The one thread that parses and validates new documents (made on first use)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-documents")
    return _executor


class LeastRecentlyUsed(Generic[ValueT]):
    """A bounded cache whose values are built off the loop on a miss.

    Callers that miss on a key while its value is being built wait for that one build.
    Without this, a burst of identical documents (every client of a deploy reconnecting
    and resubscribing at once) parsed and validated the same text once per request, on
    the one worker thread, and each subscription then held its own copy of the parsed
    document (~6 KiB) and of everything cached by the document's identity.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, ValueT] = OrderedDict()
        self._building: dict[Hashable, asyncio.Future[ValueT]] = {}

    async def get_or_build(self, key: Hashable, build: Callable[[], ValueT]) -> ValueT:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        building = self._building.get(key)
        if building is None:
            building = asyncio.get_running_loop().run_in_executor(document_executor(), build)
            self._building[key] = building
            building.add_done_callback(partial(self._built, key))
        # Shielded: one waiter's cancellation (a client that went away) must not cancel
        # the build the others are waiting for.
        return await asyncio.shield(building)

    def _built(self, key: Hashable, building: asyncio.Future[ValueT]) -> None:
        del self._building[key]
        if building.cancelled() or building.exception() is not None:
            return  # every waiter sees the error; nothing is cached
        self._entries[key] = building.result()
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class DocumentWork(SchemaExtension):
    """ParserCache and ValidationCache in one, building what they miss off the loop.

    Both caches are the schema's (one instance each, passed in), shared by every
    request. The validation key holds the document and schema themselves, so their
    ids cannot be reused while the entry lives.
    """

    def __init__(self, parsed: LeastRecentlyUsed, validated: LeastRecentlyUsed) -> None:
        self.parsed = parsed
        self.validated = validated

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        query, options = context.query, dict(context.parse_options)
        key = (query, tuple(sorted(options.items())))
        context.graphql_document = await self.parsed.get_or_build(
            key, partial(parse, query, **options)
        )
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        rules = tuple(context.validation_rules)
        key = (id(schema), id(document), rules)
        errors = await self.validated.get_or_build(
            key, partial(_validate_keeping, schema, document, rules)
        )
        context.pre_execution_errors = errors[1]
        yield


def _validate_keeping(schema, document, rules) -> tuple[Any, list]:
    """Strawberry's validation (looked up at call time, so tests can count it), with the
    document and schema kept alive beside the errors for the key's ids."""
    return (schema, document), strawberry_schema.validate_document(schema, document, rules)
