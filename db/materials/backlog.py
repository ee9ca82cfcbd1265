"""How much study material still waits for background work, for the operator's gauges."""

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from db.materials.library import MaterialStatus
from db.models import MaterialChunk, StudyMaterial


async def count_embedding_backlog(session: AsyncSession, *, model_name: str) -> int:
    """Passages (of every learner) not yet searchable by meaning with `model_name`.

    Those of uploads still being processed, and those of ready materials that have no
    vectors of this model (stored during an embedding outage, or before a model change):
    the work the extraction workers and the backfill still have to do.
    """
    statement = (
        select(func.count())
        .select_from(MaterialChunk)
        .join(StudyMaterial, col(StudyMaterial.id) == MaterialChunk.material_id)
        .where(
            col(StudyMaterial.status).in_([MaterialStatus.PROCESSING, MaterialStatus.READY]),
            or_(
                col(MaterialChunk.embedding_model).is_(None),
                col(MaterialChunk.embedding_model) != model_name,
            ),
        )
    )
    return int(await session.scalar(statement) or 0)
