"""How long a learner whose daily token budget is spent should wait: until their midnight."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from api.openai_compat.errors import ApiError, from_domain_error
from db.engine import SessionFactory, unit_of_work
from db.errors import RateLimited
from db.models import User


async def budget_refusal(
    session_factory: SessionFactory, error: RateLimited, *, owner_id: int, now: datetime
) -> ApiError:
    """429 for a refused turn; a spent daily budget says to retry after the learner's
    midnight (the budget renews then), not in a few seconds."""
    refusal = from_domain_error(error)
    if "budget" not in error.details:
        return refusal
    async with unit_of_work(session_factory) as session:
        user = await session.get(User, owner_id)
    zone = ZoneInfo(user.timezone if user and user.timezone else "UTC")
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), datetime.min.time(), zone)
    refusal.retry_after = max(1, int((midnight - local_now).total_seconds()) + 1)
    return refusal
