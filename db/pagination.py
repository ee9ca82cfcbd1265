"""Keyset pages over integer ids: stable under inserts, no OFFSET scans."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import select

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
