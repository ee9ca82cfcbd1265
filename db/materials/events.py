"""A topic's material events on the bus (channel `db.channels.topic_channel`), one JSON shape.

Published when a material is uploaded, when its processing ends and when it is
deleted; materialEvents decodes them here too, so the shape lives in one place.
"""

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

from db.channels import topic_channel
from db.models import StudyMaterial
from db.pubsub import Bus

logger = logging.getLogger(__name__)


class MaterialChange(StrEnum):
    """What happened to a material."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class MaterialEventFacts:
    """One decoded material event: which material, whose, and its status then."""

    kind: MaterialChange
    material_id: int
    owner_id: int | None
    topic_id: int | None
    status: str | None
    # While a long document is embedded: (passages done, passages in all).
    progress: tuple[int, int] | None = None


async def publish_material_event(
    bus: Bus,
    material: StudyMaterial,
    *,
    kind: MaterialChange,
    progress: tuple[int, int] | None = None,
) -> None:
    """Tell the topic's subscribers that a material changed (never fails the caller)."""
    event = {
        "kind": str(kind),
        "material_id": material.id,
        "owner_id": material.owner_id,
        "topic_id": material.topic_id,
        "status": material.status,
    }
    if progress is not None:
        event["progress"] = list(progress)
    payload = json.dumps(event)
    try:
        await bus.publish(topic_channel(material.topic_id), payload)
    except Exception:
        logger.warning("could not publish material event for %s", material.id, exc_info=True)


def parse_material_event(payload: str) -> MaterialEventFacts:
    """A payload publish_material_event wrote, decoded."""
    event = json.loads(payload)
    return MaterialEventFacts(
        kind=MaterialChange(event["kind"]),
        material_id=int(event["material_id"]),
        owner_id=event.get("owner_id"),
        topic_id=event.get("topic_id"),
        status=event.get("status"),
        progress=tuple(event["progress"]) if event.get("progress") else None,
    )
