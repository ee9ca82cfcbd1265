"""Study sessions: a stretch of study, optionally on one topic, with a tutor mode and model."""

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, type_coerce
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
from db.study.topics import get_topic
from db.types import UTCDateTime, utcnow
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
) -> StudySession:
    """Open a session; title, mode and model default to the topic's, EXPLAIN and default_model.

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
    study_session = StudySession(
        owner_id=owner_id,
        topic_id=topic.id if topic else None,
        title=chosen_title or (topic.title if topic else DEFAULT_TITLE),
        mode=mode or TutorMode.EXPLAIN,
        model=check_model_name(model),
        started_at=now or utcnow(),
    )
    session.add(study_session)
    await session.flush()
    return study_session


async def end_study_session(
    session: AsyncSession, *, owner_id: int, session_id: int, now: datetime | None = None
) -> StudySession:
    """Close a session; ending an ended session changes nothing."""
    study_session = await get_study_session(session, owner_id=owner_id, session_id=session_id)
    if study_session.ended_at is None:
        study_session.ended_at = max(now or utcnow(), study_session.started_at)
        session.add(study_session)
        await session.flush()
    return study_session


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
) -> Page[StudySession]:
    """The owner's sessions, newest first, optionally of one topic or by activity."""
    query = apply_keyset(_owner_sessions(owner_id, topic_id, active), StudySession.id, page)
    return to_page(list(await session.exec(query)), page)


async def count_study_sessions_for_owner(
    session: AsyncSession, *, owner_id: int, topic_id: int | None = None, active: bool | None = None
) -> int:
    """How many sessions list_study_sessions_for_owner would page through."""
    query = _owner_sessions(owner_id, topic_id, active).with_only_columns(func.count())
    return (await session.exec(query)).one()


async def list_study_sessions_page_for_owner(
    session_factory: SessionFactory,
    *,
    owner_id: int,
    page: PageRequest,
    topic_id: int | None = None,
    active: bool | None = None,
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


async def get_current_session(session: AsyncSession, *, owner_id: int) -> StudySession | None:
    """The newest session that has not ended."""
    query = _owner_sessions(owner_id, None, True).order_by(col(StudySession.id).desc()).limit(1)
    return (await session.exec(query)).first()


async def get_current_topic(session: AsyncSession, *, owner_id: int) -> Topic | None:
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
            col(StudySession.ended_at).is_(None),
        )
        .order_by(col(StudySession.started_at).desc(), col(StudySession.id).desc())
        .limit(1)
    )
    topic = active.first()
    if topic is not None:
        return topic
    # Typed, so that both databases hand back an aware UTC datetime.
    studied_at = type_coerce(
        func.coalesce(StudySession.ended_at, StudySession.started_at), UTCDateTime()
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


def _owner_sessions(owner_id: int, topic_id: int | None, active: bool | None):
    query = select(StudySession).where(StudySession.owner_id == owner_id)
    if topic_id is not None:
        query = query.where(StudySession.topic_id == topic_id)
    if active is True:
        query = query.where(col(StudySession.ended_at).is_(None))
    elif active is False:
        query = query.where(col(StudySession.ended_at).is_not(None))
    return query
