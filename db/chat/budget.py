"""Token budgets: today's use against the daily budget, and answers running at once."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import seconds_to_midnight, user_zone
from db.chat.states import RUNNING_STATUSES, MessageRole
from db.errors import NotFound, RateLimited
from db.models import Message, User
from db.user_lock import take_turns_per_user


@dataclass(frozen=True)
class TokenUsageToday:
    day: date
    input_tokens: int
    output_tokens: int
    budget: int | None
    # Until the learner's next midnight, when the day's count starts again.
    renews_in_seconds: int

    @property
    def remaining(self) -> int | None:
        if self.budget is None:
            return None
        return max(0, self.budget - self.input_tokens - self.output_tokens)


async def get_token_usage_today(
    session: AsyncSession, *, owner_id: int, budget: int | None, now: datetime
) -> TokenUsageToday:
    """Tokens the user's messages used since midnight in the user's time zone."""
    user = await session.get(User, owner_id)
    if user is None:
        raise NotFound("user not found")
    zone = user_zone(user.timezone)
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
        renews_in_seconds=seconds_to_midnight(zone, now),
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
            # A client can say when to retry (the learner's midnight) without a clock of
            # its own in the learner's time zone.
            retryAfterSeconds=usage.renews_in_seconds,
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
                Message.role == MessageRole.ASSISTANT,
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
