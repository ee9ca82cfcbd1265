"""Study metrics over a date range, in the learner's time zone, with forgiving streaks."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import user_zone
from db.errors import BadUserInput
from db.learning.progress import session_seconds
from db.learning.scheduling import CORRECT_RATINGS, as_utc
from db.models import CardReview, Message, StudySession, User

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
# Streaks look back this far before `to`: long enough for a year-long streak to show.
STREAK_LOOKBACK_DAYS = 400
# A day is forgiven only if no other missed day is within the same seven days.
FORGIVING_WINDOW = 7


@dataclass(frozen=True)
class DayFacts:
    day: date
    minutes: int
    reviews: int
    messages: int


@dataclass(frozen=True)
class MetricsFacts:
    start: date
    end: date
    total_minutes: int
    sessions_count: int
    messages_count: int
    reviews_count: int
    correct_rate: float | None
    current_streak_days: int
    longest_streak_days: int
    daily: list[DayFacts]
    topic_ids: list[int]


def metric_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The range asked for: `to` defaults to today, `from` to 30 days before `to`."""
    for name, day in (("from", start), ("to", end)):
        # Streaks look a year back and day bounds a day ahead: dates near the ends of
        # the calendar would overflow (an INTERNAL error); no learner studies there.
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise BadUserInput(
                f"{name} must be between {EARLIEST_DAY} and {LATEST_DAY}", field=name
            )
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadUserInput("from must not be after to", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadUserInput(f"the range may span at most {MAX_DAYS} days", field="from")
    return start, end


async def get_study_metrics(
    session: AsyncSession, *, owner_id: int, start: date | None, end: date | None, now: datetime
) -> MetricsFacts:
    """Daily minutes, reviews and messages; totals; streaks; the topics studied."""
    user = await session.get(User, owner_id)
    zone = user_zone(user.timezone if user else None)
    now = as_utc(now)
    today = now.astimezone(zone).date()
    start, end = metric_range(start, end, today)
    history_start = min(start, end - timedelta(days=STREAK_LOOKBACK_DAYS))
    lower, upper = _utc_bounds(history_start, end, zone)

    def local_day(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    seconds: dict[date, float] = {}
    study_days: set[date] = set()
    sessions_in_range = 0
    topic_ids: set[int] = set()
    for topic_id, started_at, ended_at in await session.exec(
        select(StudySession.topic_id, StudySession.started_at, StudySession.ended_at).where(
            StudySession.owner_id == owner_id,
            StudySession.started_at >= lower,
            StudySession.started_at < upper,
        )
    ):
        # A session's minutes belong to the day it started, in the learner's zone.
        day = local_day(started_at)
        study_days.add(day)
        if start <= day <= end:
            sessions_in_range += 1
            seconds[day] = seconds.get(day, 0.0) + session_seconds(started_at, ended_at, now)
            if topic_id is not None:
                topic_ids.add(topic_id)

    reviews: dict[date, int] = {}
    correct = 0
    for topic_id, reviewed_at, rating in await session.exec(
        select(CardReview.topic_id, CardReview.reviewed_at, CardReview.rating).where(
            CardReview.owner_id == owner_id,
            CardReview.reviewed_at >= lower,
            CardReview.reviewed_at < upper,
        )
    ):
        day = local_day(reviewed_at)
        study_days.add(day)
        if start <= day <= end:
            reviews[day] = reviews.get(day, 0) + 1
            correct += rating in CORRECT_RATINGS
            topic_ids.add(topic_id)

    messages: dict[date, int] = {}
    for created_at in await session.exec(
        select(Message.created_at).where(
            Message.owner_id == owner_id,
            Message.role == "USER",
            Message.created_at >= lower,
            Message.created_at < upper,
        )
    ):
        day = local_day(created_at)
        study_days.add(day)
        if start <= day <= end:
            messages[day] = messages.get(day, 0) + 1

    daily = [
        DayFacts(day, int(seconds.get(day, 0.0) // 60), reviews.get(day, 0), messages.get(day, 0))
        for day in _days(start, end)
    ]
    reviews_count = sum(reviews.values())
    return MetricsFacts(
        start=start,
        end=end,
        total_minutes=sum(day.minutes for day in daily),
        sessions_count=sessions_in_range,
        messages_count=sum(messages.values()),
        reviews_count=reviews_count,
        correct_rate=correct / reviews_count if reviews_count else None,
        current_streak_days=current_streak(study_days, end=end, today=today),
        longest_streak_days=longest_streak({d for d in study_days if d <= end}),
        daily=daily,
        topic_ids=sorted(topic_ids),
    )


def streak_ending(study_days: set[date], end: date) -> tuple[date, date] | None:
    """The longest forgiving streak that covers `end`, as (first, last) study day.

    A streak is a span of calendar days that starts and ends on a study day and in
    which every seven consecutive days hold at most one day without study: one missed
    day in any seven is forgiven, a second one within seven days of it breaks the
    streak. Its length is the span's number of days, forgiven days included. `end`
    itself may be a missed day (a streak still alive today); None when no study day
    can be reached from `end` without breaking the rule.
    """
    first = last = None
    last_miss: date | None = None
    floor = min(study_days, default=end)
    day = end
    while day >= floor:
        if day in study_days:
            first = day
            last = last or day
        else:
            if last_miss is not None and (last_miss - day).days < FORGIVING_WINDOW:
                break
            last_miss = day
        day -= timedelta(days=1)
    return (first, last) if first and last else None


def longest_streak(study_days: set[date]) -> int:
    """The longest forgiving streak (see streak_ending) among the study days, in days."""
    best = 0
    for day in study_days:
        span = streak_ending(study_days, day)
        if span:
            best = max(best, (span[1] - span[0]).days + 1)
    return best


def current_streak(study_days: set[date], *, end: date, today: date) -> int:
    """The streak still alive at `end`; today not yet studied does not count as missed."""
    days = {day for day in study_days if day <= end}
    last_counted = end
    if end >= today and end not in days:
        last_counted = end - timedelta(days=1)  # today is not over
    span = streak_ending(days, last_counted)
    return (span[1] - span[0]).days + 1 if span else 0


def _days(start: date, end: date) -> Iterable[date]:
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def _utc_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    lower = datetime.combine(start, time.min, tzinfo=zone).astimezone(UTC)
    upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return lower, upper
