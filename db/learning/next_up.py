"""What to study next and where to improve, from FSRS state, goals and activity."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import user_zone
from db.errors import BadUserInput
from db.learning.goals import GoalView, list_active_goal_views
from db.learning.progress import (
    MAX_TOPICS,
    OwnerProgress,
    TopicProgressFacts,
    get_owner_progress,
    list_topic_progress,
)
from db.learning.scheduling import as_utc, card_mastery, to_fsrs
from db.models import Card, Topic, User
from db.study.modes import TutorMode

WEAK_CARDS = 3
# Weights of the next-up score: a due card is one point; the rest are scaled to it.
OVERDUE_DAY_WEIGHT = 0.1
GOAL_GAP_WEIGHT = 10.0
NEGLECT_WEIGHT = 0.1
# A card coming due soon is worth up to half a due one, less the longer the wait.
SOON_WEIGHT = 0.5
WEAKNESS_WEIGHT = 1.0
DEFAULT_LIMIT = 5
MAX_LIMIT = 50


@dataclass(frozen=True)
class Recommendation:
    topic_id: int
    score: float
    reason: str
    due_cards_count: int


@dataclass(frozen=True)
class Weakness:
    topic_id: int
    mastery: float
    reason: str
    suggested_mode: str
    weak_card_ids: list[int]


def check_limit(limit: int | None) -> int:
    """A list's `limit`: 1 to MAX_LIMIT, else BAD_USER_INPUT (never silently clamped)."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise BadUserInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def local_today(timezone: str | None, now: datetime) -> date:
    """The date at `now` in a learner's time zone (None: the default zone)."""
    return as_utc(now).astimezone(user_zone(timezone)).date()


async def _list_topics_facts_and_cards(session: AsyncSession, owner_id: int, now: datetime):
    topics = list(
        await session.exec(
            select(Topic)
            .where(Topic.owner_id == owner_id)
            .order_by(col(Topic.id).desc())
            .limit(MAX_TOPICS)
        )
    )
    ids = [topic.id for topic in topics]
    facts = await list_topic_progress(session, owner_id=owner_id, topic_ids=ids, now=now)
    cards: dict[int, list[Card]] = {topic_id: [] for topic_id in ids}
    for card in await session.exec(
        select(Card).where(Card.owner_id == owner_id, col(Card.topic_id).in_(ids))
    ):
        cards[card.topic_id].append(card)
    return topics, facts, cards


async def list_next_up_topics(
    session: AsyncSession,
    *,
    owner_id: int,
    now: datetime,
    limit: int | None = DEFAULT_LIMIT,
    progress: OwnerProgress | None = None,
    owner: User | None = None,
) -> list[Recommendation]:
    """Every topic with cards or active goals, ranked, each with its reasons.

    Topics with cards due now come first; within each group, by score:
    Score = due cards (+0.1 per day each is overdue, up to 30 days)
          + 0.5 per card coming due next / (1 + hours until it is due), when none is due
          + (1 - mastery), for topics with cards (the weakest first)
          + 10 x the mastery gap of each active goal, x 7/days-left when it has a date
          + the share of the weekly minutes still missing
          + 0.1 per day since the topic was last studied (up to 30 days).
    An empty topic without goals has nothing to come back to and is left out.

    `limit`: 1 to MAX_LIMIT, else BAD_USER_INPUT. `progress` and `owner` (the learner's
    row, whose time zone says which day today is) are read here unless the caller
    already holds them.
    """
    limit = check_limit(limit)
    now = as_utc(now)
    if owner is None:
        owner = await session.get(User, owner_id)
    if progress is None:
        progress = await get_owner_progress(session, owner_id=owner_id, now=now, limit=MAX_TOPICS)
    views = await list_active_goal_views(
        session,
        owner_id=owner_id,
        now=now,
        facts=progress.facts,
        minutes=progress.minutes_last_week,
    )
    return rank_next_up(progress, views, owner=owner, now=now, limit=limit)


def rank_next_up(
    progress: OwnerProgress, views: list[GoalView], *, owner, now: datetime, limit: int
) -> list[Recommendation]:
    """list_next_up_topics' ranking of what is already read: the owner's progress and the
    views of their ACTIVE goals (`owner`: the learner's row, for their time zone)."""
    limit = check_limit(limit)
    now = as_utc(now)
    today = local_today(owner.timezone if owner else None, now)
    topics, facts = progress.topics, progress.facts
    recommendations = []
    for topic in topics:
        topic_views = [view for view in views if view.goal.topic_id == topic.id]
        recommendation = _recommend(topic, facts[topic.id], topic_views, now=now, today=today)
        if recommendation is not None:
            recommendations.append(recommendation)
    recommendations.sort(key=lambda item: (item.due_cards_count == 0, -item.score, -item.topic_id))
    return recommendations[: max(0, limit)]


class _Score:
    """A topic's next-up score, added up term by term, with the reason for each term."""

    def __init__(self) -> None:
        self.points = 0.0
        self.reasons: list[str] = []

    def add(self, points: float, reason: str) -> None:
        self.points += points
        self.reasons.append(reason)


def _recommend(
    topic: Topic, fact: TopicProgressFacts, views: list[GoalView], *, now: datetime, today: date
) -> Recommendation | None:
    """The topic's score and reasons (see list_next_up_topics); None without a reason."""
    score = _Score()
    # The due cards' figures are aggregates of the progress read (db/learning/progress_sql.py).
    due = fact.due_cards_count
    if due:
        late = fact.late_cards_count
        text = f"{_cards(due)} due for review now"
        score.add(
            due + OVERDUE_DAY_WEIGHT * fact.overdue_days,
            text + (f", {late} overdue by a day or more" if late else ""),
        )
    elif fact.next_review_at is not None:
        _score_soonest(score, fact.next_review_at, fact.coming_soon_count, now)
    if fact.cards_count:
        score.add(WEAKNESS_WEIGHT * (1 - fact.mastery), f"mastery {fact.mastery:.0%}")
    for view in views:
        _score_goal(score, view, fact, today=today)
    if fact.cards_count or views:
        last = fact.last_studied_at
        # Never negative: a topic stamped by another clock may look made in the future.
        idle = max(0, min(30, (now - (last or topic.created_at)).days))
        if idle >= 2 or last is None:
            reason = "never studied" if last is None else f"not studied for {idle} days"
            score.add(NEGLECT_WEIGHT * idle, reason)
    if not score.reasons:
        return None
    reason = "; ".join(score.reasons)
    return Recommendation(topic.id, round(score.points, 3), reason[0].upper() + reason[1:], due)


def _score_soonest(score: _Score, soonest: datetime, coming: int, now: datetime) -> None:
    """The cards coming due next: `coming` cards due within a quarter of the wait for the
    `soonest` one, at least a minute (counted by the progress read)."""
    wait = soonest - now
    verb = "comes" if coming == 1 else "come"
    score.add(
        SOON_WEIGHT * coming / (1 + wait.total_seconds() / 3600),
        f"{_cards(coming)} {verb} due in {_wait(wait)}",
    )


def _cards(count: int) -> str:
    return f"{count} card{'s' if count != 1 else ''}"


def _wait(wait: timedelta) -> str:
    """A wait as a learner says it: "1 minute", "3 hours", "2 days"."""
    seconds = wait.total_seconds()
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        count, unit = minutes, "minute"
    elif seconds < 48 * 3600:
        count, unit = round(seconds / 3600), "hour"
    else:
        count, unit = round(seconds / 86400), "day"
    return f"{count} {unit}{'s' if count != 1 else ''}"


def _score_goal(score: _Score, view: GoalView, fact: TopicProgressFacts, *, today: date) -> None:
    """The goal's terms: its mastery gap (urgent before a date), its missing minutes."""
    goal = view.goal
    if goal.target_mastery and fact.mastery < goal.target_mastery:
        gap = goal.target_mastery - fact.mastery
        if goal.due_date and goal.due_date >= today:
            days_left = (goal.due_date - today).days
            score.add(
                GOAL_GAP_WEIGHT * gap * 7 / max(1, days_left),
                f"'{goal.title}' is on {goal.due_date.isoformat()} (in {days_left} "
                f"day{'s' if days_left != 1 else ''}) and mastery is "
                f"{fact.mastery:.0%}, below the {goal.target_mastery:.0%} target",
            )
        else:
            score.add(
                GOAL_GAP_WEIGHT * gap,
                f"mastery is {fact.mastery:.0%}, below the {goal.target_mastery:.0%} "
                f"target of '{goal.title}'",
            )
    if goal.target_minutes_per_week and view.progress < 1:
        score.add(1 - view.progress, f"the weekly minutes of '{goal.title}' are not reached yet")


async def list_improvement_areas(
    session: AsyncSession, *, owner_id: int, now: datetime, limit: int | None = DEFAULT_LIMIT
) -> list[Weakness]:
    """The weakest reviewed topics, weakest first, with their most-forgotten cards.

    Weakness = (1 - mastery) + (1 - correct rate) + lapses per card (capped at 1): low
    predicted recall, answers that go wrong, and cards forgotten after being learnt.
    `limit`: 1 to MAX_LIMIT, else BAD_USER_INPUT.
    """
    limit = check_limit(limit)
    now = as_utc(now)
    _topics, facts, cards = await _list_topics_facts_and_cards(session, owner_id, now)
    areas = []
    for topic_id, fact in facts.items():
        if not fact.reviews_count or not cards[topic_id]:
            continue
        topic_cards = cards[topic_id]
        lapses = sum(card.lapses for card in topic_cards)
        lapse_rate = min(1.0, lapses / len(topic_cards))
        wrong = 1 - (fact.correct_rate or 0.0)
        weakness = (1 - fact.mastery) + wrong + lapse_rate
        recall = {card.id: card_mastery(to_fsrs(card), now) for card in topic_cards}
        weak = sorted(topic_cards, key=lambda card: (-card.lapses, recall[card.id], card.id))
        weak = weak[:WEAK_CARDS]
        if fact.mastery < 0.5:
            mode, advice = TutorMode.EXPLAIN, "go over the ideas again before more quizzing"
        elif lapse_rate >= 0.5:
            mode, advice = TutorMode.SOCRATIC, "work out why the forgotten cards slip away"
        else:
            mode, advice = TutorMode.QUIZ, "quiz the shaky cards to firm them up"
        reason = (
            f"Mastery {fact.mastery:.0%}, {wrong:.0%} of {fact.reviews_count} reviews wrong, "
            f"{lapses} lapse{'s' if lapses != 1 else ''} over {len(topic_cards)} cards"
        )
        if weak and weak[0].lapses:
            reason += f"; '{weak[0].front}' forgotten {weak[0].lapses} times"
        areas.append(
            (
                weakness,
                Weakness(
                    topic_id, fact.mastery, f"{reason}: {advice}.", mode, [card.id for card in weak]
                ),
            )
        )
    areas.sort(key=lambda item: (-item[0], item[1].topic_id))
    return [area for _, area in areas[: max(0, limit)]]
