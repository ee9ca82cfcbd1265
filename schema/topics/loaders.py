"""DataLoaders of the topics domain."""

from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from db.engine import SessionFactory, read_only
from db.models import Topic
from db.study.topics import get_topics_by_ids

if TYPE_CHECKING:
    from schema.learning.loaders import OwnerProgressOnce


def topic_loader(
    session_factory: SessionFactory,
    owner_id: int,
    owner_progress: "OwnerProgressOnce | None" = None,
) -> DataLoader[int, Topic | None]:
    """Topics by id; another user's topic loads as None. Taken from `owner_progress`
    when the operation has started that read (it holds the owner's newest topics)."""

    async def load(topic_ids: list[int]) -> list[Topic | None]:
        known: dict = {}
        if owner_progress is not None and owner_progress.started:
            known = {topic.id: topic for topic in (await owner_progress.get()).topics}
        missing = [topic_id for topic_id in topic_ids if topic_id not in known]
        if missing:
            async with read_only(session_factory) as session:
                known |= await get_topics_by_ids(session, owner_id=owner_id, topic_ids=missing)
        return [known.get(topic_id) for topic_id in topic_ids]

    return DataLoader(load_fn=load)
