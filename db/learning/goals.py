"""Study goals: weekly minutes, a target mastery, an optional exam date. Owner-filtered."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Row, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.accounts.timezones import user_zone
from db.errors import BadUserInput
from db.learning.progress import (
    SESSION_COLUMNS,
    WEEK,
    TopicProgressFacts,
    list_topic_progress,
    week_minutes,
)
from db.learning.scheduling import as_utc
from db.learning.states import GoalStatus
from db.models import StudyGoal, StudySession, User
from db.ownership import get_owned
from db.study.session_clock import SESSION_CAP
from db.study.topics import get_topic
from db.validation import UNCHANGED, clean_text

TITLE_MAX = 200


STATUSES = tuple(GoalStatus)
MAX_MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True)
class GoalView:
    """A goal with how far the learner is toward it now."""

    goal: StudyGoal
    progress: float


def _check_targets(minutes: int | None, mastery: float | None) -> None:
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES_PER_WEEK:
        raise BadUserInput(
            f"targetMinutesPerWeek must be between 1 and {MAX_MINUTES_PER_WEEK}",
            field="targetMinutesPerWeek",
        )
    if mastery is not None and not 0 < mastery <= 1:
        raise BadUserInput("targetMastery must be in (0, 1]", field="targetMastery")


async def create_study_goal(
    session: AsyncSession,
    *,
    owner_id: int,
    title: str,
    topic_id: int | None,
    target_minutes_per_week: int | None,
    target_mastery: float | None,
    due_date: date | None,
    now: datetime,
) -> StudyGoal:
    """A new active goal; a mastery target needs a topic to measure it on.

    A due date must not be in the past (today, in the learner's time zone, is fine).
    """
    if due_date is not None and due_date < await _today(session, owner_id=owner_id, now=now):
        raise BadUserInput("dueDate must not be in the past", field="dueDate")
    if topic_id is not None:
        await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    elif target_mastery is not None:
        raise BadUserInput("targetMastery needs a topicId", field="targetMastery")
    _check_targets(target_minutes_per_week, target_mastery)
    goal = StudyGoal(
        owner_id=owner_id,
        topic_id=topic_id,
        title=clean_text(title, field="title", max_length=TITLE_MAX),
        target_minutes_per_week=target_minutes_per_week,
        target_mastery=target_mastery,
        due_date=due_date,
    )
    session.add(goal)
    await session.flush()
    return goal


async def _today(session: AsyncSession, *, owner_id: int, now: datetime) -> date:
    user = await session.get(User, owner_id)
    return as_utc(now).astimezone(user_zone(user.timezone if user else None)).date()


async def get_study_goal(session: AsyncSession, *, owner_id: int, goal_id: int) -> StudyGoal:
    """The owner's goal, or NotFound."""
    return await get_owned(session, StudyGoal, owner_id=owner_id, row_id=goal_id, kind="StudyGoal")


async def update_study_goal(
    session: AsyncSession,
    *,
    owner_id: int,
    goal_id: int,
    title: object = UNCHANGED,
    target_minutes_per_week: object = UNCHANGED,
    target_mastery: object = UNCHANGED,
    due_date: object = UNCHANGED,
    status: object = UNCHANGED,
) -> StudyGoal:
    """Change the given fields; None clears a target or the date.

    Changing a target or the date of an ACHIEVED goal reopens it (ACTIVE), so that the
    next reader (list_goal_views) decides afresh whether the new targets are reached.
    """
    goal = await get_study_goal(session, owner_id=owner_id, goal_id=goal_id)
    targets = (target_minutes_per_week, target_mastery, due_date)
    if goal.status == GoalStatus.ACHIEVED and any(value is not UNCHANGED for value in targets):
        goal.status = GoalStatus.ACTIVE
    if title is not UNCHANGED and title is not None:
        goal.title = clean_text(title, field="title", max_length=TITLE_MAX)
    if target_minutes_per_week is not UNCHANGED:
        goal.target_minutes_per_week = target_minutes_per_week
    if target_mastery is not UNCHANGED:
        if target_mastery is not None and goal.topic_id is None:
            raise BadUserInput("targetMastery needs a goal with a topic", field="targetMastery")
        goal.target_mastery = target_mastery
    if due_date is not UNCHANGED:
        goal.due_date = due_date
    if status is not UNCHANGED and status is not None:
        if status not in STATUSES:
            raise BadUserInput(f"status must be one of {', '.join(STATUSES)}", field="status")
        goal.status = status
    _check_targets(goal.target_minutes_per_week, goal.target_mastery)
    session.add(goal)
    await session.flush()
    return goal


async def create_study_goal_with_progress(
    session: AsyncSession, *, owner_id: int, now: datetime, **fields: Any
) -> GoalView:
    """create_study_goal (same keyword fields), read back with its progress."""
    goal = await create_study_goal(session, owner_id=owner_id, now=now, **fields)
    return await _goal_view(session, owner_id=owner_id, goal=goal, now=now)


async def update_study_goal_with_progress(
    session: AsyncSession, *, owner_id: int, goal_id: int, now: datetime, **changes: Any
) -> GoalView:
    """update_study_goal (same keyword changes), read back with its progress."""
    goal = await update_study_goal(session, owner_id=owner_id, goal_id=goal_id, **changes)
    return await _goal_view(session, owner_id=owner_id, goal=goal, now=now)


async def get_study_goal_view(
    session: AsyncSession, *, owner_id: int, goal_id: int, now: datetime
) -> GoalView:
    """One of the owner's goals with its progress, or NotFound."""
    goal = await get_study_goal(session, owner_id=owner_id, goal_id=goal_id)
    return await _goal_view(session, owner_id=owner_id, goal=goal, now=now)


async def _goal_view(
    session: AsyncSession, *, owner_id: int, goal: StudyGoal, now: datetime
) -> GoalView:
    """One goal with its progress, as every goal reader sees it."""
    (view,) = await list_goal_views(session, owner_id=owner_id, goals=[goal], now=now)
    return view


async def delete_study_goal(session: AsyncSession, *, owner_id: int, goal_id: int) -> None:
    """Delete one of the owner's goals."""
    await session.delete(await get_study_goal(session, owner_id=owner_id, goal_id=goal_id))
    await session.flush()


async def list_study_goals_for_owner(
    session: AsyncSession, *, owner_id: int, now: datetime, status: str | None = None
) -> list[GoalView]:
    """The owner's goals, oldest first, with progress; a goal reached becomes ACHIEVED."""
    if status is not None and status not in STATUSES:
        raise BadUserInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    goals = list(
        await session.exec(
            select(StudyGoal).where(StudyGoal.owner_id == owner_id).order_by(col(StudyGoal.id))
        )
    )
    views = await list_goal_views(session, owner_id=owner_id, goals=goals, now=now)
    return [view for view in views if status is None or view.goal.status == status]


async def list_goal_views(
    session: AsyncSession,
    *,
    owner_id: int,
    goals: list[StudyGoal],
    now: datetime,
    facts: dict[int, TopicProgressFacts] | None = None,
    minutes: dict[int | None, float] | None = None,
) -> list[GoalView]:
    """Progress of each goal, in a constant number of statements; reached goals ACHIEVED.

    Every reader of goals (studyGoals, the goal mutations, studyPlan, nextUpTopics) goes
    through here, so they all agree on the status. Reaching a goal is recorded (the
    row's status changes) so that it stays achieved when mastery later decays; an
    archived goal is never revived. `facts`: progress at `now` already read for some of
    the owner's topics (the rest is loaded); `minutes`: minutes_last_week() at `now`,
    if already read.
    """
    if not goals:
        return []
    known = facts or {}
    topic_ids = sorted({goal.topic_id for goal in goals if goal.topic_id is not None})
    missing = [topic_id for topic_id in topic_ids if topic_id not in known]
    facts = {topic_id: known[topic_id] for topic_id in topic_ids if topic_id in known}
    if missing:
        facts |= await list_topic_progress(session, owner_id=owner_id, topic_ids=missing, now=now)
    if minutes is None:
        minutes = await minutes_last_week(session, owner_id=owner_id, now=now)
    views = [
        GoalView(goal, goal_progress(goal, facts.get(goal.topic_id), minutes)) for goal in goals
    ]
    reached = [
        view.goal for view in views if view.goal.status == GoalStatus.ACTIVE and view.progress >= 1
    ]
    for goal in reached:
        goal.status = GoalStatus.ACHIEVED
        session.add(goal)
    if reached:
        await session.flush()
    return views


# Built once (nextUpTopics reads it on every dashboard): the owner is a parameter.
_ACTIVE_GOALS = (
    select(StudyGoal)
    .where(
        StudyGoal.owner_id == bindparam("owner_id", type_=Integer),
        StudyGoal.status == GoalStatus.ACTIVE,
    )
    .order_by(col(StudyGoal.id))
)


# The same goals as plain rows, for the owner-wide read on a Core connection.
_ACTIVE_GOAL_ROWS = _ACTIVE_GOALS.with_only_columns(*StudyGoal.__table__.columns)


async def list_active_goal_rows(connection: AsyncConnection, *, owner_id: int) -> list[Row]:
    """The owner's ACTIVE goals as plain rows with a goal's attributes, oldest first."""
    return list(await connection.execute(_ACTIVE_GOAL_ROWS, {"owner_id": owner_id}))


def views_if_none_reached(
    goals: list, facts: dict[int, TopicProgressFacts], minutes: dict[int | None, float]
) -> list[GoalView] | None:
    """The views of ACTIVE goals read as rows, when none of them is reached now and the
    progress of each goal's topic is in `facts`: then list_active_goal_views would give
    the same views and record nothing, so no transaction is needed. None otherwise (a
    goal to mark ACHIEVED, or a topic to read): go through list_active_goal_views."""
    if any(goal.topic_id is not None and goal.topic_id not in facts for goal in goals):
        return None
    views = [
        GoalView(goal, goal_progress(goal, facts.get(goal.topic_id), minutes)) for goal in goals
    ]
    if any(view.progress >= 1 for view in views):
        return None
    return views


async def list_active_goal_views(
    session: AsyncSession,
    *,
    owner_id: int,
    now: datetime,
    facts: dict[int, TopicProgressFacts] | None = None,
    minutes: dict[int | None, float] | None = None,
) -> list[GoalView]:
    """The owner's goals still ACTIVE once reached ones are marked ACHIEVED, oldest first."""
    goals = list(await session.exec(_ACTIVE_GOALS, params={"owner_id": owner_id}))
    views = await list_goal_views(
        session, owner_id=owner_id, goals=goals, now=now, facts=facts, minutes=minutes
    )
    return [view for view in views if view.goal.status == GoalStatus.ACTIVE]


def goal_progress(
    goal: StudyGoal, facts: TopicProgressFacts | None, minutes_by_topic: dict[int | None, float]
) -> float:
    """0..1: the mean of each target's share reached, each share capped at 1.

    Minutes count over the last seven days (a rolling week, so progress does not drop
    to zero every Monday): the topic's sessions, or all sessions for a goal without one.
    A goal without targets has nothing to reach: 1 once ACHIEVED by hand, else 0.
    """
    shares = []
    if goal.target_minutes_per_week:
        if goal.topic_id is None:
            studied = sum(minutes_by_topic.values())
        else:
            studied = minutes_by_topic.get(goal.topic_id, 0.0)
        shares.append(min(1.0, studied / goal.target_minutes_per_week))
    if goal.target_mastery:
        mastery = facts.mastery if facts else 0.0
        shares.append(min(1.0, mastery / goal.target_mastery))
    if not shares:
        return 1.0 if goal.status == GoalStatus.ACHIEVED else 0.0
    return sum(shares) / len(shares)


async def minutes_last_week(
    session: AsyncSession, *, owner_id: int, now: datetime
) -> dict[int | None, float]:
    """Minutes studied in the seven days before `now`, per topic (None: no topic)."""
    now = as_utc(now)
    since = now - WEEK
    rows = await session.exec(
        select(*SESSION_COLUMNS).where(
            StudySession.owner_id == owner_id,
            StudySession.started_at >= since - SESSION_CAP,
            StudySession.started_at <= now,
        )
    )
    return week_minutes(rows, now)
