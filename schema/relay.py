"""Relay conventions: opaque global IDs, the Node interface, cursor connections."""

import base64
import binascii
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from db.errors import BadUserInput, NotFound
from db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest
from schema.execution.preloaded import preloadable_field
from schema.execution.settled import settled_or_awaitable

NodeT = TypeVar("NodeT")
# Row ids are INTEGER columns: anything larger cannot exist, and would overflow the
# driver's parameter (PostgreSQL at 2**31) before the database could say "not found".
MAX_ROW_ID = 2**31 - 1
RowT = TypeVar("RowT")


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque, globally unique ID.")


def to_global_id(type_name: str, row_id: int) -> strawberry.ID:
    """The opaque ID of a row of a type, as clients see it."""
    return strawberry.ID(base64.b64encode(f"{type_name}:{row_id}".encode()).decode())


def from_global_id(global_id: str, *, field: str = "id") -> tuple[str, int]:
    """(type name, row id) of a global ID, or BAD_USER_INPUT if it is not one of ours.

    Only the exact form to_global_id produces is accepted: int() alone would also take
    "Topic: 1", "Topic:+1", "Topic:01", "Topic:1_0" and other scripts' digits, and
    base64 decoding tolerates spare padding bits, so one row would answer to many IDs
    (a cache or audit log keyed on the ID would see different things for one row).
    """
    try:
        type_name, _, raw_id = base64.b64decode(global_id, validate=True).decode().partition(":")
        row_id = int(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput(f"{field} is not a valid ID", field=field) from error
    if (
        not type_name
        or not 1 <= row_id <= MAX_ROW_ID
        or to_global_id(type_name, row_id) != global_id
    ):
        raise BadUserInput(f"{field} is not a valid ID", field=field)
    return type_name, row_id


def row_id_of(global_id: str, expected_type: str, *, field: str = "id") -> int:
    """The row id inside a global ID that must name `expected_type`."""
    type_name, row_id = from_global_id(global_id, field=field)
    if type_name != expected_type:
        raise BadUserInput(f"{field} is not a {expected_type} ID", field=field)
    return row_id


def optional_row_id(global_id: str | None, expected_type: str, *, field: str) -> int | None:
    """Like row_id_of, for an optional argument."""
    return None if global_id is None else row_id_of(global_id, expected_type, field=field)


async def load_or_not_found(loader, row_id: int, kind: str):
    """A row through an owner-scoped DataLoader; None (absent or not theirs) is NOT_FOUND."""
    row = await loader.load(row_id)
    if row is None:
        raise NotFound(kind)
    return row


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{row_id}".encode()).decode()


def decode_cursor(cursor: str, *, field: str = "after") -> int:
    """The row id of a cursor encode_cursor made; any other spelling is BAD_USER_INPUT
    (see from_global_id for why only the canonical form is accepted)."""
    try:
        prefix, _, raw_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        row_id = int(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadUserInput(f"{field} is not a valid cursor", field=field) from error
    if prefix != "cursor" or not 1 <= row_id <= MAX_ROW_ID or encode_cursor(row_id) != cursor:
        raise BadUserInput(f"{field} is not a valid cursor", field=field)
    return row_id


def page_request(first: int | None, after: str | None, *, newest_first: bool = True) -> PageRequest:
    """Connection arguments as a PageRequest: `first` defaults to 20 and is capped at 100."""
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if first < 0:
        raise BadUserInput("first must not be negative", field="first")
    return PageRequest(
        first=min(first, MAX_PAGE_SIZE),
        after_id=None if after is None else decode_cursor(after),
        newest_first=newest_first,
    )


@strawberry.type(description="Where a page of a connection stands in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass as `after`."
    )


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list that grows, and the size of the whole list.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    # Counting costs a query; only run it when a client selects totalCount.
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    # Values of resolver fields set beforehand (schema/execution/preloaded.py).
    preloaded: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    # Sync on purpose (schema/execution/settled.py): a count its DataLoader already
    # holds is answered at once, else graphql-core awaits it.
    @preloadable_field(description="How many items the whole list holds.", graphql_type=int)
    def total_count(self) -> int | Awaitable[int]:
        return settled_or_awaitable(self.count())


def connection_from_page(
    page: Page[RowT],
    convert: Callable[[RowT], NodeT],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """A Connection of converted rows, with cursors on the rows' ids."""
    edges = [Edge(cursor=encode_cursor(row.id), node=convert(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
