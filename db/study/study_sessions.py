"""Study sessions: a stretch of study, optionally on one topic, with a tutor mode and model."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Integer, Row, bindparam, func, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import SessionFactory
from db.errors import BadUserInput
from db.models import CardReview, StudySession, Topic
from db.ownership import get_owned
from db.pagination import (
    Page,
    PageRequest,
    apply_keyset,
    page_and_later_count,
    partitioned_page_statement,
    to_page,
)
from db.study.modes import TutorMode
from db.study.session_clock import (
    DEFAULT_IDLE_MINUTES,
    SessionTimes,
    idle_end,
    session_end,
    touch,
)
from db.study.topics import get_topic
from db.types import UTCDateTime, utcnow
from db.user_lock import take_turns_per_user
from db.validation import clean_optional_text, clean_text

TITLE_MAX = 200
DEFAULT_TITLE = "Study session"


async def start_study_session(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int | None,
    title: str | None,
    mode: str | None = None,
    model: str | None,
    now: datetime | None = None,
    default_model: str | None = None,
    check_model: Callable[[str], str] | None = None,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> StudySession:
    """Open a session; title, mode and model default to the topic's, EXPLAIN and default_model.

    One session is active per learner: the learner's other open sessions end now (or
    when they went idle, if earlier). The new one ends after `idle_minutes` without
    activity (db/study/session_clock.py).

    `check_model` (the server's model catalogue) normalises the model or refuses one the
    server cannot run (BAD_USER_INPUT); db/ cannot know the configured providers itself.
    """
    model = model or default_model
    if model is None:
        raise BadUserInput("model is required", field="model")
    if check_model is not None:
        model = check_model(model)
    topic = await get_topic(session, owner_id=owner_id, topic_id=topic_id) if topic_id else None
    chosen_title = clean_optional_text(title, field="title", max_length=TITLE_MAX)
    now = now or utcnow()
    # Two starts at once must not both leave their session open.
    await take_turns_per_user(session, owner_id)
    await _end_open_sessions(session, owner_id=owner_id, now=now)
    study_session = StudySession(
        owner_id=owner_id,
        topic_id=topic.id if topic else None,
        title=chosen_title or (topic.title if topic else DEFAULT_TITLE),
        mode=mode or TutorMode.EXPLAIN,
        model=check_model_name(model),
        started_at=now,
        last_activity_at=now,
        idle_deadline=now + timedelta(minutes=idle_minutes),
    )
    session.add(study_session)
    await session.flush()
    return study_session


async def end_study_session(
    session: AsyncSession, *, owner_id: int, session_id: int, now: datetime | None = None
) -> StudySession:
    """Close a session; ending an ended (or idle) session changes nothing."""
    study_session = await get_study_session(session, owner_id=owner_id, session_id=session_id)
    _close(study_session, now or utcnow())
    await session.flush()
    return study_session


def _close(row: StudySession, now: datetime) -> None:
    """Write down the end a reader sees at `now`: now while active, else when it went idle."""
    if row.ended_at is None:
        row.ended_at = max(session_end(SessionTimes.of(row), now) or now, row.started_at)


async def _end_open_sessions(session: AsyncSession, *, owner_id: int, now: datetime) -> None:
    open_rows = await session.exec(
        select(StudySession).where(
            StudySession.owner_id == owner_id, col(StudySession.ended_at).is_(None)
        )
    )
    for row in open_rows:
        _close(row, now)
        session.add(row)


async def record_session_activity(
    session: AsyncSession, *, owner_id: int, now: datetime, session_id: int | None = None
) -> bool:
    """The learner did something (a review, an answer): their active session (or the one
    named) stays active. False when there is no such active session."""
    query = _owner_sessions(owner_id, None, True, now)
    if session_id is not None:
        query = query.where(StudySession.id == session_id)
    rows = list(await session.exec(query))
    touched = False
    for row in rows:
        touched = touch(row, now) or touched
        session.add(row)
    return touched


async def end_idle_sessions(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Write down the end of sessions past their idle deadline (any learner's); how many.

    Readers already treat such a session as ended (session_clock); this keeps the
    stored `ended_at` in step, so nothing that filters on it is misled.
    """
    rows = list(
        await session.exec(
            select(StudySession)
            .where(
                col(StudySession.ended_at).is_(None),
                (col(StudySession.idle_deadline).is_(None))
                | (col(StudySession.idle_deadline) < now),
            )
            .order_by(col(StudySession.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.ended_at = idle_end(SessionTimes.of(row))
        session.add(row)
    await session.flush()
    return len(rows)


async def get_study_session(
    session: AsyncSession, *, owner_id: int, session_id: int
) -> StudySession:
    """The owner's session, or NotFound."""
    return await get_owned(
        session, StudySession, owner_id=owner_id, row_id=session_id, kind="StudySession"
    )


async def get_study_sessions_by_ids(
    session: AsyncSession, *, owner_id: int, session_ids: list[int]
) -> dict[int, StudySession]:
    """The owner's sessions among the ids, keyed by id."""
    query = select(StudySession).where(
        StudySession.owner_id == owner_id, col(StudySession.id).in_(session_ids)
    )
    return {row.id: row for row in await session.exec(query)}


async def list_study_sessions_for_owner(
    session: AsyncSession,
    *,
    owner_id: int,
    page: PageRequest,
    topic_id: int | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> Page[StudySession]:
    """The owner's sessions, newest first, optionally of one topic or by activity at `now`."""
    query = _owner_sessions(owner_id, topic_id, active, now or utcnow())
    query = apply_keyset(query, StudySession.id, page)
    return to_page(list(await session.exec(query)), page)


async def count_study_sessions_for_owner(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> int:
    """How many sessions list_study_sessions_for_owner would page through."""
    query = _owner_sessions(owner_id, topic_id, active, now or utcnow())
    query = query.with_only_columns(func.count())
    return (await session.exec(query)).one()


async def list_study_sessions_page_for_owner(
    session_factory: SessionFactory,
    *,
    owner_id: int,
    page: PageRequest,
    topic_id: int | None = None,
    active: bool | None = None,
    now: datetime | None = None,
) -> tuple[Page[StudySession], Callable[[], Awaitable[int]]]:
    """A page of list_study_sessions_for_owner, and its total count to await only when asked."""
    return await page_and_later_count(
        session_factory,
        list_page=list_study_sessions_for_owner,
        count=count_study_sessions_for_owner,
        page=page,
        owner_id=owner_id,
        topic_id=topic_id,
        active=active,
        now=now or utcnow(),
    )


async def list_study_sessions_for_topics(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int], page: PageRequest
) -> dict[int, Page[StudySession]]:
    """One page of sessions for each topic, in one statement."""
    query = partitioned_page_statement(
        StudySession,
        StudySession.topic_id,
        topic_ids,
        page,
        StudySession.owner_id == owner_id,
    )
    grouped: dict[int, list[StudySession]] = {topic_id: [] for topic_id in topic_ids}
    for row in await session.exec(query):
        grouped[row.topic_id].append(row)
    return {topic_id: to_page(rows, page) for topic_id, rows in grouped.items()}


async def count_study_sessions_for_topics(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int]
) -> dict[int, int]:
    """Session counts per topic, in one statement."""
    query = (
        select(StudySession.topic_id, func.count())
        .where(StudySession.owner_id == owner_id, col(StudySession.topic_id).in_(topic_ids))
        .group_by(StudySession.topic_id)
    )
    counts = dict((await session.exec(query)).all())
    return {topic_id: counts.get(topic_id, 0) for topic_id in topic_ids}


async def get_current_session(
    session: AsyncSession | AsyncConnection, *, owner_id: int, now: datetime | None = None
) -> Row | None:
    """The active session (the newest, should two ever be open) as a plain row with a
    StudySession's attributes, None when all ended or went idle. A Core read of a
    statement built once: currentSession is on every dashboard."""
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    params = {"owner_id": owner_id, "now": now or utcnow()}
    return (await connection.execute(_CURRENT_SESSION, params)).first()


async def get_current_topic(
    session: AsyncSession, *, owner_id: int, now: datetime | None = None
) -> Topic | None:
    """The topic of the newest active session with a topic, else the topic studied last.

    "Studied last" weighs sessions (by their end, or start while active) against card
    reviews (by when they happened): reviewing a topic's cards is studying it too.
    """
    active = await session.exec(
        select(Topic)
        .join(StudySession, col(StudySession.topic_id) == Topic.id)
        .where(
            StudySession.owner_id == owner_id,
            Topic.owner_id == owner_id,
            active_clause(now or utcnow()),
        )
        .order_by(col(StudySession.started_at).desc(), col(StudySession.id).desc())
        .limit(1)
    )
    topic = active.first()
    if topic is not None:
        return topic
    # Typed, so that both databases hand back an aware UTC datetime.
    studied_at = type_coerce(
        func.coalesce(
            StudySession.ended_at, StudySession.last_activity_at, StudySession.started_at
        ),
        UTCDateTime(),
    )
    last_session = (
        await session.exec(
            select(Topic, studied_at)
            .join(StudySession, col(StudySession.topic_id) == Topic.id)
            .where(StudySession.owner_id == owner_id, Topic.owner_id == owner_id)
            .order_by(studied_at.desc(), col(StudySession.id).desc())
            .limit(1)
        )
    ).first()
    last_review = (
        await session.exec(
            select(Topic, CardReview.reviewed_at)
            .join(CardReview, col(CardReview.topic_id) == Topic.id)
            .where(CardReview.owner_id == owner_id, Topic.owner_id == owner_id)
            .order_by(col(CardReview.reviewed_at).desc(), col(CardReview.id).desc())
            .limit(1)
        )
    ).first()
    candidates = [row for row in (last_session, last_review) if row is not None]
    if not candidates:
        return None
    return max(candidates, key=lambda row: row[1])[0]


def check_model_name(model: str) -> str:
    """`provider:model`, as STUDYGRAPH_MODEL and the `models` query spell it."""
    provider, _, name = clean_text(model, field="model", max_length=200).partition(":")
    if not provider or not name:
        raise BadUserInput(
            "model must look like 'provider:model', e.g. 'local:tutor'", field="model"
        )
    return f"{provider}:{name}"


def active_clause(now: datetime):
    """Not ended, and not past its idle deadline at `now` (session_clock's rule in SQL)."""
    return (
        col(StudySession.ended_at).is_(None)
        & col(StudySession.idle_deadline).is_not(None)
        & (col(StudySession.idle_deadline) >= now)
    )


_CURRENT_SESSION = (
    sa_select(*StudySession.__table__.columns)
    .where(
        StudySession.owner_id == bindparam("owner_id", type_=Integer),
        active_clause(bindparam("now", type_=UTCDateTime)),
    )
    .order_by(col(StudySession.id).desc())
    .limit(1)
)


def _owner_sessions(owner_id: int, topic_id: int | None, active: bool | None, now: datetime):
    query = select(StudySession).where(StudySession.owner_id == owner_id)
    if topic_id is not None:
        query = query.where(StudySession.topic_id == topic_id)
    if active is True:
        query = query.where(active_clause(now))
    elif active is False:
        query = query.where(~active_clause(now))
    return query
