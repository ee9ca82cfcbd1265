"""Keyset pages over integer ids: stable under inserts, no OFFSET scans."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import select

from db.engine import SessionFactory, read_only

RowT = TypeVar("RowT")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    """`first` rows after the row with id `after_id` (None: from the start)."""

    first: int = DEFAULT_PAGE_SIZE
    after_id: int | None = None
    newest_first: bool = True


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: list[RowT]
    has_next: bool
    has_previous: bool


def apply_keyset(statement: Select, id_column, request: PageRequest) -> Select:
    """Order by id and cut after the cursor; one row more than asked tells has_next."""
    if request.after_id is not None:
        if request.newest_first:
            statement = statement.where(id_column < request.after_id)
        else:
            statement = statement.where(id_column > request.after_id)
    order = id_column.desc() if request.newest_first else id_column.asc()
    return statement.order_by(order).limit(request.first + 1)


def prepared_keyset(statement: Select, id_column, *, after: bool, newest_first: bool) -> Select:
    """apply_keyset with bound parameters, for a statement built once and run many times.

    SQLAlchemy memoises the cache key of a statement object, so a statement reused with
    new parameters skips building and keying, the larger part of a small read's CPU
    (bench/topics_rate.py). Run it with keyset_parameters(request).
    """
    if after:
        after_id = bindparam("after_id")
        statement = statement.where(id_column < after_id if newest_first else id_column > after_id)
    order = id_column.desc() if newest_first else id_column.asc()
    return statement.order_by(order).limit(bindparam("limit"))


def keyset_parameters(request: PageRequest) -> dict[str, int]:
    """The parameters of the statement prepared_keyset built for this request's shape."""
    parameters = {"limit": request.first + 1}
    if request.after_id is not None:
        parameters["after_id"] = request.after_id
    return parameters


def to_page(rows: list[RowT], request: PageRequest) -> Page[RowT]:
    """Trim the look-ahead row and turn it into has_next."""
    return Page(
        rows=rows[: request.first],
        has_next=len(rows) > request.first,
        has_previous=request.after_id is not None,
    )


def partitioned_page_statement(model, partition_column, parent_ids, request: PageRequest, *where):
    """One statement that pages the children of many parents at once (a DataLoader batch).

    row_number() per parent keeps the query count constant however many parents a
    list shows; both PostgreSQL and SQLite (>= 3.25) run window functions.
    """
    id_column = model.id
    order = id_column.desc() if request.newest_first else id_column.asc()
    conditions = [partition_column.in_(parent_ids), *where]
    if request.after_id is not None:
        conditions.append(
            id_column < request.after_id if request.newest_first else id_column > request.after_id
        )
    ranked = (
        select_columns(
            model,
            func.row_number().over(partition_by=partition_column, order_by=order).label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    entity = aliased(model, ranked)
    return (
        select(entity)
        .where(ranked.c.rank <= request.first + 1)
        .order_by(ranked.c[partition_column.key], ranked.c.rank)
    )


async def page_and_later_count(
    session_factory: SessionFactory,
    *,
    list_page: Callable[..., Awaitable[Page[RowT]]],
    count: Callable[..., Awaitable[int]],
    page: PageRequest,
    **filters: Any,
) -> tuple[Page[RowT], Callable[[], Awaitable[int]]]:
    """`list_page(session, page=page, **filters)` now, and `count(session, **filters)`
    only when awaited: a query that does not select totalCount never runs the count.

    Each read gets a short read-only session of its own.
    """
    async with read_only(session_factory) as session:
        rows = await list_page(session, page=page, **filters)

    async def count_later() -> int:
        async with read_only(session_factory) as session:
            return await count(session, **filters)

    return rows, count_later
