"""generateCards: passages from db/, cards written by the tutor's offline card writer."""

from db.engine import unit_of_work
from db.learning import cards
from db.models import Card
from schema.context import Context
from tutor.card_writer import write_cards


async def generate_cards(
    context: Context, *, topic_id: int, message_id: int | None, count: int
) -> list[Card]:
    """Up to `count` new cards from a message's citations, else the topic's material.

    The card writer is deterministic and offline (definitions and cloze deletions), so
    generating cards costs no tokens and works with every model setting; the tutor's
    own tool does the same for cards it makes in conversation.
    """
    cards.check_generate_count(count)
    owner_id = context.require_user_id()
    async with unit_of_work(context.session_factory) as session:
        passages = await cards.list_card_passages(
            session, owner_id=owner_id, topic_id=topic_id, message_id=message_id
        )
        drafts = write_cards(passages, count=count)
        return await cards.create_cards(
            session, owner_id=owner_id, topic_id=topic_id, drafts=drafts, now=context.clock()
        )
