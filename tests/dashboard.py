"""The dashboard query and a learner to run it on, shared by its SQL-count test and bench.

tests/schema/test_dashboard_statements.py counts the statements the query runs;
bench/dashboard.py times it against bench/raw_dashboard.py. Both seed with
`seed_dashboard_topics`, so the figures speak of the same data.
"""

from datetime import datetime, timedelta

from db.engine import SessionFactory, unit_of_work
from db.learning import cards, goals
from db.learning.cards import CardDraft
from db.materials import library
from db.materials.library import MaterialStatus
from db.study import study_sessions, topics

# What a learner's home screen asks for at once. Fields that move with the clock from
# one request to the next (durationSeconds) are left out, so two answers can be compared.
DASHBOARD_QUERY = """
query Dashboard {
  me { id email displayName timezone }
  currentSession { id title mode startedAt topic { id title } }
  topics(first: 20) {
    edges {
      node {
        id
        title
        createdAt
        progress {
          mastery
          cardsCount
          dueCardsCount
          reviewsCount
          correctRate
          minutesStudied
          sessionsCount
          lastStudiedAt
          nextReviewAt
        }
        materials { totalCount }
      }
    }
  }
  nextUpTopics { score reason dueCardsCount topic { id title } }
}
"""

CARDS_PER_TOPIC = 3
REVIEWS_PER_TOPIC = 3
# Every moment sits half a day off `now`'s whole days: FSRS counts elapsed days and
# intervals in whole days, so the answer stays the same for hours after seeding.
CARDS_MADE = timedelta(days=10, hours=12)
FIRST_REVIEWS = timedelta(days=9, hours=12)
SECOND_REVIEW = timedelta(days=3, hours=12)
PAST_SESSION = timedelta(days=5, hours=12)
PAST_SESSION_LENGTH = timedelta(minutes=45)
# Longer ago than a session counts (4 hours), so its minutes stop moving.
CURRENT_SESSION = timedelta(hours=6, minutes=30)
MATERIAL_TEXT = b"Photosynthesis turns light into chemical energy.\n"


async def seed_dashboard_topics(
    session_factory: SessionFactory, *, owner_id: int, topic_count: int, now: datetime
) -> list[int]:
    """`topic_count` topics with the same learning data; returns their ids, oldest first.

    Each topic: 3 cards (one reviewed GOOD twice, one AGAIN once: overdue, one never
    reviewed: due since it was made), 1 READY material, 1 ended 45-minute session.
    The newest topic also has the active session and an exam goal in 10 days.

    At most two cards per topic have a non-zero predicted recall, so the mean
    (mastery) is the same float whatever order the database returns the cards in.
    """
    topic_ids = []
    for number in range(1, topic_count + 1):
        async with unit_of_work(session_factory) as session:
            topic_ids.append(await _seed_topic(session, owner_id, f"Topic {number:03d}", now))
    async with unit_of_work(session_factory) as session:
        newest = topic_ids[-1]
        await study_sessions.start_study_session(
            session,
            owner_id=owner_id,
            topic_id=newest,
            title=None,
            mode="QUIZ",
            model="local:tutor",
            now=now - CURRENT_SESSION,
            # Never idle within a day, so that it shows the four-hour cap of a session.
            idle_minutes=24 * 60,
        )
        await goals.create_study_goal(
            session,
            owner_id=owner_id,
            title="Exam",
            topic_id=newest,
            target_minutes_per_week=120,
            target_mastery=0.9,
            due_date=now.date() + timedelta(days=10),
            now=now,
        )
    return topic_ids


async def _seed_topic(session, owner_id: int, title: str, now: datetime) -> int:
    topic = await topics.create_topic(session, owner_id=owner_id, title=title, description=None)
    drafts = [CardDraft(f"{title} question {n}", f"answer {n}", None) for n in range(3)]
    made = await cards.create_cards(
        session, owner_id=owner_id, topic_id=topic.id, drafts=drafts, now=now - CARDS_MADE
    )
    reviews = [
        (made[0], "GOOD", FIRST_REVIEWS),
        (made[1], "AGAIN", FIRST_REVIEWS),
        (made[0], "GOOD", SECOND_REVIEW),
    ]
    for card, rating, ago in reviews:
        await cards.review_card(
            session, owner_id=owner_id, card_id=card.id, rating=rating, now=now - ago
        )
    material = await library.create_material(
        session, owner_id=owner_id, topic_id=topic.id, filename="notes.txt", data=MATERIAL_TEXT
    )
    material.status = MaterialStatus.READY
    session.add(material)
    past = await study_sessions.start_study_session(
        session,
        owner_id=owner_id,
        topic_id=topic.id,
        title=None,
        mode="EXPLAIN",
        model="local:tutor",
        now=now - PAST_SESSION,
        idle_minutes=24 * 60,  # a 45-minute session without a pause to go idle in
    )
    await study_sessions.end_study_session(
        session, owner_id=owner_id, session_id=past.id, now=now - PAST_SESSION + PAST_SESSION_LENGTH
    )
    return topic.id
