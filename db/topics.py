"""Topics: a learner's subjects. Every function filters by owner."""

from sqlalchemy import Row, func, or_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Topic
from db.ownership import get_owned
from db.pagination import Page, PageRequest, apply_keyset, to_page
from db.types import utcnow
from db.validation import UNCHANGED, clean_optional_text, clean_text

TITLE_MAX = 200
DESCRIPTION_MAX = 5000


async def create_topic(
    session: AsyncSession, *, owner_id: int, title: str, description: str | None
) -> Topic:
    """A new topic for the owner."""
    topic = Topic(
        owner_id=owner_id,
        title=clean_text(title, field="title", max_length=TITLE_MAX),
        description=clean_optional_text(
            description, field="description", max_length=DESCRIPTION_MAX
        ),
    )
    session.add(topic)
    await session.flush()
    return topic


async def get_topic(session: AsyncSession, *, owner_id: int, topic_id: int) -> Topic:
    """The owner's topic, or NotFound (also for another user's topic)."""
    return await get_owned(session, Topic, owner_id=owner_id, row_id=topic_id, kind="Topic")


async def get_topics_by_ids(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int]
) -> dict[int, Topic]:
    """The owner's topics among the ids, keyed by id (others are simply absent)."""
    query = select(Topic).where(Topic.owner_id == owner_id, col(Topic.id).in_(topic_ids))
    return {topic.id: topic for topic in await session.exec(query)}


async def list_topics_for_owner(
    connection: AsyncConnection | AsyncSession,
    *,
    owner_id: int,
    page: PageRequest,
    search: str | None = None,
) -> Page[Row]:
    """The owner's topics, newest first, optionally filtered by a text search.

    Plain rows with the Topic's attributes, not ORM objects: a list is only read, and
    mapping 20 rows to tracked instances cost more CPU than the query (bench/topics_rate.py).
    """
    query = apply_keyset(_owner_topics(owner_id, search, Topic.__table__.columns), Topic.id, page)
    return to_page((await connection.execute(query)).all(), page)


async def count_topics_for_owner(
    connection: AsyncConnection | AsyncSession, *, owner_id: int, search: str | None = None
) -> int:
    """How many topics list_topics_for_owner would page through."""
    query = _owner_topics(owner_id, search).with_only_columns(func.count())
    return (await connection.execute(query)).scalar_one()


async def update_topic(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int,
    title: str | object = UNCHANGED,
    description: str | object | None = UNCHANGED,
) -> Topic:
    """Change the given fields; a None description clears it."""
    topic = await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    if title is not UNCHANGED and title is not None:
        topic.title = clean_text(title, field="title", max_length=TITLE_MAX)
    if description is not UNCHANGED:
        topic.description = clean_optional_text(
            description, field="description", max_length=DESCRIPTION_MAX
        )
    topic.updated_at = utcnow()
    session.add(topic)
    await session.flush()
    return topic


async def delete_topic(session: AsyncSession, *, owner_id: int, topic_id: int) -> None:
    """Delete a topic with its material and cards; its sessions and goals stay, detached."""
    topic = await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    await session.delete(topic)
    await session.flush()


SEARCH_MAX = 200


def _owner_topics(owner_id: int, search: str | None, columns=None):
    query = (select(*columns) if columns is not None else select(Topic)).where(
        Topic.owner_id == owner_id
    )
    term = clean_text(search or "", field="search", max_length=SEARCH_MAX, required=False).lower()
    if term:
        query = query.where(
            or_(
                func.lower(Topic.title).contains(term, autoescape=True),
                func.lower(func.coalesce(Topic.description, "")).contains(term, autoescape=True),
            )
        )
    return query
