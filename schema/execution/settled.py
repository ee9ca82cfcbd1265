"""Values a resolver can return at once when a DataLoader already holds them.

graphql-core completes a field synchronously when its resolver returns a value, and
through a coroutine and a task when it returns an awaitable. A dashboard's 20 topics,
each with progress and a material count, made some 150 tasks per request, although
their loaders had answered before the fields ran. A sync resolver that returns the
settled value, or the awaitable while it is still pending, keeps graphql-core on its
synchronous path whenever it can; errors still travel through the awaitable.
"""

from asyncio import Future
from collections.abc import Awaitable, Callable
from typing import TypeGuard, TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")


def _settled(awaitable: Awaitable[T]) -> TypeGuard["Future[T]"]:
    """A Future that finished with a result (not cancelled, no exception)."""
    return (
        isinstance(awaitable, Future)
        and awaitable.done()
        and not awaitable.cancelled()
        and (awaitable.exception() is None)
    )


def settled_or_awaitable(awaitable: Awaitable[T]) -> T | Awaitable[T]:
    """The result of a resolved Future now, else the awaitable itself (for graphql-core)."""
    if _settled(awaitable):
        return awaitable.result()
    return awaitable


def settled_then(awaitable: Awaitable[T], convert: Callable[[T], R]) -> R | Awaitable[R]:
    """convert(result) now when the Future is resolved, else an awaitable of it."""
    if _settled(awaitable):
        return convert(awaitable.result())
    return _converted(awaitable, convert)


def loaded_then(loader: DataLoader[K, T], key: K, convert: Callable[[T], R]) -> R | Awaitable[R]:
    """convert(loader's value for key): now when the loader already holds it."""
    return settled_then(loader.load(key), convert)


async def _converted(awaitable: Awaitable[T], convert: Callable[[T], R]) -> R:
    return convert(await awaitable)
