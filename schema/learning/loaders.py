"""DataLoaders of the learning domain: cards, card pages per topic, topic progress."""

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from strawberry.dataloader import DataLoader

from db.engine import SessionFactory, read_connection, read_only
from db.learning.cards import count_cards_for_topics, get_cards_by_ids, list_cards_for_topics
from db.learning.goals import list_active_goal_rows
from db.learning.progress import (
    OwnerProgress,
    TopicProgressFacts,
    get_owner_progress,
    list_topic_progress,
)
from db.models import Card
from db.pagination import Page, PageRequest
from schema.execution.shared_read import SharedRead

CardPageKey = tuple[int, PageRequest, bool]
CardCountKey = tuple[int, bool]


def card_loader(session_factory: SessionFactory, owner_id: int) -> DataLoader[int, Card | None]:
    """Cards by id; another user's card loads as None."""

    async def load(card_ids: list[int]) -> list[Card | None]:
        async with read_only(session_factory) as session:
            rows = await get_cards_by_ids(session, owner_id=owner_id, card_ids=card_ids)
        return [rows.get(card_id) for card_id in card_ids]

    return DataLoader(load_fn=load)


def cards_page_by_topic_loader(
    session_factory: SessionFactory, owner_id: int, clock: Callable[[], datetime]
) -> DataLoader[CardPageKey, Page[Card]]:
    """A page of cards per (topic, page request, due only): one statement per distinct request."""

    async def load(keys: list[CardPageKey]) -> list[Page[Card]]:
        topics_by_request: dict[tuple[PageRequest, bool], list[int]] = defaultdict(list)
        for topic_id, request, due_only in keys:
            topics_by_request[(request, due_only)].append(topic_id)
        now = clock()
        pages: dict[CardPageKey, Page[Card]] = {}
        async with read_only(session_factory) as session:
            for (request, due_only), topic_ids in topics_by_request.items():
                by_topic = await list_cards_for_topics(
                    session,
                    owner_id=owner_id,
                    topic_ids=topic_ids,
                    page=request,
                    now=now,
                    due_only=due_only,
                )
                for topic_id in topic_ids:
                    pages[(topic_id, request, due_only)] = by_topic[topic_id]
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def cards_count_by_topic_loader(
    session_factory: SessionFactory, owner_id: int, clock: Callable[[], datetime]
) -> DataLoader[CardCountKey, int]:
    async def load(keys: list[CardCountKey]) -> list[int]:
        now = clock()
        counts: dict[CardCountKey, int] = {}
        async with read_only(session_factory) as session:
            for due_only in {due_only for _, due_only in keys}:
                topic_ids = [topic_id for topic_id, flag in keys if flag == due_only]
                by_topic = await count_cards_for_topics(
                    session, owner_id=owner_id, topic_ids=topic_ids, now=now, due_only=due_only
                )
                counts.update({(topic_id, due_only): n for topic_id, n in by_topic.items()})
        return [counts[key] for key in keys]

    return DataLoader(load_fn=load)


class OwnerProgressOnce(SharedRead[OwnerProgress]):
    """The owner's newest topics and their progress (get_owner_progress), and their
    ACTIVE goals, read at most once per operation on one connection and shared by every
    field that wants it (SharedRead).

    nextUpTopics starts it as soon as it runs; the progress of topics and the topic of
    a study session resolved in the same operation then come from it too, rather
    than each reading the same cards, reviews and sessions again.
    """

    def __init__(
        self, session_factory: SessionFactory, owner_id: int, clock: Callable[[], datetime]
    ) -> None:
        async def read() -> OwnerProgress:
            async with read_connection(session_factory) as connection:
                progress = await get_owner_progress(connection, owner_id=owner_id, now=clock())
                goals = await list_active_goal_rows(connection, owner_id=owner_id)
            return dataclasses.replace(progress, active_goals=goals)

        super().__init__(read)


def progress_by_topic_loader(
    session_factory: SessionFactory,
    owner_id: int,
    clock: Callable[[], datetime],
    owner_progress: OwnerProgressOnce | None = None,
) -> DataLoader[int, TopicProgressFacts]:
    """Progress per topic in a constant number of statements (see list_topic_progress);
    taken from `owner_progress` when the operation has started that read."""

    async def load(topic_ids: list[int]) -> list[TopicProgressFacts]:
        known: dict[int, TopicProgressFacts] = {}
        now = clock()
        if owner_progress is not None and owner_progress.started:
            shared = await owner_progress.get()
            known, now = shared.facts, shared.now
        missing = [topic_id for topic_id in topic_ids if topic_id not in known]
        if missing:
            async with read_connection(session_factory) as connection:
                known = known | await list_topic_progress(
                    connection, owner_id=owner_id, topic_ids=missing, now=now
                )
        return [known[topic_id] for topic_id in topic_ids]

    return DataLoader(load_fn=load)
