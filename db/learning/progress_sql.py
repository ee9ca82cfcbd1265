"""The statements of db/learning/progress.py: a topic's progress as one aggregate row.

One row per topic holds what progress and nextUpTopics need of its cards (count, due
count, next due, the sum of the cards' mastery, the next-up terms; card_sql.py), of
its reviews (count, correct count, latest) and, for the owner-wide read, its material
count. Sessions stay rows (db/study/session_clock.py counts their active time).

Every statement is built once with bound parameters: `owner_id`, `now` and `horizon`
(now + MASTERY_HORIZON), and `ids` (expanding) or `limit`.
"""

from sqlalchemy import Integer, bindparam, case, func, select
from sqlalchemy.sql import Select

from db.learning.card_sql import (
    at_least,
    capped,
    count_where,
    recall_at,
    seconds_between,
    whole_days,
)
from db.learning.scheduling import CORRECT_RATINGS
from db.models import Card, CardReview, StudyMaterial, StudySession, Topic
from db.types import UTCDateTime

# The columns every reader of study time selects of a session, in this order.
SESSION_COLUMNS = (
    StudySession.topic_id,
    StudySession.started_at,
    StudySession.ended_at,
    StudySession.last_activity_at,
    StudySession.idle_deadline,
)
# Cards counted overdue for at most this many days each (db/learning/next_up.py).
MAX_OVERDUE_DAYS = 30
# A card comes due "with the soonest" within a quarter of the wait for it, at least a
# minute (next_up._score_soonest).
SOON_WINDOW_SHARE = 4
SOON_WINDOW_MIN_SECONDS = 60

_OWNER = bindparam("owner_id", type_=Integer)
_NOW = bindparam("now", type_=UTCDateTime)
_HORIZON = bindparam("horizon", type_=UTCDateTime)
_IDS = bindparam("ids", expanding=True)


def _card_figures(*conditions):
    """Per topic: the aggregates of its cards (see the module's docstring)."""
    cards = (
        select(
            Card.topic_id,
            Card.due,
            Card.stability,
            Card.last_reviewed_at,
            func.min(Card.due).over(partition_by=Card.topic_id).label("first_due"),
        )
        .where(Card.owner_id == _OWNER, *conditions)
        .subquery()
    )
    c = cards.c
    due_now = c.due <= _NOW
    overdue = whole_days(_NOW, c.due)
    wait = seconds_between(c.first_due, _NOW)
    window = at_least(wait / SOON_WINDOW_SHARE, SOON_WINDOW_MIN_SECONDS)
    return (
        select(
            c.topic_id,
            func.count().label("cards_count"),
            count_where(due_now).label("due_count"),
            func.min(c.due).label("next_review_at"),
            func.sum(recall_at(_HORIZON, c.stability, c.last_reviewed_at)).label("recall_sum"),
            func.sum(case((due_now, capped(overdue, MAX_OVERDUE_DAYS)), else_=0)).label(
                "overdue_days"
            ),
            count_where(due_now, overdue >= 1).label("late_count"),
            count_where(seconds_between(c.due, c.first_due) <= window).label("coming_count"),
        )
        .group_by(c.topic_id)
        .subquery()
    )


def _review_figures(*conditions):
    correct = case((CardReview.rating.in_(CORRECT_RATINGS), 1), else_=0)
    return (
        select(
            CardReview.topic_id,
            func.count().label("reviews_count"),
            func.sum(correct).label("correct_count"),
            func.max(CardReview.reviewed_at).label("last_review_at"),
        )
        .where(CardReview.owner_id == _OWNER, *conditions)
        .group_by(CardReview.topic_id)
        .subquery()
    )


def _material_counts():
    return (
        select(StudyMaterial.topic_id, func.count().label("materials_count"))
        .where(StudyMaterial.owner_id == _OWNER)
        .group_by(StudyMaterial.topic_id)
        .subquery()
    )


def _figure_columns(cards, reviews) -> tuple:
    return (
        cards.c.cards_count,
        cards.c.due_count,
        cards.c.next_review_at,
        cards.c.recall_sum,
        cards.c.overdue_days,
        cards.c.late_count,
        cards.c.coming_count,
        reviews.c.reviews_count,
        reviews.c.correct_count,
        reviews.c.last_review_at,
    )


def _by_ids() -> Select:
    """The progress rows of the topics `ids` that have cards or reviews."""
    cards = _card_figures(Card.topic_id.in_(_IDS))
    reviews = _review_figures(CardReview.topic_id.in_(_IDS))
    topic_ids = select(cards.c.topic_id).union(select(reviews.c.topic_id)).subquery("topic_ids")
    return (
        select(topic_ids.c.topic_id, *_figure_columns(cards, reviews))
        .outerjoin(cards, cards.c.topic_id == topic_ids.c.topic_id)
        .outerjoin(reviews, reviews.c.topic_id == topic_ids.c.topic_id)
    )


def _newest() -> Select:
    """The owner's `limit` newest topics, newest first: a Topic's columns, its progress
    figures and its material count."""
    cards, reviews, materials = _card_figures(), _review_figures(), _material_counts()
    return (
        select(
            *Topic.__table__.columns,
            Topic.id.label("topic_id"),
            *_figure_columns(cards, reviews),
            materials.c.materials_count,
        )
        .outerjoin(cards, cards.c.topic_id == Topic.id)
        .outerjoin(reviews, reviews.c.topic_id == Topic.id)
        .outerjoin(materials, materials.c.topic_id == Topic.id)
        .where(Topic.owner_id == _OWNER)
        .order_by(Topic.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def progress_statements() -> tuple[Select, Select, Select, Select]:
    """(progress rows by ids, their sessions, the newest topics with progress, all the
    owner's sessions)."""
    sessions = select(*SESSION_COLUMNS).where(StudySession.owner_id == _OWNER)
    return _by_ids(), sessions.where(StudySession.topic_id.in_(_IDS)), _newest(), sessions
