"""A believable past: flashcard reviews replayed through FSRS at past timestamps, and
finished study sessions on the days the learner studied.

Nothing is invented in the cards' state: each review goes through the same
`review_card` the API uses, at the moment the card was due (give or take a few hours),
so stability, difficulty, due dates, lapses and the review log are what FSRS makes of
that history. A seeded random generator picks the ratings, so every demo is the same.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.learning.cards import review_card
from db.models import Card, StudySession
from db.study.modes import TutorMode

# Reviews stop this long before now, so cards that fell due since are due today:
# the dashboard, plan and next-up have something to show.
QUIET_DAYS = 2


@dataclass(frozen=True)
class Recall:
    """How well the learner knows a topic: the chance of each rating at a review."""

    again: float
    hard: float
    easy: float

    def rating(self, rng: random.Random) -> str:
        draw = rng.random()
        if draw < self.again:
            return "AGAIN"
        if draw < self.again + self.hard:
            return "HARD"
        if draw > 1 - self.easy:
            return "EASY"
        return "GOOD"


async def replay_reviews(
    session: AsyncSession,
    *,
    owner_id: int,
    card: Card,
    recall: Recall,
    now: datetime,
    rng: random.Random,
) -> int:
    """Review the card each time it fell due until QUIET_DAYS ago; returns the count."""
    stop_at = now - timedelta(days=QUIET_DAYS)
    reviews = 0
    when = card.due
    while when <= stop_at:
        card = await review_card(
            session,
            owner_id=owner_id,
            card_id=card.id,
            rating=recall.rating(rng),
            now=when,
            duration_seconds=rng.randint(6, 40),
        )
        reviews += 1
        when = _next_sitting(card.due, after=when, rng=rng)
    return reviews


def past_sessions(
    *, owner_id: int, topic_id: int, title: str, days_ago: list[int], now: datetime
) -> list[StudySession]:
    """Finished sessions of 20-45 minutes, one on each of the given past days."""
    rows = []
    for index, days in enumerate(days_ago):
        started = (now - timedelta(days=days)).replace(hour=18, minute=0, second=0, microsecond=0)
        rows.append(
            StudySession(
                owner_id=owner_id,
                topic_id=topic_id,
                title=title,
                mode=(TutorMode.EXPLAIN, TutorMode.QUIZ, TutorMode.SOCRATIC)[index % 3],
                model="local:tutor",
                started_at=started,
                ended_at=started + timedelta(minutes=20 + 5 * (index % 6)),
            )
        )
    return rows


def _next_sitting(due: datetime, *, after: datetime, rng: random.Random) -> datetime:
    """When the learner reviews a card next: learning steps (minutes away) in the same
    sitting, later reviews a few hours after the card fell due."""
    if due - after < timedelta(hours=1):
        return max(due, after + timedelta(seconds=30))
    return due + timedelta(hours=rng.randint(0, 6), minutes=rng.randint(0, 59))
