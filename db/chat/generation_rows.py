"""A running answer's row: its flushed progress and lease, its end, and reaping it."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.chat.states import RUNNING_STATUSES, FailureCode, MessageStatus
from db.chat.tool_calls import ToolCall
from db.models import Message


async def save_progress(
    session: AsyncSession,
    *,
    message_id: int,
    content: str,
    tool_calls: Sequence[ToolCall],
    last_seq: int,
    lease_expires_at: datetime,
) -> bool:
    """Flush a running generation's text so far; False if it is no longer running."""
    result = await session.exec(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status).in_(RUNNING_STATUSES))
        .values(
            status=MessageStatus.STREAMING if last_seq else MessageStatus.PENDING,
            content=content,
            tool_calls=[call.to_json() for call in tool_calls],
            last_seq=last_seq,
            lease_expires_at=lease_expires_at,
        )
    )
    return result.rowcount == 1


async def finish_generation(
    session: AsyncSession,
    *,
    message_id: int,
    status: MessageStatus,
    content: str,
    tool_calls: Sequence[ToolCall],
    citations: list[dict[str, Any]],
    last_seq: int,
    input_tokens: int | None,
    output_tokens: int | None,
    error_code: FailureCode | None,
    now: datetime,
    model: str | None = None,
) -> Message | None:
    """Write the terminal state once; None if the generation had already ended.

    `model` is the one that answered when it differs from the one asked (a fallback)."""
    answered_by = {} if model is None else {"model": model}
    result = await session.exec(
        update(Message)
        .where(col(Message.id) == message_id, col(Message.status).in_(RUNNING_STATUSES))
        .values(
            **answered_by,
            status=status,
            content=content,
            tool_calls=[call.to_json() for call in tool_calls],
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
    session: AsyncSession,
    *,
    message: Message,
    status: MessageStatus,
    error_code: FailureCode | None,
    now: datetime,
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
