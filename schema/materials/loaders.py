"""DataLoaders of the materials domain."""

from collections import defaultdict
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from db.engine import SessionFactory, read_only
from db.materials.library import (
    count_materials_for_topics,
    get_materials_by_ids,
    list_material_pages_and_counts,
)
from db.models import StudyMaterial
from db.pagination import Page, PageRequest

if TYPE_CHECKING:
    from schema.learning.loaders import OwnerProgressOnce

TopicPageKey = tuple[int, PageRequest]


def material_loader(
    session_factory: SessionFactory, owner_id: int
) -> DataLoader[int, StudyMaterial | None]:
    """Materials by id; another user's (or a deleted) material loads as None."""

    async def load(material_ids: list[int]) -> list[StudyMaterial | None]:
        async with read_only(session_factory) as session:
            rows = await get_materials_by_ids(session, owner_id=owner_id, material_ids=material_ids)
        return [rows.get(material_id) for material_id in material_ids]

    return DataLoader(load_fn=load)


def materials_page_by_topic_loader(
    session_factory: SessionFactory,
    owner_id: int,
    counts_loader: DataLoader[int, int] | None = None,
) -> DataLoader[TopicPageKey, Page[StudyMaterial]]:
    """A page of materials per (topic, page request): one statement per distinct request.

    A first page's statement also counts each topic's materials, which primes
    `counts_loader`: a connection's totalCount then costs no statement of its own.
    """

    async def load(keys: list[TopicPageKey]) -> list[Page[StudyMaterial]]:
        topics_by_request: dict[PageRequest, list[int]] = defaultdict(list)
        for topic_id, request in keys:
            topics_by_request[request].append(topic_id)
        pages: dict[TopicPageKey, Page[StudyMaterial]] = {}
        async with read_only(session_factory) as session:
            for request, topic_ids in topics_by_request.items():
                by_topic, counts = await list_material_pages_and_counts(
                    session, owner_id=owner_id, topic_ids=topic_ids, page=request
                )
                pages.update({(topic_id, request): by_topic[topic_id] for topic_id in topic_ids})
                if counts is not None and counts_loader is not None:
                    for topic_id, count in counts.items():
                        counts_loader.prime(topic_id, count)
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def materials_count_by_topic_loader(
    session_factory: SessionFactory,
    owner_id: int,
    owner_progress: "OwnerProgressOnce | None" = None,
) -> DataLoader[int, int]:
    """How many materials each topic has. Taken from `owner_progress` when the operation
    has started that read (it counts the materials of the owner's newest topics)."""

    async def load(topic_ids: list[int]) -> list[int]:
        counts: dict[int, int] = {}
        if owner_progress is not None and owner_progress.started:
            counts = dict((await owner_progress.get()).materials_counts)
        missing = [topic_id for topic_id in topic_ids if topic_id not in counts]
        if missing:
            async with read_only(session_factory) as session:
                counts |= await count_materials_for_topics(
                    session, owner_id=owner_id, topic_ids=missing
                )
        return [counts[topic_id] for topic_id in topic_ids]

    return DataLoader(load_fn=load)
