"""DataLoaders of the study-sessions domain."""

from collections import defaultdict

from strawberry.dataloader import DataLoader

from db.engine import SessionFactory, read_only
from db.models import StudySession
from db.pagination import Page, PageRequest
from db.study.study_sessions import (
    count_study_sessions_for_topics,
    get_study_sessions_by_ids,
    list_study_sessions_for_topics,
)

TopicPageKey = tuple[int, PageRequest]


def study_session_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[int, StudySession | None]:
    """Sessions by id; another user's session loads as None."""

    async def load(session_ids: list[int]) -> list[StudySession | None]:
        async with read_only(session_factory) as session:
            rows = await get_study_sessions_by_ids(
                session, owner_id=owner_id, session_ids=session_ids
            )
        return [rows.get(session_id) for session_id in session_ids]

    return DataLoader(load_fn=load)


def sessions_page_by_topic_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[TopicPageKey, Page[StudySession]]:
    """A page of sessions per (topic, page request): one statement per distinct request."""

    async def load(keys: list[TopicPageKey]) -> list[Page[StudySession]]:
        topics_by_request: dict[PageRequest, list[int]] = defaultdict(list)
        for topic_id, request in keys:
            topics_by_request[request].append(topic_id)
        pages: dict[TopicPageKey, Page[StudySession]] = {}
        async with read_only(session_factory) as session:
            for request, topic_ids in topics_by_request.items():
                by_topic = await list_study_sessions_for_topics(
                    session, owner_id=owner_id, topic_ids=topic_ids, page=request
                )
                pages.update({(topic_id, request): by_topic[topic_id] for topic_id in topic_ids})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def sessions_count_by_topic_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[int, int]:
    async def load(topic_ids: list[int]) -> list[int]:
        async with read_only(session_factory) as session:
            counts = await count_study_sessions_for_topics(
                session, owner_id=owner_id, topic_ids=topic_ids
            )
        return [counts[topic_id] for topic_id in topic_ids]

    return DataLoader(load_fn=load)
