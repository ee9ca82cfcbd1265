"""DataLoaders of the chat domain."""

from collections import defaultdict

from strawberry.dataloader import DataLoader

from db.chat import messages
from db.chat.messages import MessagePageRequest
from db.engine import SessionFactory, read_only
from db.models import Message

MessagePage = tuple[list[Message], bool]


def message_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[int, Message | None]:
    """Messages by id; another user's message loads as None."""

    async def load(message_ids: list[int]) -> list[Message | None]:
        async with read_only(session_factory) as session:
            rows = await messages.get_messages_by_ids(
                session, owner_id=owner_id, message_ids=message_ids
            )
        return [rows.get(message_id) for message_id in message_ids]

    return DataLoader(load_fn=load)


def messages_page_by_session_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[tuple[int, MessagePageRequest], MessagePage]:
    """A page of messages per (session, request): one statement per distinct request."""

    async def load(keys: list[tuple[int, MessagePageRequest]]) -> list[MessagePage]:
        sessions_by_request: dict[MessagePageRequest, list[int]] = defaultdict(list)
        for session_id, request in keys:
            sessions_by_request[request].append(session_id)
        pages: dict[tuple[int, MessagePageRequest], MessagePage] = {}
        async with read_only(session_factory) as session:
            for request, session_ids in sessions_by_request.items():
                by_session = await messages.list_messages_for_sessions(
                    session,
                    owner_id=owner_id,
                    session_ids=session_ids,
                    first=request.first,
                    after_id=request.after_id,
                    before_id=request.before_id,
                    from_end=request.from_end,
                )
                pages.update({(sid, request): by_session[sid] for sid in session_ids})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def messages_count_by_session_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[int, int]:
    async def load(session_ids: list[int]) -> list[int]:
        async with read_only(session_factory) as session:
            counts = await messages.count_messages_for_sessions(
                session, owner_id=owner_id, session_ids=session_ids
            )
        return [counts[session_id] for session_id in session_ids]

    return DataLoader(load_fn=load)
