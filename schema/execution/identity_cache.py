"""A bounded cache keyed by the identity of objects that are costly to hash.

Parsed documents and schema types hash by walking their whole tree, so caches of what
is worked out from them (schema/execution/projection.py's plans, schema/query_cost.py's costs)
key on `id()`. Each entry holds its objects, so their ids cannot be reused by other
objects while it exists: a key that matches names the same objects. The
cache of parsed documents (schema/document_work.py) hands a repeated query the same
document, so repeated queries hit.
"""

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

ValueT = TypeVar("ValueT")


class IdentityCache(Generic[ValueT]):
    """Values by (the identity of some objects, plus hashable extras); emptied when full,
    so odd documents cannot make it grow without bound."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple, tuple[tuple[Any, ...], ValueT]] = {}

    def get_or_build(
        self,
        objects: tuple[Any, ...],
        build: Callable[[], ValueT],
        extra: tuple[Hashable, ...] = (),
    ) -> ValueT:
        key = (*map(id, objects), *extra)
        entry = self._entries.get(key)
        if entry is not None:
            return entry[1]
        value = build()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value
