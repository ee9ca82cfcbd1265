"""Reading messages: by id, a session's pages and counts, what changed since a cursor."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import SessionFactory, read_only
from db.errors import BadUserInput
from db.models import Message
from db.ownership import get_owned
from db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page


@dataclass(frozen=True)
class MessagePageRequest:
    """`first` oldest after a cursor, or (from_end) the newest before one."""

    first: int
    after_id: int | None = None
    before_id: int | None = None
    from_end: bool = False

    def page(self, rows: list[Message], has_more: bool) -> Page[Message]:
        """The page these rows make: from the end, `has_more` means older ones exist."""
        return Page(
            rows=rows,
            has_next=False if self.from_end else has_more,
            has_previous=has_more if self.from_end else self.after_id is not None,
        )


def message_page_request(
    *, first: int | None, after_id: int | None, last: int | None, before_id: int | None
) -> MessagePageRequest:
    """Connection arguments: `first`/`after` read forward, `last`/`before` from the end.

    Either first or last, neither negative (BAD_USER_INPUT); both capped at MAX_PAGE_SIZE.
    """
    if first is not None and last is not None:
        raise BadUserInput("pass either first or last, not both", field="last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise BadUserInput(f"{name} must not be negative", field=name)
    if last is not None or before_id is not None:
        size = DEFAULT_PAGE_SIZE if last is None else last
        return MessagePageRequest(
            first=min(size, MAX_PAGE_SIZE), after_id=after_id, before_id=before_id, from_end=True
        )
    size = DEFAULT_PAGE_SIZE if first is None else first
    return MessagePageRequest(first=min(size, MAX_PAGE_SIZE), after_id=after_id)


async def get_message(session: AsyncSession, *, owner_id: int, message_id: int) -> Message:
    """The caller's message, or NOT_FOUND."""
    return await get_owned(session, Message, owner_id=owner_id, row_id=message_id, kind="message")


async def read_message(
    session_factory: SessionFactory, *, owner_id: int, message_id: int
) -> Message:
    """get_message in a short read-only session of its own (followers and stops re-read
    one row often; it needs no transaction)."""
    async with read_only(session_factory) as session:
        return await get_message(session, owner_id=owner_id, message_id=message_id)


async def get_messages_by_ids(
    session: AsyncSession, *, owner_id: int, message_ids: Sequence[int]
) -> dict[int, Message]:
    """The caller's messages among the ids (others' are simply absent)."""
    rows = await session.exec(
        select(Message).where(col(Message.id).in_(message_ids), Message.owner_id == owner_id)
    )
    return {row.id: row for row in rows}


async def list_messages_for_sessions(
    session: AsyncSession,
    *,
    owner_id: int,
    session_ids: Sequence[int],
    first: int,
    after_id: int | None = None,
    from_end: bool = False,
    before_id: int | None = None,
) -> dict[int, tuple[list[Message], bool]]:
    """Per session, a page of messages in chronological order and whether more exist.

    `from_end` takes the newest `first` (before `before_id`), the way a chat view opens
    at the bottom; otherwise the oldest after `after_id`. One statement for all sessions.
    """
    order = col(Message.id).desc() if from_end else col(Message.id).asc()
    conditions = [col(Message.session_id).in_(session_ids), Message.owner_id == owner_id]
    if after_id is not None:
        conditions.append(col(Message.id) > after_id)
    if before_id is not None:
        conditions.append(col(Message.id) < before_id)
    ranked = (
        select(
            Message.id,
            func.row_number().over(partition_by=Message.session_id, order_by=order).label("rank"),
        )
        .where(*conditions)
        .subquery()
    )
    rows = await session.exec(
        select(Message)
        .join(ranked, ranked.c.id == Message.id)
        .where(ranked.c.rank <= first + 1)
        .order_by(col(Message.session_id), ranked.c.rank)
    )
    grouped: dict[int, list[Message]] = {session_id: [] for session_id in session_ids}
    for row in rows:
        grouped[row.session_id].append(row)
    pages = {}
    for session_id, messages in grouped.items():
        has_more = len(messages) > first
        messages = messages[:first]
        if from_end:
            messages.reverse()
        pages[session_id] = (messages, has_more)
    return pages


async def get_newest_message_id(session: AsyncSession, *, owner_id: int, session_id: int) -> int:
    """The id of the session's newest message (0 with none)."""
    newest = await session.exec(
        select(func.max(Message.id)).where(
            Message.owner_id == owner_id, Message.session_id == session_id
        )
    )
    return newest.one() or 0


async def list_session_changes(
    session: AsyncSession,
    *,
    owner_id: int,
    session_id: int,
    after_id: int,
    message_ids: Sequence[int],
    limit: int = 100,
) -> list[Message]:
    """The session's messages newer than `after_id`, plus those in `message_ids`, oldest
    first: what a sessionEvents subscriber re-reads after it missed events."""
    rows = await session.exec(
        select(Message)
        .where(
            Message.owner_id == owner_id,
            Message.session_id == session_id,
            or_(col(Message.id) > after_id, col(Message.id).in_(list(message_ids))),
        )
        .order_by(col(Message.id))
        .limit(limit)
    )
    return list(rows)


async def count_messages_for_sessions(
    session: AsyncSession, *, owner_id: int, session_ids: Sequence[int]
) -> dict[int, int]:
    """How many messages each session holds."""
    rows = await session.exec(
        select(Message.session_id, func.count())
        .where(col(Message.session_id).in_(session_ids), Message.owner_id == owner_id)
        .group_by(Message.session_id)
    )
    counts = dict(rows.all())
    return {session_id: counts.get(session_id, 0) for session_id in session_ids}
