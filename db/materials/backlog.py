"""How much study material still waits for background work, for the operator's gauges."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.materials.library import MaterialStatus
from db.models import StudyMaterial


async def count_embedding_backlog(session: AsyncSession) -> int:
    """Materials (of every learner) whose text is not searchable yet.

    Today that is the uploads still PROCESSING; once chunks carry vectors, this counts
    the chunks that have none, so the gauge keeps its meaning: work not yet done.
    """
    statement = (
        select(func.count())
        .select_from(StudyMaterial)
        .where(StudyMaterial.status == MaterialStatus.PROCESSING)
    )
    return int(await session.scalar(statement) or 0)
