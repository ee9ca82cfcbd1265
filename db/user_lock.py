"""Making one user's concurrent requests take turns where a rule counts their rows."""

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import User


async def take_turns_per_user(session: AsyncSession, user_id: int) -> None:
    """Holds the user's row until the transaction ends, so a count that follows is exact.

    A rule like "at most N running at once" is a count then an insert; two concurrent
    requests would both count N-1 and both insert. A no-op write to the user's row first
    serialises them until commit: a row lock on PostgreSQL, the database write lock on
    SQLite (whose reads would otherwise run outside any transaction).
    """
    await session.exec(update(User).where(col(User.id) == user_id).values(id=User.id))
