"""Study metrics over a date range, in the learner's time zone, with forgiving streaks."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import user_zone
from db.chat.states import MessageRole
from db.errors import BadUserInput
from db.learning.progress import (
    SESSION_COLUMNS,
    TopicProgressFacts,
    list_topic_progress,
    session_times,
)
from db.learning.scheduling import CORRECT_RATINGS, as_utc
from db.models import CardReview, Message, StudySession, User
from db.study.session_clock import counted_seconds

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
    # The progress of each topic studied in the range, by topic id.
    topics: list[TopicProgressFacts]


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
    tally = _Tally(start, end, zone)
    await _tally_sessions(session, tally, owner_id=owner_id, lower=lower, upper=upper, now=now)
    await _tally_reviews(session, tally, owner_id=owner_id, lower=lower, upper=upper)
    await _tally_messages(session, tally, owner_id=owner_id, lower=lower, upper=upper)
    topic_ids = sorted(tally.topic_ids)
    progress = await list_topic_progress(session, owner_id=owner_id, topic_ids=topic_ids, now=now)
    return _metrics_facts(tally, today, [progress[i] for i in topic_ids])


@dataclass
class _Tally:
    """Per-day counts inside [start, end], and every study day of the streak lookback."""

    start: date
    end: date
    zone: ZoneInfo
    seconds: dict[date, float] = field(default_factory=dict)
    reviews: dict[date, int] = field(default_factory=dict)
    messages: dict[date, int] = field(default_factory=dict)
    study_days: set[date] = field(default_factory=set)
    topic_ids: set[int] = field(default_factory=set)
    sessions_in_range: int = 0
    correct: int = 0

    def study_day(self, moment: datetime) -> date | None:
        """Record a study day at `moment` (learner's zone); the day if it is in range."""
        day = moment.astimezone(self.zone).date()
        self.study_days.add(day)
        return day if self.start <= day <= self.end else None


async def _tally_sessions(
    session: AsyncSession,
    tally: _Tally,
    *,
    owner_id: int,
    lower: datetime,
    upper: datetime,
    now: datetime,
) -> None:
    """Sessions started within the bounds: study days, sessions, minutes, topics."""
    rows = await session.exec(
        select(*SESSION_COLUMNS).where(
            StudySession.owner_id == owner_id,
            StudySession.started_at >= lower,
            StudySession.started_at < upper,
        )
    )
    for topic_id, times in map(session_times, rows):
        # A session's minutes (its active time) belong to the day it started, in the
        # learner's zone.
        day = tally.study_day(times.started_at)
        if day is not None:
            tally.sessions_in_range += 1
            seconds = counted_seconds(times, now)
            tally.seconds[day] = tally.seconds.get(day, 0.0) + seconds
            if topic_id is not None:
                tally.topic_ids.add(topic_id)


async def _tally_reviews(
    session: AsyncSession, tally: _Tally, *, owner_id: int, lower: datetime, upper: datetime
) -> None:
    """Card reviews within the bounds: study days, reviews, correct answers, topics."""
    for topic_id, reviewed_at, rating in await session.exec(
        select(CardReview.topic_id, CardReview.reviewed_at, CardReview.rating).where(
            CardReview.owner_id == owner_id,
            CardReview.reviewed_at >= lower,
            CardReview.reviewed_at < upper,
        )
    ):
        day = tally.study_day(reviewed_at)
        if day is not None:
            tally.reviews[day] = tally.reviews.get(day, 0) + 1
            tally.correct += rating in CORRECT_RATINGS
            tally.topic_ids.add(topic_id)


async def _tally_messages(
    session: AsyncSession, tally: _Tally, *, owner_id: int, lower: datetime, upper: datetime
) -> None:
    """The learner's own chat messages within the bounds: study days and messages."""
    for created_at in await session.exec(
        select(Message.created_at).where(
            Message.owner_id == owner_id,
            Message.role == MessageRole.USER,
            Message.created_at >= lower,
            Message.created_at < upper,
        )
    ):
        day = tally.study_day(created_at)
        if day is not None:
            tally.messages[day] = tally.messages.get(day, 0) + 1


def _metrics_facts(tally: _Tally, today: date, topics: list[TopicProgressFacts]) -> MetricsFacts:
    """The tally as daily rows, totals and streaks, with the studied topics' progress."""
    start, end = tally.start, tally.end
    daily = [
        DayFacts(
            day,
            int(tally.seconds.get(day, 0.0) // 60),
            tally.reviews.get(day, 0),
            tally.messages.get(day, 0),
        )
        for day in _days(start, end)
    ]
    reviews_count = sum(tally.reviews.values())
    return MetricsFacts(
        start=start,
        end=end,
        total_minutes=sum(day.minutes for day in daily),
        sessions_count=tally.sessions_in_range,
        messages_count=sum(tally.messages.values()),
        reviews_count=reviews_count,
        correct_rate=tally.correct / reviews_count if reviews_count else None,
        current_streak_days=current_streak(tally.study_days, end=end, today=today),
        longest_streak_days=longest_streak({d for d in tally.study_days if d <= end}),
        daily=daily,
        topics=topics,
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
