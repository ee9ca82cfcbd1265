"""Flashcards and their reviews, scheduled with FSRS. Every function filters by owner."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.engine import SessionFactory
from db.errors import BadUserInput, NotFound
from db.learning.scheduling import (
    CardState,
    ReviewRating,
    apply_rating,
    as_utc,
    check_rating,
    copy_fsrs_state,
    to_fsrs,
)
from db.models import Card, CardReview, MaterialChunk, Message, StudyMaterial, StudySession
from db.ownership import get_owned
from db.pagination import (
    Page,
    PageRequest,
    apply_keyset,
    page_and_later_count,
    partitioned_page_statement,
    to_page,
)
from db.study.study_sessions import record_session_activity
from db.study.topics import get_topic
from db.validation import clean_text

FRONT_MAX = 2000
BACK_MAX = 5000
MAX_DURATION_SECONDS = 24 * 3600
MAX_GENERATED = 20


@dataclass(frozen=True)
class CardDraft:
    """A card about to be stored: its two sides and the citation it came from."""

    front: str
    back: str
    source: dict[str, Any] | None = None


async def create_card(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int,
    front: str,
    back: str,
    now: datetime,
    source_message_id: int | None = None,
) -> Card:
    """A new card, due now; its source is the first citation of the given message whose
    material still exists (the message must be from a session on the card's topic)."""
    await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    source = None
    if source_message_id is not None:
        citations = await _message_citations(
            session, owner_id=owner_id, topic_id=topic_id, message_id=source_message_id
        )
        source = citations[0] if citations else None
    return (
        await create_cards(
            session,
            owner_id=owner_id,
            topic_id=topic_id,
            drafts=[CardDraft(front, back, source)],
            now=now,
        )
    )[0]


async def create_cards(
    session: AsyncSession, *, owner_id: int, topic_id: int, drafts: list[CardDraft], now: datetime
) -> list[Card]:
    """Store drafts as new cards of a topic the caller has already checked."""
    rows = [
        Card(
            owner_id=owner_id,
            topic_id=topic_id,
            front=clean_text(draft.front, field="front", max_length=FRONT_MAX),
            back=clean_text(draft.back, field="back", max_length=BACK_MAX),
            source=draft.source,
            state=CardState.LEARNING,
            step=0,
            due=as_utc(now),
            created_at=as_utc(now),
        )
        for draft in drafts
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def get_card(session: AsyncSession, *, owner_id: int, card_id: int) -> Card:
    """The owner's card, or NotFound."""
    return await get_owned(session, Card, owner_id=owner_id, row_id=card_id, kind="Card")


async def get_cards_by_ids(
    session: AsyncSession, *, owner_id: int, card_ids: list[int]
) -> dict[int, Card]:
    """The owner's cards among the ids, keyed by id."""
    query = select(Card).where(Card.owner_id == owner_id, col(Card.id).in_(card_ids))
    return {row.id: row for row in await session.exec(query)}


async def delete_card(session: AsyncSession, *, owner_id: int, card_id: int) -> None:
    """Delete a card and its review history."""
    await session.delete(await get_card(session, owner_id=owner_id, card_id=card_id))
    await session.flush()


async def review_card(
    session: AsyncSession,
    *,
    owner_id: int,
    card_id: int,
    rating: str,
    now: datetime,
    duration_seconds: int | None = None,
) -> Card:
    """Apply a rating with FSRS, log the review, and return the rescheduled card."""
    check_rating(rating)
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_DURATION_SECONDS:
        raise BadUserInput(
            f"durationSeconds must be between 0 and {MAX_DURATION_SECONDS}",
            field="durationSeconds",
        )
    # Row lock on PostgreSQL: two reviews of one card at once would otherwise both
    # start from the same state and one of them would be lost (SQLite serialises writers).
    query = select(Card).where(Card.id == card_id).with_for_update()
    row = (await session.exec(query)).first()
    if row is None or row.owner_id != owner_id:
        raise NotFound("Card")
    state_before = row.state
    copy_fsrs_state(row, apply_rating(to_fsrs(row), rating, now, duration_seconds))
    row.reps += 1
    # A lapse is forgetting a card that had graduated to review, as FSRS and Anki count it.
    if rating == ReviewRating.AGAIN and state_before == CardState.REVIEW:
        row.lapses += 1
    session.add(row)
    session.add(
        CardReview(
            owner_id=owner_id,
            card_id=row.id,
            topic_id=row.topic_id,
            rating=rating,
            reviewed_at=as_utc(now),
            duration_seconds=duration_seconds,
            state_before=state_before,
            state_after=row.state,
        )
    )
    # Reviewing is studying: the learner's active session stays active.
    await record_session_activity(session, owner_id=owner_id, now=as_utc(now))
    await session.flush()
    return row


async def list_quiz_cards(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_id: int,
    now: datetime,
    limit: int = 5,
    exclude_card_id: int | None = None,
) -> list[Card]:
    """Cards to quiz on: due ones, most overdue first, then the least stable.

    `exclude_card_id` (the card just asked) comes only when the topic has no other card:
    the quiz moves on instead of asking the same card again.
    """
    await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    limit = max(1, min(limit, 50))
    base = select(Card).where(Card.owner_id == owner_id, Card.topic_id == topic_id)
    if exclude_card_id is not None:
        others = await list_quiz_cards(
            session, owner_id=owner_id, topic_id=topic_id, now=now, limit=limit + 1
        )
        others = [card for card in others if card.id != exclude_card_id]
        if others:
            return others[:limit]
        # Only the excluded card (or none): fall through.
    due = list(
        await session.exec(
            base.where(Card.due <= as_utc(now)).order_by(col(Card.due), col(Card.id)).limit(limit)
        )
    )
    if len(due) == limit:
        return due
    # Never-reviewed cards have no stability; they are due at creation, so already above.
    rest = base.where(Card.due > as_utc(now)).order_by(
        func.coalesce(Card.stability, 0.0), col(Card.id)
    )
    return due + list(await session.exec(rest.limit(limit - len(due))))


def _owner_cards(owner_id: int, topic_id: int | None, due_only: bool, now: datetime):
    query = select(Card).where(Card.owner_id == owner_id)
    if topic_id is not None:
        query = query.where(Card.topic_id == topic_id)
    if due_only:
        query = query.where(Card.due <= as_utc(now))
    return query


async def list_cards_for_owner(
    session: AsyncSession,
    *,
    owner_id: int,
    page: PageRequest,
    now: datetime,
    topic_id: int | None = None,
    due_only: bool = False,
) -> Page[Card]:
    """The owner's cards, newest first, optionally of one topic or only those due now."""
    query = apply_keyset(_owner_cards(owner_id, topic_id, due_only, now), Card.id, page)
    return to_page(list(await session.exec(query)), page)


async def count_cards_for_owner(
    session: AsyncSession,
    *,
    owner_id: int,
    now: datetime,
    topic_id: int | None = None,
    due_only: bool = False,
) -> int:
    """How many cards list_cards_for_owner would page through."""
    query = _owner_cards(owner_id, topic_id, due_only, now).with_only_columns(func.count())
    return (await session.exec(query)).one()


async def list_cards_page_for_owner(
    session_factory: SessionFactory,
    *,
    owner_id: int,
    page: PageRequest,
    now: datetime,
    topic_id: int | None = None,
    due_only: bool = False,
) -> tuple[Page[Card], Callable[[], Awaitable[int]]]:
    """A page of list_cards_for_owner, and its total count to await only when asked for."""
    return await page_and_later_count(
        session_factory,
        list_page=list_cards_for_owner,
        count=count_cards_for_owner,
        page=page,
        owner_id=owner_id,
        now=now,
        topic_id=topic_id,
        due_only=due_only,
    )


async def list_cards_for_topics(
    session: AsyncSession,
    *,
    owner_id: int,
    topic_ids: list[int],
    page: PageRequest,
    now: datetime,
    due_only: bool,
) -> dict[int, Page[Card]]:
    """One page of cards for each topic, in one statement."""
    where = [Card.owner_id == owner_id]
    if due_only:
        where.append(Card.due <= as_utc(now))
    query = partitioned_page_statement(Card, Card.topic_id, topic_ids, page, *where)
    grouped: dict[int, list[Card]] = {topic_id: [] for topic_id in topic_ids}
    for row in await session.exec(query):
        grouped[row.topic_id].append(row)
    return {topic_id: to_page(rows, page) for topic_id, rows in grouped.items()}


async def count_cards_for_topics(
    session: AsyncSession, *, owner_id: int, topic_ids: list[int], now: datetime, due_only: bool
) -> dict[int, int]:
    """Card counts per topic, in one statement."""
    query = select(Card.topic_id, func.count()).where(
        Card.owner_id == owner_id, col(Card.topic_id).in_(topic_ids)
    )
    if due_only:
        query = query.where(Card.due <= as_utc(now))
    counts = dict((await session.exec(query.group_by(Card.topic_id))).all())
    return {topic_id: counts.get(topic_id, 0) for topic_id in topic_ids}


async def _message_citations(
    session: AsyncSession, *, owner_id: int, topic_id: int, message_id: int
) -> list[dict[str, Any]]:
    """The citations of the owner's message whose material still exists.

    The message must come from a study session on `topic_id`: a card keeps its source
    for good, and a passage from another topic's material does not belong on it.
    """
    message = await get_owned(
        session, Message, owner_id=owner_id, row_id=message_id, kind="Message"
    )
    study = await session.get(StudySession, message.session_id)
    if study is None or study.topic_id != topic_id:
        raise BadUserInput(
            "the message is not from a study session on this topic", field="sourceMessageId"
        )
    citations = [dict(c) for c in message.citations or [] if isinstance(c, dict)]
    material_ids = {c.get("material_id") for c in citations}
    live = set(
        await session.exec(
            select(StudyMaterial.id).where(
                StudyMaterial.owner_id == owner_id,
                col(StudyMaterial.id).in_([i for i in material_ids if isinstance(i, int)]),
            )
        )
    )
    return [c for c in citations if c.get("material_id") in live]


def check_generate_count(count: int) -> int:
    """How many cards generateCards may make in one call."""
    if not 1 <= count <= MAX_GENERATED:
        raise BadUserInput(f"count must be between 1 and {MAX_GENERATED}", field="count")
    return count


MAX_PASSAGES = 200


async def list_card_passages(
    session: AsyncSession, *, owner_id: int, topic_id: int, message_id: int | None
) -> list[tuple[str, dict[str, Any]]]:
    """(text, citation) pairs to make cards from: a message's citations, else the topic's
    material in reading order."""
    await get_topic(session, owner_id=owner_id, topic_id=topic_id)
    if message_id is not None:
        citations = await _message_citations(
            session, owner_id=owner_id, topic_id=topic_id, message_id=message_id
        )
        passages = [(str(citation.get("quote") or ""), citation) for citation in citations]
        passages = [(text, citation) for text, citation in passages if text.strip()]
        if not passages:
            raise BadUserInput("the message cites no passages", field="sourceMessageId")
        return passages
    chunks = await session.exec(
        select(MaterialChunk)
        .where(MaterialChunk.owner_id == owner_id, MaterialChunk.topic_id == topic_id)
        .order_by(col(MaterialChunk.material_id), col(MaterialChunk.ordinal))
        .limit(MAX_PASSAGES)
    )
    passages = [
        (
            chunk.text,
            {
                "material_id": chunk.material_id,
                "chunk_id": chunk.id,
                "page": chunk.page,
                "start_offset": chunk.start_offset,
                "end_offset": chunk.end_offset,
                "quote": chunk.text,
            },
        )
        for chunk in chunks
    ]
    if not passages:
        raise BadUserInput("the topic has no material to make cards from yet", field="topicId")
    return passages
