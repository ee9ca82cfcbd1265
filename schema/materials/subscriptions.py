"""Following a topic's materials as they are uploaded, processed and deleted."""

from collections.abc import AsyncGenerator

import strawberry

from db.channels import topic_channel
from db.materials.followers import MaterialFollower, MaterialUpdate
from schema.context import Info
from schema.materials.types import (
    MaterialEvent,
    MaterialEventKind,
    MaterialProgress,
    MaterialStatus,
    StudyMaterial,
)
from schema.relay import row_id_of, to_global_id


def to_event(update: MaterialUpdate) -> MaterialEvent:
    """The GraphQL event for one update the follower yields."""
    return MaterialEvent(
        kind=MaterialEventKind(update.kind.value),
        material_id=to_global_id("StudyMaterial", update.material_id),
        status=MaterialStatus(update.status),
        material=StudyMaterial.from_row(update.material) if update.material else None,
        progress=MaterialProgress(done=update.progress[0], total=update.progress[1])
        if update.progress
        else None,
    )


@strawberry.type
class MaterialSubscriptions:
    @strawberry.subscription(
        description="Changes to the materials of one of the learner's topics (uploaded, "
        "READY or FAILED, deleted; a long upload also reports its indexing `progress`), "
        "for as long as the client listens. NOT_FOUND for "
        "another user's topic."
    )
    async def material_events(
        self, info: Info, topic_id: strawberry.ID
    ) -> AsyncGenerator[MaterialEvent, None]:
        context = info.context
        owner_id = context.require_user_id()
        row_id = row_id_of(topic_id, "Topic", field="topicId")
        follower = await MaterialFollower.open_for(
            context.session_factory,
            owner_id=owner_id,
            topic_id=row_id,
            check_access=context.require_user_id,
        )
        async with context.listen(owner_id, topic_channel(row_id)) as events:
            async for update in follower.follow(events):
                yield to_event(update)
