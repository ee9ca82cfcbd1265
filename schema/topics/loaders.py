"""DataLoaders of the topics domain."""

from strawberry.dataloader import DataLoader

from db.engine import SessionFactory, read_only
from db.models import Topic
from db.topics import get_topics_by_ids


def topic_loader(session_factory: SessionFactory, owner_id: int) -> DataLoader[int, Topic | None]:
    """Topics by id; another user's topic loads as None."""

    async def load(topic_ids: list[int]) -> list[Topic | None]:
        async with read_only(session_factory) as session:
            topics = await get_topics_by_ids(session, owner_id=owner_id, topic_ids=topic_ids)
        return [topics.get(topic_id) for topic_id in topic_ids]

    return DataLoader(load_fn=load)
