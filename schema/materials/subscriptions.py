"""Following a topic's materials as they are uploaded, processed and deleted."""

from collections.abc import AsyncGenerator

import strawberry

from db.channels import topic_channel
from db.engine import unit_of_work
from db.materials import library
from db.materials.events import (
    MaterialChange,
    MaterialEventFacts,
    parse_material_event,
)
from db.pubsub import SubscriberLagged
from db.study.topics import get_topic
from schema.context import Info
from schema.materials.types import (
    MaterialEvent,
    MaterialEventKind,
    MaterialStatus,
    StudyMaterial,
)
from schema.relay import row_id_of, to_global_id

# With no event for this long, re-check the token: a quiet topic must not keep a
# subscription alive past its access token (as in schema/chat/subscriptions.py).
LIVENESS_SECONDS = 5.0


@strawberry.type
class MaterialSubscriptions:
    @strawberry.subscription(
        description="Changes to the materials of one of the learner's topics (uploaded, "
        "READY or FAILED, deleted), for as long as the client listens. NOT_FOUND for "
        "another user's topic."
    )
    async def material_events(
        self, info: Info, topic_id: strawberry.ID
    ) -> AsyncGenerator[MaterialEvent, None]:
        context = info.context
        owner_id = context.require_user_id()
        topic_row_id = row_id_of(topic_id, "Topic", field="topicId")
        async with unit_of_work(context.session_factory) as session:
            await get_topic(session, owner_id=owner_id, topic_id=topic_row_id)
        async with context.listen(owner_id, topic_channel(topic_row_id)) as payloads:
            while True:
                try:
                    payload = await payloads.next_within(LIVENESS_SECONDS)
                except TimeoutError:
                    context.require_user_id()
                    continue
                except SubscriberLagged:
                    continue  # dropped events: node(id) still tells each material's status
                context.require_user_id()  # the token may expire while the socket lives
                event = parse_material_event(payload)
                if event.owner_id != owner_id:
                    continue  # a topic has one owner; this is defence in depth
                yield await _event(context, owner_id, event)


async def _event(context, owner_id: int, event: MaterialEventFacts) -> MaterialEvent:
    # A fresh short session per event: a subscription's loaders would cache stale rows.
    row = None
    if event.kind != MaterialChange.DELETED:
        async with unit_of_work(context.session_factory) as session:
            rows = await library.get_materials_by_ids(
                session, owner_id=owner_id, material_ids=[event.material_id]
            )
        row = rows.get(event.material_id)
    return MaterialEvent(
        kind=MaterialEventKind(event.kind.value),
        material_id=to_global_id("StudyMaterial", event.material_id),
        status=MaterialStatus(row.status if row else event.status),
        material=StudyMaterial.from_row(row) if row else None,
    )
