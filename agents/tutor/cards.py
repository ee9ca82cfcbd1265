"""generateCards: passages from db/, cards written by the offline card writer, stored."""

from datetime import datetime

from db.engine import SessionFactory, unit_of_work
from db.learning import cards
from db.models import Card
from tutor.card_writer import write_cards


async def generate_cards_for_topic(
    session_factory: SessionFactory,
    *,
    owner_id: int,
    topic_id: int,
    message_id: int | None,
    count: int,
    now: datetime,
) -> list[Card]:
    """Up to `count` new cards from a message's citations, else the topic's material.

    The card writer is deterministic and offline (definitions and cloze deletions), so
    generating cards costs no tokens and works with every model setting; the tutor's
    own tool does the same for cards it makes in conversation. Lives in the tutor
    package because db/ cannot import the card writer.
    """
    cards.check_generate_count(count)
    async with unit_of_work(session_factory) as session:
        passages = await cards.list_card_passages(
            session, owner_id=owner_id, topic_id=topic_id, message_id=message_id
        )
        drafts = write_cards(passages, count=count)
        return await cards.create_cards(
            session, owner_id=owner_id, topic_id=topic_id, drafts=drafts, now=now
        )
