"""Reading messages, and the fields chat adds to sessions and users."""

from functools import partial

import strawberry

from db.chat import budget, messages
from db.engine import unit_of_work
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


async def session_messages(
    info: Info,
    session_id: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Message]:
    """StudySession.messages: a page in chronological order, batched across sessions."""
    request = messages.message_page_request(
        first=first,
        after_id=None if after is None else decode_cursor(after),
        last=last,
        before_id=None if before is None else decode_cursor(before, field="before"),
    )
    loaders = info.context.loaders
    rows, has_more = await loaders.messages_page_by_session.load((session_id, request))
    count = partial(loaders.messages_count_by_session.load, session_id)
    return connection_from_page(request.page(rows, has_more), Message.from_row, count)


async def usage_today(info: Info, user_id: int) -> UsageSummary:
    """User.usage: today's tokens against the daily budget."""
    context = info.context
    async with unit_of_work(context.session_factory) as session:
        usage = await budget.get_token_usage_today(
            session, owner_id=user_id, budget=context.daily_token_budget, now=context.clock()
        )
    return UsageSummary.from_usage(usage)
