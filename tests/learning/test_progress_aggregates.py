"""The progress read computes mastery and the next-up figures in SQL (db/learning/
progress_sql.py); they must equal the Python definitions over the same card rows."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from db.engine import read_connection, unit_of_work
from db.learning import cards, progress
from db.learning.scheduling import card_mastery, to_fsrs
from db.models import Card
from tests.factories import make_topic, make_user

T0 = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)
# (card, hours after T0, rating): new cards graduate, lapse, or stay unreviewed.
REVIEWS = [
    (0, 1, "GOOD"),
    (0, 30, "GOOD"),
    (1, 2, "AGAIN"),
    (2, 3, "EASY"),
    (3, 5, "HARD"),
    (3, 80, "AGAIN"),
    (4, 7, "GOOD"),
]
REVIEWED_CARDS = 5


async def seed_topic(harness, owner_id: int, *, unreviewed: int = 1) -> int:
    """A topic with REVIEWED_CARDS cards reviewed as REVIEWS says, and `unreviewed` more."""
    topic = await make_topic(harness, owner_id=owner_id)
    async with unit_of_work(harness.session_factory) as session:
        made = await cards.create_cards(
            session,
            owner_id=owner_id,
            topic_id=topic.id,
            drafts=[
                cards.CardDraft(f"Q{n}?", f"A{n}.") for n in range(REVIEWED_CARDS + unreviewed)
            ],
            now=T0,
        )
    for index, hours, rating in REVIEWS:
        async with unit_of_work(harness.session_factory) as session:
            await cards.review_card(
                session,
                owner_id=owner_id,
                card_id=made[index].id,
                rating=rating,
                now=T0 + timedelta(hours=hours),
            )
    return topic.id


def expected_figures(rows: list[Card], now: datetime) -> dict:
    """What progress and next_up computed card by card before the aggregates."""
    dues = [row.due for row in rows]
    due = [moment for moment in dues if moment <= now]
    overdue = [min(30, (now - moment).days) for moment in due]
    soonest = min(dues)
    window = soonest + max(timedelta(minutes=1), (soonest - now) / 4)
    return {
        "mastery": sum(card_mastery(to_fsrs(row), now) for row in rows) / len(rows),
        "due": len(due),
        "next_review_at": soonest,
        "overdue_days": sum(overdue),
        "late": sum(1 for days in overdue if days >= 1),
        "coming": sum(1 for moment in dues if moment <= window),
    }


async def card_rows(harness, topic_id: int) -> list[Card]:
    async with harness.session_factory() as session:
        return list(await session.exec(select(Card).where(Card.topic_id == topic_id)))


async def test_sql_figures_equal_the_python_definitions(harness):
    me = (await make_user(harness)).user
    for unreviewed in (1, 0):
        topic_id = await seed_topic(harness, me.id, unreviewed=unreviewed)
        await check_figures(harness, me.id, topic_id, await card_rows(harness, topic_id))


async def check_figures(harness, owner_id: int, topic_id: int, rows: list[Card]) -> None:
    soonest = min(row.due for row in rows)
    # Moments when some and all cards are due, far past the 30-day cap, and (without an
    # unreviewed card) before any is due, when the soonest cards' window counts.
    moments = [T0 + timedelta(days=3, hours=1), T0 + timedelta(days=60)]
    moments += [soonest - timedelta(hours=1), soonest - timedelta(minutes=3)]
    for now in moments:
        expected = expected_figures(rows, now)
        async with read_connection(harness.session_factory) as connection:
            by_ids = await progress.list_topic_progress(
                connection, owner_id=owner_id, topic_ids=[topic_id], now=now
            )
            owner = await progress.get_owner_progress(connection, owner_id=owner_id, now=now)
        for facts in (by_ids[topic_id], owner.facts[topic_id]):
            assert facts.mastery == expected["mastery"]
            assert facts.due_cards_count == expected["due"]
            assert facts.next_review_at == expected["next_review_at"]
            assert facts.overdue_days == expected["overdue_days"]
            assert facts.late_cards_count == expected["late"]
            if not expected["due"]:
                assert facts.coming_soon_count == expected["coming"] > 0


async def test_another_owners_topic_reads_as_empty(harness):
    me = (await make_user(harness)).user
    other = (await make_user(harness)).user
    topic_id = await seed_topic(harness, other.id)
    async with read_connection(harness.session_factory) as connection:
        facts = await progress.list_topic_progress(
            connection, owner_id=me.id, topic_ids=[topic_id], now=T0 + timedelta(days=1)
        )
        owner = await progress.get_owner_progress(
            connection, owner_id=me.id, now=T0 + timedelta(days=1)
        )
    assert facts[topic_id].cards_count == 0 and facts[topic_id].reviews_count == 0
    assert facts[topic_id].mastery == 0.0
    assert owner.topics == [] and owner.facts == {}
