"""Following a topic's materials as a subscriber: each change, with the material as stored.

`MaterialFollower` turns the topic's bus events into `MaterialUpdate`s for
materialEvents: it re-checks the subscriber's access on every event and after a quiet
spell, skips events of another owner (a topic has one owner: defence in depth), and
re-reads each material in a fresh short session (a subscription's loaders would cache
stale rows). The API layer turns the updates into its own types.
"""

import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from db.engine import SessionFactory, unit_of_work
from db.materials import library
from db.materials.events import MaterialChange, MaterialEventFacts, parse_material_event
from db.models import StudyMaterial
from db.pubsub import LIVENESS_SECONDS, SubscriberLagged, Subscription
from db.study.topics import get_topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaterialUpdate:
    """One change to a material of the topic; `material` as stored now (None: deleted)."""

    kind: MaterialChange
    material_id: int
    status: str | None
    material: StudyMaterial | None
    progress: tuple[int, int] | None = None  # (done, total) while a long upload is indexed


class MaterialFollower:
    """The changes to one topic's materials, for its owner, for as long as they listen."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        topic_id: int,
        check_access: Callable[[], object],
    ) -> None:
        self.session_factory = session_factory
        self.owner_id = owner_id
        self.topic_id = topic_id
        # Raises once the subscriber's access has ended (e.g. its token expired).
        self.check_access = check_access

    @classmethod
    async def open_for(
        cls,
        session_factory: SessionFactory,
        *,
        owner_id: int,
        topic_id: int,
        check_access: Callable[[], object],
    ) -> "MaterialFollower":
        """A follower of the caller's topic; NOT_FOUND before anything."""
        async with unit_of_work(session_factory) as session:
            await get_topic(session, owner_id=owner_id, topic_id=topic_id)
        return cls(session_factory, owner_id=owner_id, topic_id=topic_id, check_access=check_access)

    async def follow(self, events: Subscription) -> AsyncGenerator[MaterialUpdate, None]:
        """The topic's material changes from `events` (already subscribed), in order."""
        while True:
            try:
                payload = await events.next_within(LIVENESS_SECONDS)
            except TimeoutError:
                self.check_access()
                continue
            except SubscriberLagged:
                # Nothing is replayed: each change carries the material's whole state,
                # so the next one is complete on its own, and node(id) tells any
                # material's status meanwhile.
                logger.info("materialEvents of topic %s fell behind; events dropped", self.topic_id)
                continue
            self.check_access()  # the token may expire while the socket lives
            event = parse_material_event(payload)
            if event.owner_id != self.owner_id:
                continue
            yield await self._update(event)

    async def _update(self, event: MaterialEventFacts) -> MaterialUpdate:
        row = None
        if event.kind != MaterialChange.DELETED:
            async with unit_of_work(self.session_factory) as session:
                rows = await library.get_materials_by_ids(
                    session, owner_id=self.owner_id, material_ids=[event.material_id]
                )
            row = rows.get(event.material_id)
        return MaterialUpdate(
            kind=event.kind,
            material_id=event.material_id,
            status=row.status if row else event.status,
            material=row,
            progress=event.progress,
        )
