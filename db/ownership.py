"""Reading one row on behalf of its owner: another user's row is simply not found."""

from typing import TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from db.errors import NotFound

RowT = TypeVar("RowT", bound=SQLModel)


async def get_owned(
    session: AsyncSession, model: type[RowT], *, owner_id: int, row_id: int, kind: str
) -> RowT:
    """The row if it exists and `owner_id` owns it, else NotFound(kind)."""
    row = await session.get(model, row_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(kind)
    return row
