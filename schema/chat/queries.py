"""Reading messages, and the fields chat adds to sessions and users."""

import strawberry

from db.chat import budget
from db.engine import unit_of_work
from db.errors import BadUserInput
from db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from schema.chat.loaders import MessagePageRequest
from schema.chat.types import Message, UsageSummary
from schema.context import Info
from schema.relay import (
    Connection,
    connection_from_page,
    decode_cursor,
    load_or_not_found,
    row_id_of,
)


@strawberry.type
class ChatQueries:
    @strawberry.field(description="One of the learner's messages; NOT_FOUND for any other.")
    async def message(self, info: Info, id: strawberry.ID) -> Message | None:
        loader = info.context.loaders.message_by_id
        row = await load_or_not_found(loader, row_id_of(id, "Message"), "Message")
        return Message.from_row(row)


def message_page_request(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> MessagePageRequest:
    """Connection arguments: `first`/`after` read forward, `last`/`before` from the end."""
    if first is not None and last is not None:
        raise BadUserInput("pass either first or last, not both", field="last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise BadUserInput(f"{name} must not be negative", field=name)
    if last is not None or before is not None:
        size = DEFAULT_PAGE_SIZE if last is None else last
        return MessagePageRequest(
            first=min(size, MAX_PAGE_SIZE),
            after_id=None if after is None else decode_cursor(after),
            before_id=None if before is None else decode_cursor(before, field="before"),
            from_end=True,
        )
    size = DEFAULT_PAGE_SIZE if first is None else first
    return MessagePageRequest(
        first=min(size, MAX_PAGE_SIZE),
        after_id=None if after is None else decode_cursor(after),
    )


async def session_messages(
    info: Info,
    session_id: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Message]:
    """StudySession.messages: a page in chronological order, batched across sessions."""
    request = message_page_request(first, after, last, before)
    loaders = info.context.loaders
    rows, has_more = await loaders.messages_page_by_session.load((session_id, request))
    page = Page(
        rows=rows,
        has_next=False if request.from_end else has_more,
        has_previous=has_more if request.from_end else request.after_id is not None,
    )

    async def count() -> int:
        return await loaders.messages_count_by_session.load(session_id)

    return connection_from_page(page, Message.from_row, count)


async def usage_today(info: Info, user_id: int) -> UsageSummary:
    """User.usage: today's tokens against the daily budget."""
    context = info.context
    async with unit_of_work(context.session_factory) as session:
        usage = await budget.get_token_usage_today(
            session, owner_id=user_id, budget=context.daily_token_budget, now=context.clock()
        )
    return UsageSummary.from_usage(usage)
