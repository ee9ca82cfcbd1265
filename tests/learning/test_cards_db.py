"""db-level rules of cards: FSRS reviews, the review log, quiz order, ownership, progress."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from db.engine import unit_of_work
from db.errors import BadUserInput, NotFound
from db.learning import cards, progress
from db.models import CardReview, StudySession
from db.pagination import PageRequest
from tests.factories import make_topic, make_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def new_cards(harness, owner_id, topic_id, count, now=T0):
    async with unit_of_work(harness.session_factory) as session:
        return await cards.create_cards(
            session,
            owner_id=owner_id,
            topic_id=topic_id,
            drafts=[cards.CardDraft(f"Q{n}?", f"A{n}.") for n in range(count)],
            now=now,
        )


async def review(harness, owner_id, card_id, rating, now, duration=None):
    async with unit_of_work(harness.session_factory) as session:
        return await cards.review_card(
            session,
            owner_id=owner_id,
            card_id=card_id,
            rating=rating,
            now=now,
            duration_seconds=duration,
        )


async def test_review_applies_fsrs_and_logs_the_review(harness):
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    (card,) = await new_cards(harness, me.id, topic.id, 1)
    assert card.state == "LEARNING" and card.due == T0

    first = await review(harness, me.id, card.id, "EASY", T0, duration=7)
    # EASY on a new card graduates it straight to REVIEW, due days later.
    assert first.state == "REVIEW"
    assert first.due >= T0 + timedelta(days=1)
    assert first.stability and first.difficulty and first.reps == 1 and first.lapses == 0

    later = first.due + timedelta(days=3)
    second = await review(harness, me.id, card.id, "AGAIN", later)
    assert second.state == "RELEARNING"
    assert second.lapses == 1 and second.reps == 2
    assert second.stability < first.stability
    assert second.due < later + timedelta(hours=1)

    async with harness.session_factory() as session:
        rows = list(await session.exec(select(CardReview).order_by(CardReview.id)))
    assert [(r.rating, r.state_before, r.state_after) for r in rows] == [
        ("EASY", "LEARNING", "REVIEW"),
        ("AGAIN", "REVIEW", "RELEARNING"),
    ]
    assert rows[0].duration_seconds == 7 and rows[0].reviewed_at == T0
    assert rows[1].reviewed_at == later and rows[1].topic_id == topic.id


async def test_review_checks_owner_rating_and_duration(harness):
    me = (await make_user(harness)).user
    other = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    (card,) = await new_cards(harness, me.id, topic.id, 1)
    with pytest.raises(NotFound):
        await review(harness, other.id, card.id, "GOOD", T0)
    with pytest.raises(BadUserInput):
        await review(harness, me.id, card.id, "PERFECT", T0)
    with pytest.raises(BadUserInput):
        await review(harness, me.id, card.id, "GOOD", T0, duration=-1)
    async with harness.session_factory() as session:
        assert list(await session.exec(select(CardReview))) == []


async def test_quiz_cards_most_overdue_first_then_least_stable(harness):
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    a, b, c, d = await new_cards(harness, me.id, topic.id, 4)
    # a: easy (long interval), b: good, both graduate; c, d stay new and due at T0.
    await review(harness, me.id, a.id, "EASY", T0)
    await review(harness, me.id, b.id, "GOOD", T0)
    await review(harness, me.id, b.id, "GOOD", T0 + timedelta(minutes=10))
    await review(harness, me.id, c.id, "GOOD", T0 + timedelta(hours=1))
    now = T0 + timedelta(hours=2)
    async with harness.session_factory() as session:
        quiz = await cards.list_quiz_cards(
            session, owner_id=me.id, topic_id=topic.id, now=now, limit=4
        )
    rows = {row.id: row for row in quiz}
    due = [row for row in quiz if row.due <= now]
    assert [row.id for row in due] == sorted(
        (row.id for row in due), key=lambda i: (rows[i].due, i)
    )
    assert quiz[0].id == d.id  # due since T0: the most overdue
    not_due = [row for row in quiz if row.due > now]
    assert [row.stability for row in not_due] == sorted(row.stability for row in not_due)
    assert len(quiz) == 4


async def test_progress_mastery_counts_and_capped_minutes(harness):
    me = (await make_user(harness)).user
    topic = await make_topic(harness, owner_id=me.id)
    empty = await make_topic(harness, owner_id=me.id, title="Empty")
    a, b = await new_cards(harness, me.id, topic.id, 2)
    await review(harness, me.id, a.id, "EASY", T0)
    await review(harness, me.id, b.id, "AGAIN", T0)
    async with unit_of_work(harness.session_factory) as session:
        # 30 minutes, and a session left open for days: it counts at most 4 hours.
        session.add(
            StudySession(
                owner_id=me.id, topic_id=topic.id, title="s", mode="QUIZ", model="local:tutor",
                started_at=T0, ended_at=T0 + timedelta(minutes=30),
            )
        )  # fmt: skip
        session.add(
            StudySession(
                owner_id=me.id, topic_id=topic.id, title="s", mode="QUIZ", model="local:tutor",
                started_at=T0 + timedelta(hours=1), ended_at=None,
                # Kept active (a very long idle length) to show the four-hour cap.
                last_activity_at=T0 + timedelta(hours=1), idle_deadline=T0 + timedelta(days=9),
            )
        )  # fmt: skip
    now = T0 + timedelta(days=3)
    async with harness.session_factory() as session:
        facts = await progress.list_topic_progress(
            session, owner_id=me.id, topic_ids=[topic.id, empty.id], now=now
        )
        with pytest.raises(NotFound):
            other = (await make_user(harness)).user
            await progress.get_topic_progress(
                session, owner_id=other.id, topic_id=topic.id, now=now
            )
    mine = facts[topic.id]
    assert mine.cards_count == 2 and mine.reviews_count == 2
    assert mine.correct_rate == 0.5
    assert mine.minutes_studied == 30 + 240
    assert mine.sessions_count == 2
    # b was forgotten and is due again within minutes; a is not due after 3 days.
    assert mine.due_cards_count == 1
    assert mine.next_review_at == T0 + timedelta(minutes=1)  # the first learning step
    assert mine.last_studied_at == T0 + timedelta(hours=5)
    from db.learning.scheduling import MASTERY_HORIZON, row_retrievability

    async with harness.session_factory() as session:
        rows = await cards.get_cards_by_ids(session, owner_id=me.id, card_ids=[a.id, b.id])
    expected = sum(row_retrievability(row, now + MASTERY_HORIZON) for row in rows.values()) / 2
    assert 0 < mine.mastery == pytest.approx(expected)
    assert facts[empty.id].mastery == 0 and facts[empty.id].cards_count == 0
    assert facts[empty.id].correct_rate is None and facts[empty.id].last_studied_at is None


async def test_a_card_page_counts_only_when_the_count_is_awaited(harness):
    user = await make_user(harness)
    topic = await make_topic(harness, owner_id=user.user.id)
    await new_cards(harness, user.user.id, topic.id, 3)
    page, count = await cards.list_cards_page_for_owner(
        harness.session_factory,
        owner_id=user.user.id,
        page=PageRequest(first=2),
        now=T0,
        topic_id=topic.id,
    )
    assert len(page.rows) == 2 and page.has_next
    await new_cards(harness, user.user.id, topic.id, 1)
    assert await count() == 4  # read when awaited, not when the page was built
