"""Where an API turn is stored: the study session the client names, or the key's own.

With `X-Studygraph-Session: <StudySession id>` the turn goes into that session of the
learner's (and shows in the GraphQL API and its subscriptions). Without it, each key has
one session per model, found by its title ("API: <key name> (<key prefix>) · <model>")
and started on first use; a new one is started when the learner ends it.
"""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.openai_compat.catalog import ChosenModel
from api.openai_compat.errors import invalid_request
from db.errors import DomainError
from db.models import ApiKey, StudySession
from db.study import study_sessions
from db.types import utcnow
from schema.relay import row_id_of
from tutor.providers import ModelCatalog

SESSION_HEADER = "x-studygraph-session"
TITLE_MAX = study_sessions.TITLE_MAX


def named_session_id(header: str | None) -> int | None:
    """The session the request names, or None; 400 for a malformed id."""
    if header is None or not header.strip():
        return None
    try:
        return row_id_of(header.strip(), "StudySession", field="X-Studygraph-Session")
    except DomainError:
        raise invalid_request(
            "X-Studygraph-Session must be a StudySession id", param="X-Studygraph-Session"
        ) from None


async def key_session(
    session: AsyncSession,
    *,
    key: ApiKey,
    chosen: ChosenModel,
    provider_model: str | None,
    catalog: ModelCatalog,
) -> int:
    """The key's open session for this model, started if there is none."""
    title = f"API: {key.name} ({key.prefix}) · {chosen.name}"[:TITLE_MAX]
    existing = (
        await session.exec(
            select(StudySession.id)
            .where(
                StudySession.owner_id == key.owner_id,
                StudySession.title == title,
                # Open by the idle rule too: a session that went idle has ended even
                # before a sweeper writes its end, and a turn sent there is refused.
                study_sessions.active_clause(utcnow()),
            )
            .order_by(col(StudySession.id).desc())
            .limit(1)
        )
    ).first()
    if existing is not None:
        return existing
    started = await study_sessions.start_study_session(
        session,
        owner_id=key.owner_id,
        topic_id=chosen.topic_id,
        title=title,
        mode=chosen.mode,
        model=provider_model,
        default_model=catalog.default_model,
        check_model=catalog.check,
    )
    return started.id
