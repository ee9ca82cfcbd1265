"""Starting a turn: the user's message and a PENDING answer, idempotent on clientMessageId.

A message tree: a user message's parent is the assistant answer it follows; an
assistant message's parent is the user message it answers (or, for "give more info",
the assistant answer it deepens). Regenerating adds a sibling with the same parent.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.chat.budget import check_running_answers, check_token_budget
from db.chat.messages import get_message
from db.chat.states import RUNNING_STATUSES, MessageRole, MessageStatus
from db.errors import BadUserInput, Conflict, RateLimited
from db.models import Message, StudySession
from db.study import session_clock
from db.validation import clean_text

CONTENT_MAX = 20_000
CLIENT_MESSAGE_ID_MAX = 100


class ClientMessageRace(Conflict):
    """A concurrent request with the same clientMessageId won; read its turn afresh.

    This transaction cannot continue after the failed insert (and SQLite's driver has no
    usable savepoints), so the caller retries the lookup in a new one: `replay_turn`.
    """


@dataclass(frozen=True)
class Turn:
    """What sendMessage, giveMoreInfo and regenerateMessage create."""

    user_message: Message | None
    assistant_message: Message
    created: bool


def _check_client_message_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > CLIENT_MESSAGE_ID_MAX or "\x00" in value:
        raise BadUserInput(
            f"clientMessageId must be 1 to {CLIENT_MESSAGE_ID_MAX} characters",
            field="clientMessageId",
        )
    return value


async def _existing_turn(
    session: AsyncSession, *, session_id: int, client_message_id: str | None, content: str
) -> Turn | None:
    """The turn an earlier request with this key created (None without a key or turn)."""
    if client_message_id is None:
        return None
    user_message = (
        await session.exec(
            select(Message).where(
                Message.session_id == session_id,
                Message.client_message_id == client_message_id,
            )
        )
    ).first()
    if user_message is None:
        return None
    if user_message.content != content:
        raise Conflict(
            "clientMessageId was already used for a different message",
            field="clientMessageId",
        )
    answer = (
        await session.exec(
            select(Message)
            .where(Message.parent_id == user_message.id, Message.role == MessageRole.ASSISTANT)
            .order_by(col(Message.id))
            .limit(1)
        )
    ).first()
    if answer is None:  # pragma: no cover - both are written in one transaction
        raise Conflict("the first attempt of this message is incomplete")
    return Turn(user_message=user_message, assistant_message=answer, created=False)


async def replay_turn(
    session: AsyncSession, *, session_id: int, client_message_id: str, content: str
) -> Turn:
    """The turn a request with this key created, after losing the race to create it."""
    turn = await _existing_turn(
        session,
        session_id=session_id,
        client_message_id=_check_client_message_id(client_message_id),
        content=clean_text(content, field="content", max_length=CONTENT_MAX),
    )
    if turn is None:  # pragma: no cover - the winner committed before our insert failed
        raise Conflict("clientMessageId is being used by a concurrent request")
    return turn


async def _newest_assistant_message(session: AsyncSession, *, session_id: int) -> Message | None:
    return (
        await session.exec(
            select(Message)
            .where(Message.session_id == session_id, Message.role == MessageRole.ASSISTANT)
            .order_by(col(Message.id).desc())
            .limit(1)
        )
    ).first()


async def _has_running_generation(session: AsyncSession, *, session_id: int) -> bool:
    running = await session.exec(
        select(Message.id)
        .where(Message.session_id == session_id, col(Message.status).in_(RUNNING_STATUSES))
        .limit(1)
    )
    return running.first() is not None


def _check_open(study_session: StudySession, now: datetime) -> None:
    # A session past its idle deadline has ended too (db/study/session_clock.py); a
    # message in an open one is activity that keeps it open.
    if not session_clock.touch(study_session, now):
        raise Conflict("this study session has ended; start a new one", field="sessionId")


def _busy() -> Conflict:
    return Conflict("the tutor is still answering in this session; stop it or wait for it")


async def _add_assistant(
    session: AsyncSession,
    *,
    study_session: StudySession,
    parent_id: int,
    mode: str,
    model: str,
    now: datetime,
    lease_seconds: float,
) -> Message:
    answer = Message(
        owner_id=study_session.owner_id,
        session_id=study_session.id,
        parent_id=parent_id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        mode=mode,
        model=model,
        created_at=now,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
    )
    session.add(answer)
    try:
        await session.flush()
    except IntegrityError as error:
        # The partial unique index: another request started a generation meanwhile.
        raise _busy() from error
    return answer


async def _add_user_message(
    session: AsyncSession,
    *,
    study_session: StudySession,
    content: str,
    client_message_id: str | None,
    mode: str,
    now: datetime,
) -> Message:
    previous = await _newest_assistant_message(session, session_id=study_session.id)
    user_message = Message(
        owner_id=study_session.owner_id,
        session_id=study_session.id,
        parent_id=previous.id if previous else None,
        role=MessageRole.USER,
        content=content,
        status=MessageStatus.COMPLETE,
        mode=mode,
        client_message_id=client_message_id,
        created_at=now,
        completed_at=now,
    )
    session.add(user_message)
    try:
        await session.flush()
    except IntegrityError as error:
        # Only the clientMessageId can clash: a concurrent request with the same key
        # committed first (the unique index made this insert wait for it).
        raise ClientMessageRace(
            "clientMessageId is being used by a concurrent request", field="clientMessageId"
        ) from error
    return user_message


async def _check_may_start(
    session: AsyncSession,
    *,
    study_session: StudySession,
    now: datetime,
    daily_token_budget: int | None,
    max_running_answers: int | None,
    earlier_turn: Callable[[], Awaitable[Turn | None]] | None = None,
) -> Turn | None:
    """Refuse a new answer in this session now, unless the one running is this very
    request's first attempt (committed since its lookup, found by `earlier_turn`): then
    that attempt's turn."""
    _check_open(study_session, now)
    await check_token_budget(
        session, owner_id=study_session.owner_id, budget=daily_token_budget, now=now
    )
    try:
        await check_running_answers(
            session, owner_id=study_session.owner_id, limit=max_running_answers
        )
    except RateLimited:
        existing = await earlier_turn() if earlier_turn else None
        if existing is not None:
            return existing
        raise
    if await _has_running_generation(session, session_id=study_session.id):
        existing = await earlier_turn() if earlier_turn else None
        if existing is not None:
            return existing
        raise _busy()
    return None


async def create_turn(
    session: AsyncSession,
    *,
    study_session: StudySession,
    content: str,
    client_message_id: str | None,
    mode: str,
    model: str,
    now: datetime,
    lease_seconds: float,
    daily_token_budget: int | None = None,
    max_running_answers: int | None = None,
) -> Turn:
    """The user's message and a PENDING answer, in the caller's transaction.

    With a clientMessageId the call is idempotent: the same key and content return the
    first turn (even once the budget is spent or the session ended); the same key with
    other content is a CONFLICT.
    """
    content = clean_text(content, field="content", max_length=CONTENT_MAX)
    client_message_id = _check_client_message_id(client_message_id)

    async def earlier_turn() -> Turn | None:
        return await _existing_turn(
            session,
            session_id=study_session.id,
            client_message_id=client_message_id,
            content=content,
        )

    existing = await earlier_turn() or await _check_may_start(
        session,
        study_session=study_session,
        earlier_turn=earlier_turn,
        now=now,
        daily_token_budget=daily_token_budget,
        max_running_answers=max_running_answers,
    )
    if existing is not None:
        return existing
    user_message = await _add_user_message(
        session,
        study_session=study_session,
        content=content,
        client_message_id=client_message_id,
        mode=mode,
        now=now,
    )
    answer = await _add_assistant(
        session,
        study_session=study_session,
        parent_id=user_message.id,
        mode=mode,
        model=model,
        now=now,
        lease_seconds=lease_seconds,
    )
    return Turn(user_message=user_message, assistant_message=answer, created=True)


async def create_follow_up(
    session: AsyncSession,
    *,
    owner_id: int,
    message_id: int,
    regenerate: bool,
    model: str | None,
    now: datetime,
    lease_seconds: float,
    daily_token_budget: int | None = None,
    max_running_answers: int | None = None,
) -> Turn:
    """A new answer: deeper on `message_id`, or (regenerate) a sibling of it."""
    target = await get_message(session, owner_id=owner_id, message_id=message_id)
    if target.role != MessageRole.ASSISTANT:
        raise BadUserInput("messageId must name one of the tutor's answers", field="messageId")
    if target.status in RUNNING_STATUSES:
        raise Conflict("that answer is still being generated", field="messageId")
    study_session = await session.get(StudySession, target.session_id)
    await _check_may_start(
        session,
        study_session=study_session,
        now=now,
        daily_token_budget=daily_token_budget,
        max_running_answers=max_running_answers,
    )
    if regenerate and target.parent_id is None:  # pragma: no cover - answers have parents
        raise BadUserInput("that answer has nothing to regenerate from", field="messageId")
    answer = await _add_assistant(
        session,
        study_session=study_session,
        parent_id=target.parent_id if regenerate else target.id,
        mode=target.mode,
        model=model or target.model or study_session.model,
        now=now,
        lease_seconds=lease_seconds,
    )
    return Turn(user_message=None, assistant_message=answer, created=True)
