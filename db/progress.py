"""A topic's progress: mastery from FSRS, card and review counts, time studied."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Card, CardReview, StudySession
from db.scheduling import CORRECT_RATINGS, as_utc, row_retrievability
from db.topics import get_topic

# A session nobody ended (a closed tab, a lost phone) would otherwise count every hour
# until it is ended, and could add days of "study". Each session counts at most this
# long; an active one counts up to now within the same cap.
SESSION_CAP = timedelta(hours=4)


@dataclass(frozen=True)
class TopicProgressFacts:
    topic_id: int
    mastery: float  # mean retrievability of the topic's cards now, 0 with no cards
    cards_count: int
    due_cards_count: int
    reviews_count: int
    correct_rate: float | None
    minutes_studied: int
    sessions_count: int
    last_studied_at: datetime | None
    next_review_at: datetime | None


def session_seconds(started_at: datetime, ended_at: datetime | None, now: datetime) -> float:
    """Seconds a session counts for: to its end (or now while active), capped."""
    end = ended_at or now
    return max(0.0, min((end - started_at).total_seconds(), SESSION_CAP.total_seconds()))


def mean_retrievability(cards: Sequence[Card], at: datetime) -> float:
    """Mean predicted recall of the cards at `at`; 0 for no cards."""
    if not cards:
        return 0.0
    return sum(row_retrievability(card, at) for card in cards) / len(cards)


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
    now = as_utc(now)
    cards_by_topic: dict[int, list[Card]] = {topic_id: [] for topic_id in ids}
    card_rows = await session.exec(
        select(Card).where(Card.owner_id == owner_id, col(Card.topic_id).in_(ids))
    )
    for card in card_rows:
        cards_by_topic[card.topic_id].append(card)

    correct = case((col(CardReview.rating).in_(CORRECT_RATINGS), 1), else_=0)
    review_rows = await session.exec(
        select(
            CardReview.topic_id,
            func.count(),
            func.sum(correct),
            func.max(CardReview.reviewed_at),
        )
        .where(CardReview.owner_id == owner_id, col(CardReview.topic_id).in_(ids))
        .group_by(CardReview.topic_id)
    )
    reviews = {row[0]: row[1:] for row in review_rows}

    sessions_by_topic: dict[int, list[tuple[datetime, datetime | None]]] = {i: [] for i in ids}
    session_rows = await session.exec(
        select(StudySession.topic_id, StudySession.started_at, StudySession.ended_at).where(
            StudySession.owner_id == owner_id, col(StudySession.topic_id).in_(ids)
        )
    )
    for topic_id, started_at, ended_at in session_rows:
        sessions_by_topic[topic_id].append((started_at, ended_at))

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


def _facts(topic_id, cards, review_stats, sessions, now: datetime) -> TopicProgressFacts:
    reviews_count, correct_count, last_review_at = review_stats or (0, 0, None)
    seconds = sum(session_seconds(start, end, now) for start, end in sessions)
    session_moments = [min(end or now, start + SESSION_CAP) for start, end in sessions]
    moments = [moment for moment in [last_review_at, *session_moments] if moment is not None]
    return TopicProgressFacts(
        topic_id=topic_id,
        mastery=mean_retrievability(cards, now),
        cards_count=len(cards),
        due_cards_count=sum(1 for card in cards if card.due <= now),
        reviews_count=reviews_count,
        correct_rate=(correct_count or 0) / reviews_count if reviews_count else None,
        minutes_studied=int(seconds // 60),
        sessions_count=len(sessions),
        last_studied_at=max(moments) if moments else None,
        next_review_at=min((card.due for card in cards), default=None),
    )
