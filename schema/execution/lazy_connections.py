"""Connections that read no more than the client selected, as early as they can.

- A nested connection whose selection is only `totalCount` reads no page of rows (a
  dashboard asks `materials { totalCount }` of every topic).
- A connection's Connection is returned at once when its page's DataLoader already
  holds the page (settled.py), else graphql-core awaits it.
- A root connection warms its nodes' loaders (warming.py) before it returns.
- The count is a read run only when a client selects totalCount.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from db.engine import SessionFactory, read_connection
from db.pagination import Page
from schema.execution.preloaded import preload
from schema.execution.selections import selects_only_total_count
from schema.execution.settled import settled_then
from schema.execution.warming import WarmUps, warm_node_loaders
from schema.relay import Connection, PageInfo, connection_from_page

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")
PageKeyT = TypeVar("PageKeyT")
CountKeyT = TypeVar("CountKeyT")
T = TypeVar("T")


class Row(Protocol):
    id: int


IdRowT = TypeVar("IdRowT", bound=Row)

# Never seen by a client: only a connection whose page is not selected carries it.
_NO_PAGE = PageInfo(
    has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
)


def loaded_connection(
    info: Info,
    convert: Callable[[RowT], NodeT],
    *,
    page: tuple[DataLoader[PageKeyT, Page[RowT]], PageKeyT],
    count: tuple[DataLoader[CountKeyT, int], CountKeyT],
) -> Connection[NodeT] | Awaitable[Connection[NodeT]]:
    """A nested connection for a sync resolver, from (loader, key) of its page and of its
    count: no page read when only totalCount is selected, and the Connection at once
    when the page's DataLoader already holds it."""
    page_loader, page_key = page
    count_loader, count_key = count

    def load_count() -> Awaitable[int]:
        return count_loader.load(count_key)

    if selects_only_total_count(info.selected_fields):
        return Connection(edges=[], page_info=_NO_PAGE, count=load_count)
    return settled_then(
        page_loader.load(page_key),
        lambda rows: connection_from_page(rows, convert, load_count),
    )


def counted_connection(total: int) -> Connection:
    """What loaded_connection returns for a selection of only totalCount, once the count
    is known: its totalCount preloaded (preloaded.py)."""

    async def count() -> int:
        return total

    connection: Connection = Connection(edges=[], page_info=_NO_PAGE, count=count)
    preload(connection, "totalCount", total)
    return connection


def read_later(
    session_factory: SessionFactory,
    read: Callable[..., Awaitable[T]],
    **arguments: Any,
) -> Callable[[], Awaitable[T]]:
    """`read(connection, **arguments)` on a Core connection of its own, run only when
    called (a connection's count, when a client selects totalCount)."""

    async def run() -> T:
        async with read_connection(session_factory) as connection:
            return await read(connection, **arguments)

    return run


async def warmed_connection(
    info: Info,
    page: Page[IdRowT],
    convert: Callable[[IdRowT], NodeT],
    count: Callable[[], Awaitable[int]],
    warm_ups: WarmUps,
) -> Connection[NodeT]:
    """A root connection of a page read already, its nodes' loaders warmed (warming.py)
    for the fields the client selected on them."""
    connection = connection_from_page(page, convert, count)
    nodes = [edge.node for edge in connection.edges]
    await warm_node_loaders(info, [row.id for row in page.rows], warm_ups, nodes)
    return connection
