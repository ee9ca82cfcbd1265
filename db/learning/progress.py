"""A topic's progress: mastery from FSRS, card and review counts, time studied."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.learning.scheduling import CORRECT_RATINGS, as_utc, card_mastery, to_fsrs
from db.models import Card, CardReview, StudySession, Topic
from db.study.session_clock import SESSION_CAP, SessionTimes, counted_seconds, last_studied
from db.study.topics import get_topic

# The newest topics an owner-wide read (nextUpTopics, improvementAreas) looks at.
MAX_TOPICS = 500
WEEK = timedelta(days=7)
# The columns every reader of study time selects of a session, in this order.
SESSION_COLUMNS = (
    StudySession.topic_id,
    StudySession.started_at,
    StudySession.ended_at,
    StudySession.last_activity_at,
    StudySession.idle_deadline,
)


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
    # When each of the topic's cards is due, in no particular order (for nextUpTopics).
    card_dues: tuple[datetime, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class OwnerProgress:
    """The owner's newest topics (plain rows with a Topic's attributes) and their progress,
    all read at `now`."""

    now: datetime
    topics: list
    facts: dict[int, TopicProgressFacts]
    # week_minutes() of all the owner's sessions.
    minutes_last_week: dict[int | None, float]


@dataclass(frozen=True)
class _Recall:
    """What card_mastery() reads of a card, without building an ORM row or fsrs card."""

    stability: float | None
    last_review: datetime | None


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
    session: AsyncSession, *, owner_id: int, topic_ids: Sequence[int], now: datetime
) -> dict[int, TopicProgressFacts]:
    """Progress per topic in three statements however many topics (for DataLoaders).

    Topics that are not the owner's simply have no cards, reviews or sessions here.
    """
    ids = list(dict.fromkeys(topic_ids))
    if not ids:
        return {}
    sessions = await session.exec(
        select(*SESSION_COLUMNS).where(
            StudySession.owner_id == owner_id, col(StudySession.topic_id).in_(ids)
        )
    )
    return await _progress(
        session,
        ids,
        _cards_statement(owner_id, col(Card.topic_id).in_(ids)),
        _reviews_statement(owner_id, col(CardReview.topic_id).in_(ids)),
        {},
        list(sessions),
        as_utc(now),
    )


def _cards_statement(owner_id, topic_condition):
    """The columns progress reads of cards, as plain tuples (only aggregates leave)."""
    return select(Card.topic_id, Card.due, Card.stability, Card.last_reviewed_at).where(
        Card.owner_id == owner_id, topic_condition
    )


def _reviews_statement(owner_id, topic_condition):
    correct = case((col(CardReview.rating).in_(CORRECT_RATINGS), 1), else_=0)
    return (
        select(
            CardReview.topic_id,
            func.count(),
            func.sum(correct),
            func.max(CardReview.reviewed_at),
        )
        .where(CardReview.owner_id == owner_id, topic_condition)
        .group_by(CardReview.topic_id)
    )


async def _progress(
    session: AsyncSession,
    ids: list[int],
    cards_statement,
    reviews_statement,
    params: dict,
    session_rows: list[tuple],
    now: datetime,
) -> dict[int, TopicProgressFacts]:
    """Progress of the topics `ids` from their cards and reviews (the two statements,
    run with `params`) and the owner's sessions (rows of SESSION_COLUMNS)."""
    cards_by_topic: dict[int, list[tuple]] = {topic_id: [] for topic_id in ids}
    for topic_id, due, stability, last_reviewed_at in await session.exec(
        cards_statement, params=params
    ):
        if topic_id in cards_by_topic:
            cards_by_topic[topic_id].append((due, stability, last_reviewed_at))

    review_rows = await session.exec(reviews_statement, params=params)
    reviews = {row[0]: row[1:] for row in review_rows}

    sessions_by_topic: dict[int, list[SessionTimes]] = {i: [] for i in ids}
    for topic_id, times in map(session_times, session_rows):
        if topic_id in sessions_by_topic:
            sessions_by_topic[topic_id].append(times)

    return {
        topic_id: _facts(
            topic_id,
            cards_by_topic[topic_id],
            reviews.get(topic_id),
            sessions_by_topic[topic_id],
            now,
        )
        for topic_id in ids
    }


def _mastery(cards: list[tuple], now: datetime) -> float:
    """mean_mastery() over (due, stability, last_reviewed_at) tuples."""
    if not cards:
        return 0.0
    recall = [
        card_mastery(_Recall(stability, as_utc(last) if last else None), now)
        for _due, stability, last in cards
    ]
    return sum(recall) / len(cards)


def _facts(topic_id, cards, review_stats, sessions, now: datetime) -> TopicProgressFacts:
    reviews_count, correct_count, last_review_at = review_stats or (0, 0, None)
    dues = tuple(due for due, _stability, _last in cards)
    seconds = sum(counted_seconds(times, now) for times in sessions)
    session_moments = [last_studied(times, now) for times in sessions]
    moments = [moment for moment in [last_review_at, *session_moments] if moment is not None]
    return TopicProgressFacts(
        topic_id=topic_id,
        mastery=_mastery(cards, now),
        cards_count=len(cards),
        due_cards_count=sum(1 for due in dues if due <= now),
        reviews_count=reviews_count,
        correct_rate=(correct_count or 0) / reviews_count if reviews_count else None,
        minutes_studied=int(seconds // 60),
        sessions_count=len(sessions),
        last_studied_at=max(moments) if moments else None,
        next_review_at=min(dues, default=None),
        card_dues=dues,
    )


def _owner_statements():
    """get_owner_progress's statements, built once: owner_id and limit are parameters."""
    owner = bindparam("owner_id", type_=Integer)
    newest = (
        select(*Topic.__table__.columns)
        .where(Topic.owner_id == owner)
        .order_by(col(Topic.id).desc())
        .limit(bindparam("limit", type_=Integer))
    )
    # The cards and reviews of the same topics, named by a subquery: a constant
    # statement, not one with a parameter per topic.
    newest_ids = select(newest.with_only_columns(Topic.id).subquery().c.id)
    # All the owner's sessions: those of the topics and those of the last week (any
    # topic or none) in one statement.
    sessions = select(*SESSION_COLUMNS)
    return (
        newest,
        sessions.where(StudySession.owner_id == owner),
        _cards_statement(owner, col(Card.topic_id).in_(newest_ids)),
        _reviews_statement(owner, col(CardReview.topic_id).in_(newest_ids)),
    )


_TOPICS, _SESSIONS, _CARDS, _REVIEWS = _owner_statements()


async def get_owner_progress(
    session: AsyncSession, *, owner_id: int, now: datetime, limit: int = MAX_TOPICS
) -> OwnerProgress:
    """The owner's `limit` newest topics, newest first, with their progress, and the
    minutes studied in the last week (minutes_last_week): 4 statements."""
    now = as_utc(now)
    params = {"owner_id": owner_id, "limit": limit}
    topics = list(await session.exec(_TOPICS, params=params))
    sessions = list(await session.exec(_SESSIONS, params=params))
    facts = {}
    if topics:
        ids = [topic.id for topic in topics]
        facts = await _progress(session, ids, _CARDS, _REVIEWS, params, sessions, now)
    return OwnerProgress(now, topics, facts, week_minutes(sessions, now))


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
