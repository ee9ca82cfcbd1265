"""The models a learner can pick: one per tutor mode, and one per topic of theirs."""

import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.openai_compat.errors import ApiError
from db.models import Topic
from db.study.modes import TutorMode

BASE = "studygraph"
MODE_MODELS = {
    BASE: TutorMode.EXPLAIN,
    f"{BASE}-quiz": TutorMode.QUIZ,
    f"{BASE}-socratic": TutorMode.SOCRATIC,
    f"{BASE}-summarize": TutorMode.SUMMARIZE,
}
# Topics listed as models; a learner with more still reaches older ones by slug.
MAX_TOPIC_MODELS = 500


@dataclass(frozen=True)
class ChosenModel:
    name: str
    mode: str
    topic_id: int | None


def slugify(title: str) -> str:
    """A topic title as a URL-safe slug: ASCII lower case, words joined by '-'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "topic"


async def topic_models(session: AsyncSession, *, owner_id: int) -> dict[str, int]:
    """`studygraph/<slug>` -> topic id for the owner's topics (only theirs); two topics
    with one slug are told apart by the later one's id."""
    rows = await session.exec(
        select(Topic.id, Topic.title)
        .where(Topic.owner_id == owner_id)
        .order_by(col(Topic.id))
        .limit(MAX_TOPIC_MODELS)
    )
    named: dict[str, int] = {}
    for topic_id, title in rows:
        slug = slugify(title)
        if f"{BASE}/{slug}" in named:
            slug = f"{slug}-{topic_id}"
        named[f"{BASE}/{slug}"] = topic_id
    return named


async def choose_model(session: AsyncSession, *, owner_id: int, name: str) -> ChosenModel:
    """The mode and topic a model name stands for, or 404 model_not_found."""
    if name in MODE_MODELS:
        return ChosenModel(name, MODE_MODELS[name], None)
    if name.startswith(f"{BASE}/"):
        topic_id = (await topic_models(session, owner_id=owner_id)).get(name)
        if topic_id is not None:
            return ChosenModel(name, TutorMode.EXPLAIN, topic_id)
    raise ApiError(
        404,
        f"the model '{name[:100]}' does not exist or you do not have access to it",
        type="invalid_request_error",
        code="model_not_found",
        param="model",
    )


async def model_list(session: AsyncSession, *, owner_id: int, created: int) -> dict:
    """GET /v1/models in OpenAI's list format."""
    names = [*MODE_MODELS, *await topic_models(session, owner_id=owner_id)]
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "studygraph"}
            for name in names
        ],
    }
