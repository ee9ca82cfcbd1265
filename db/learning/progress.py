"""A topic's progress: mastery from FSRS, card and review counts, time studied."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from db.learning.progress_sql import SESSION_COLUMNS as SESSION_COLUMNS  # re-exported
from db.learning.progress_sql import progress_statements
from db.learning.scheduling import MASTERY_HORIZON, as_utc, card_mastery, to_fsrs
from db.models import Card
from db.study.session_clock import SESSION_CAP, SessionTimes, counted_seconds, last_studied
from db.study.topics import get_topic

# The newest topics an owner-wide read (nextUpTopics, improvementAreas) looks at.
MAX_TOPICS = 500
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TopicProgressFacts:
    topic_id: int
    mastery: float  # mean card_mastery() of the topic's cards now, 0 with no cards
    cards_count: int
    due_cards_count: int
    reviews_count: int
    correct_rate: float | None
    minutes_studied: int
    sessions_count: int
    last_studied_at: datetime | None
    next_review_at: datetime | None
    # What nextUpTopics scores of the due cards (db/learning/next_up.py): the days each
    # is overdue, up to 30 a card, summed; how many are a day or more overdue; and, when
    # none is due, how many come due within the soonest card's window.
    overdue_days: int = field(default=0, repr=False, compare=False)
    late_cards_count: int = field(default=0, repr=False, compare=False)
    coming_soon_count: int = field(default=0, repr=False, compare=False)


@dataclass(frozen=True)
class OwnerProgress:
    """The owner's newest topics (plain rows with a Topic's attributes) and their progress,
    all read at `now`."""

    now: datetime
    topics: list
    facts: dict[int, TopicProgressFacts]
    # week_minutes() of all the owner's sessions.
    minutes_last_week: dict[int | None, float]
    # How many materials each of the topics has.
    materials_counts: dict[int, int] = field(default_factory=dict)
    # The owner's ACTIVE goals as plain rows, when the reader read them too
    # (goals.list_active_goal_rows).
    active_goals: list | None = None


def session_times(row: tuple) -> tuple[int | None, SessionTimes]:
    """(topic_id, times) of a row of SESSION_COLUMNS."""
    return row[0], SessionTimes(*row[1:])


def mean_mastery(cards: Sequence[Card], at: datetime) -> float:
    """Mean card_mastery() of the cards at `at`; 0 for no cards."""
    if not cards:
        return 0.0
    return sum(card_mastery(to_fsrs(card), at) for card in cards) / len(cards)


async def get_topic_progress(
    session: AsyncSession, *, owner_id: int, topic_id: int, now: datetime
) -> TopicProgressFacts:
    """Progress of one of the owner's topics (NotFound for anyone else's)."""
    await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    facts = await list_topic_progress(session, owner_id=owner_id, topic_ids=[topic_id], now=now)
    return facts[topic_id]


async def list_topic_progress(
    session: AsyncSession | AsyncConnection,
    *,
    owner_id: int,
    topic_ids: Sequence[int],
    now: datetime,
) -> dict[int, TopicProgressFacts]:
    """Progress per topic in two statements however many topics (for DataLoaders).

    Topics that are not the owner's get the progress of a topic without cards,
    reviews or sessions.
    """
    ids = list(dict.fromkeys(topic_ids))
    if not ids:
        return {}
    connection = await _connection_of(session)
    now = as_utc(now)
    params = {"owner_id": owner_id, "ids": ids, **figure_params(now)}
    rows = {row.topic_id: row for row in await connection.execute(_BY_IDS, params)}
    sessions = await connection.execute(_SESSIONS_BY_IDS, params)
    by_topic = _sessions_by_topic(ids, sessions)
    return {
        topic_id: _facts(topic_id, rows.get(topic_id), by_topic[topic_id], now) for topic_id in ids
    }


async def get_owner_progress(
    session: AsyncSession | AsyncConnection,
    *,
    owner_id: int,
    now: datetime,
    limit: int = MAX_TOPICS,
) -> OwnerProgress:
    """The owner's `limit` newest topics, newest first, with their progress and material
    counts, and the minutes studied in the last week (minutes_last_week): 2 statements."""
    connection = await _connection_of(session)
    now = as_utc(now)
    params = {"owner_id": owner_id, "limit": limit, **figure_params(now)}
    topics = list(await connection.execute(_NEWEST, params))
    sessions = list(await connection.execute(_SESSIONS, params))
    by_topic = _sessions_by_topic([topic.id for topic in topics], sessions)
    facts = {topic.id: _facts(topic.id, topic, by_topic[topic.id], now) for topic in topics}
    materials = {topic.id: topic.materials_count or 0 for topic in topics}
    return OwnerProgress(now, topics, facts, week_minutes(sessions, now), materials)


async def _connection_of(session: AsyncSession | AsyncConnection) -> AsyncConnection:
    """The Core connection to read on: a session's own (in its transaction, if any)."""
    if isinstance(session, AsyncConnection):
        return session
    return await session.connection()


def figure_params(now: datetime) -> dict[str, datetime]:
    """The moments the progress statements compare cards with."""
    return {"now": now, "horizon": now + MASTERY_HORIZON}


def _sessions_by_topic(ids: list[int], rows) -> dict[int, list[SessionTimes]]:
    by_topic: dict[int, list[SessionTimes]] = {topic_id: [] for topic_id in ids}
    for topic_id, times in map(session_times, rows):
        if topic_id in by_topic:
            by_topic[topic_id].append(times)
    return by_topic


def _facts(topic_id: int, row, sessions: list[SessionTimes], now: datetime) -> TopicProgressFacts:
    """A topic's facts from its row of progress_statement() (None: nothing of it was
    found) and its sessions."""
    cards = (row.cards_count or 0) if row is not None else 0
    reviews = (row.reviews_count or 0) if row is not None else 0
    seconds = sum(counted_seconds(times, now) for times in sessions)
    last_review_at = row.last_review_at if row is not None else None
    moments = [last_review_at, *(last_studied(times, now) for times in sessions)]
    moments = [moment for moment in moments if moment is not None]
    return TopicProgressFacts(
        topic_id=topic_id,
        # The mean of the cards' recall, divided here as Python's mean_mastery() does.
        mastery=row.recall_sum / cards if cards else 0.0,
        cards_count=cards,
        due_cards_count=int(row.due_count or 0) if cards else 0,
        reviews_count=reviews,
        correct_rate=(row.correct_count or 0) / reviews if reviews else None,
        minutes_studied=int(seconds // 60),
        sessions_count=len(sessions),
        last_studied_at=max(moments) if moments else None,
        next_review_at=row.next_review_at if cards else None,
        overdue_days=int(row.overdue_days or 0) if cards else 0,
        late_cards_count=int(row.late_count or 0) if cards else 0,
        coming_soon_count=int(row.coming_count or 0) if cards else 0,
    )


_BY_IDS, _SESSIONS_BY_IDS, _NEWEST, _SESSIONS = progress_statements()


def week_minutes(sessions: Iterable[tuple], now: datetime) -> dict[int | None, float]:
    """Minutes studied in the seven days before `now` per topic (None: no topic), of
    sessions as rows of SESSION_COLUMNS (only the active part of each counts)."""
    now = as_utc(now)
    since = now - WEEK
    earliest = since - SESSION_CAP
    minutes: dict[int | None, float] = {}
    for topic_id, times in map(session_times, sessions):
        if not earliest <= times.started_at <= now:
            continue
        counted = counted_seconds(times, now, since=since) / 60
        minutes[topic_id] = minutes.get(topic_id, 0.0) + counted
    return minutes
