"""Chat messages: turns, their idempotency, the generation's lifecycle, budgets, history.

A message tree: a user message's parent is the assistant answer it follows; an
assistant message's parent is the user message it answers (or, for "give more info",
the assistant answer it deepens). Regenerating adds a sibling with the same parent.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.errors import BadUserInput, Conflict, NotFound, RateLimited
from db.models import Message, StudySession, User
from db.ownership import get_owned
from db.user_lock import take_turns_per_user
from db.validation import clean_text

USER = "USER"
ASSISTANT = "ASSISTANT"
PENDING = "PENDING"
STREAMING = "STREAMING"
COMPLETE = "COMPLETE"
CANCELLED = "CANCELLED"
FAILED = "FAILED"
RUNNING_STATUSES = (PENDING, STREAMING)
TERMINAL_STATUSES = (COMPLETE, CANCELLED, FAILED)
INTERRUPTED = "INTERRUPTED"

CONTENT_MAX = 20_000
CLIENT_MESSAGE_ID_MAX = 100
HISTORY_MAX_MESSAGES = 24
# What the tutor is asked when the learner wants more on an answer (never stored).
GO_DEEPER_PROMPT = (
    "Go deeper on your previous answer: more detail, a worked example, and the common "
    "mistakes, still grounded in my material."
)


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


@dataclass(frozen=True)
class TokenUsageToday:
    day: date
    input_tokens: int
    output_tokens: int
    budget: int | None

    @property
    def remaining(self) -> int | None:
        if self.budget is None:
            return None
        return max(0, self.budget - self.input_tokens - self.output_tokens)


async def get_message(session: AsyncSession, *, owner_id: int, message_id: int) -> Message:
    """The caller's message, or NOT_FOUND."""
    return await get_owned(session, Message, owner_id=owner_id, row_id=message_id, kind="message")


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
            .where(Message.parent_id == user_message.id, Message.role == ASSISTANT)
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
            .where(Message.session_id == session_id, Message.role == ASSISTANT)
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


def _check_open(study_session: StudySession) -> None:
    if study_session.ended_at is not None:
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
        role=ASSISTANT,
        status=PENDING,
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

    existing = await earlier_turn()
    if existing is not None:
        return existing
    _check_open(study_session)
    await check_token_budget(
        session, owner_id=study_session.owner_id, budget=daily_token_budget, now=now
    )
    try:
        await check_running_answers(
            session, owner_id=study_session.owner_id, limit=max_running_answers
        )
    except RateLimited:
        # The running answer we waited for may be this request's own first attempt.
        existing = await earlier_turn()
        if existing is not None:
            return existing
        raise
    if await _has_running_generation(session, session_id=study_session.id):
        # The running answer may be this very request's first attempt, committed since
        # the lookup above.
        existing = await earlier_turn()
        if existing is not None:
            return existing
        raise _busy()
    previous = await _newest_assistant_message(session, session_id=study_session.id)
    user_message = Message(
        owner_id=study_session.owner_id,
        session_id=study_session.id,
        parent_id=previous.id if previous else None,
        role=USER,
        content=content,
        status=COMPLETE,
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
    if target.role != ASSISTANT:
        raise BadUserInput("messageId must name one of the tutor's answers", field="messageId")
    if target.status in RUNNING_STATUSES:
        raise Conflict("that answer is still being generated", field="messageId")
    study_session = await session.get(StudySession, target.session_id)
    _check_open(study_session)
    await check_token_budget(session, owner_id=owner_id, budget=daily_token_budget, now=now)
    await check_running_answers(session, owner_id=owner_id, limit=max_running_answers)
    if await _has_running_generation(session, session_id=target.session_id):
        raise _busy()
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


async def _ancestors(session: AsyncSession, *, answer: Message) -> list[Message]:
    """The answer's nearest HISTORY_MAX_MESSAGES ancestors, oldest first, in one query.

    A recursive CTE walks the parent chain on both databases; one round trip instead of
    one per message, which on PostgreSQL was up to 24 sequential reads per turn.
    """
    if answer.parent_id is None:
        return []
    owned = col(Message.owner_id) == answer.owner_id
    chain = (
        select(col(Message.id), col(Message.parent_id), literal(1).label("depth"))
        .where(col(Message.id) == answer.parent_id, owned)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(col(Message.id), col(Message.parent_id), (chain.c.depth + 1).label("depth"))
        .join(chain, col(Message.id) == chain.c.parent_id)
        .where(owned, chain.c.depth < HISTORY_MAX_MESSAGES)
    )
    rows = await session.exec(
        select(Message).join(chain, col(Message.id) == chain.c.id).order_by(chain.c.depth.desc())
    )
    return list(rows)


async def build_history(session: AsyncSession, *, answer: Message) -> list[dict[str, str]]:
    """The conversation on the answer's branch, oldest first, ending with what it answers.

    Built from our own rows (no SDK sessions): the chain of parents, so a regenerated
    branch never sees its siblings. Empty partial answers are left out.
    """
    chain = await _ancestors(session, answer=answer)
    items = [
        {"role": "user" if row.role == USER else "assistant", "content": row.content}
        for row in chain
        if row.content
    ]
    if chain and chain[-1].role == ASSISTANT:
        items.append({"role": "user", "content": GO_DEEPER_PROMPT})
    return items


async def save_progress(
    session: AsyncSession,
    *,
    message_id: int,
    content: str,
    tool_calls: list[dict[str, Any]],
    last_seq: int,
    lease_expires_at: datetime,
) -> bool:
    """Flush a running generation's text so far; False if it is no longer running."""
    result = await session.exec(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status).in_(RUNNING_STATUSES))
        .values(
            status=STREAMING if last_seq else PENDING,
            content=content,
            tool_calls=tool_calls,
            last_seq=last_seq,
            lease_expires_at=lease_expires_at,
        )
    )
    return result.rowcount == 1


async def finish_generation(
    session: AsyncSession,
    *,
    message_id: int,
    status: str,
    content: str,
    tool_calls: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    last_seq: int,
    input_tokens: int | None,
    output_tokens: int | None,
    error_code: str | None,
    now: datetime,
) -> Message | None:
    """Write the terminal state once; None if the generation had already ended."""
    result = await session.exec(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status).in_(RUNNING_STATUSES))
        .values(
            status=status,
            content=content,
            tool_calls=tool_calls,
            citations=citations,
            last_seq=last_seq,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            error_code=error_code,
            completed_at=now,
            lease_expires_at=None,
        )
    )
    if result.rowcount != 1:
        return None
    return await session.get(Message, message_id, populate_existing=True)


async def fail_abandoned_generation(
    session: AsyncSession, *, message: Message, status: str, error_code: str | None, now: datetime
) -> Message | None:
    """End a generation whose process is gone, keeping the text it last flushed.

    Only while its lease is still lapsed, and from the row as it is now: a slow but
    living process may have flushed and renewed since the caller read `message`, and
    then the turn is not abandoned (nor may its newer text be replaced by older).
    """
    lease = col(Message.lease_expires_at)
    result = await session.exec(
        update(Message)
        .where(
            col(Message.id) == message.id,
            col(Message.status).in_(RUNNING_STATUSES),
            or_(lease.is_(None), lease < now),
        )
        .values(
            status=status,
            last_seq=col(Message.last_seq) + 1,
            error_code=error_code,
            completed_at=now,
            lease_expires_at=None,
        )
    )
    if result.rowcount != 1:
        return None
    return await session.get(Message, message.id, populate_existing=True)


async def list_expired_generations(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> list[Message]:
    """Running generations whose lease lapsed: their process stopped renewing it."""
    rows = await session.exec(
        select(Message)
        .where(
            col(Message.status).in_(RUNNING_STATUSES),
            col(Message.lease_expires_at) < now,
        )
        .limit(limit)
    )
    return list(rows)


async def get_token_usage_today(
    session: AsyncSession, *, owner_id: int, budget: int | None, now: datetime
) -> TokenUsageToday:
    """Tokens the user's messages used since midnight in the user's time zone."""
    user = await session.get(User, owner_id)
    if user is None:
        raise NotFound("user not found")
    zone = ZoneInfo(user.timezone or "UTC")
    local_now = now.astimezone(zone)
    start = datetime.combine(local_now.date(), datetime.min.time(), tzinfo=zone)
    totals = (
        await session.exec(
            select(
                func.coalesce(func.sum(Message.input_tokens), 0),
                func.coalesce(func.sum(Message.output_tokens), 0),
            ).where(Message.owner_id == owner_id, col(Message.created_at) >= start)
        )
    ).one()
    return TokenUsageToday(
        day=local_now.date(),
        input_tokens=int(totals[0]),
        output_tokens=int(totals[1]),
        budget=budget,
    )


async def check_token_budget(
    session: AsyncSession, *, owner_id: int, budget: int | None, now: datetime
) -> None:
    """RATE_LIMITED once today's tokens reach the budget (unset: unlimited)."""
    if budget is None:
        return
    usage = await get_token_usage_today(session, owner_id=owner_id, budget=budget, now=now)
    if usage.remaining == 0:
        raise RateLimited(
            f"today's token budget of {budget} is spent; it renews at midnight",
            budget=budget,
        )


async def check_running_answers(session: AsyncSession, *, owner_id: int, limit: int | None) -> None:
    """RATE_LIMITED while the user already has `limit` answers running (None: no limit).

    The daily budget is checked when an answer starts and charged when it ends, and the
    one-answer rule is per session: without this, answers started at once in many
    sessions would all pass the budget check (a review spent 8,290 tokens of a 50-token
    budget with ten). Concurrent starts of one user take turns, so the count is exact.
    """
    if limit is None:
        return
    await take_turns_per_user(session, owner_id)
    running = (
        await session.exec(
            select(func.count())
            .select_from(Message)
            .where(
                Message.owner_id == owner_id,
                Message.role == ASSISTANT,
                col(Message.status).in_(RUNNING_STATUSES),
            )
        )
    ).one()
    if running >= limit:
        raise RateLimited(
            f"{running} of your answers are still being written (at most {limit} at once); "
            "wait for one to finish or stop it",
            limit=limit,
        )
