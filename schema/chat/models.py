"""The `models` query: which tutor models a client may pick for a session or a message."""

import strawberry

from schema.context import Info
from tutor.offline.wording import LOCAL_MODEL_ID
from tutor.providers import ModelCatalog, ModelDescription


@strawberry.type(description="A tutor model the server can run.")
class ModelInfo:
    id: str = strawberry.field(
        description="`provider:model`, the value StudySession.model and sendMessage take."
    )
    provider: str = strawberry.field(
        description="The provider: `local` (offline, built in) or an OpenAI-compatible API."
    )
    name: str = strawberry.field(description="The provider's name for the model, or what it is.")
    context_length: int | None = strawberry.field(
        description="The context window in tokens, when the provider says."
    )
    is_default: bool = strawberry.field(description="Whether new sessions use this model.")

    @classmethod
    def from_description(cls, model: ModelDescription) -> "ModelInfo":
        return cls(
            id=model.id,
            provider=model.provider,
            name=model.name,
            context_length=model.context_length,
            is_default=model.is_default,
        )


@strawberry.type
class ModelQueries:
    @strawberry.field(
        description="The offline tutor and the configured providers' models (listed by "
        "each provider, cached for an hour; a provider that is down is left out)."
    )
    async def models(self, info: Info) -> list[ModelInfo]:
        info.context.require_user_id()
        # Contexts built without the app (scripts, the schema harness) offer the local model.
        catalog = info.context.models or ModelCatalog(
            default_model=LOCAL_MODEL_ID, providers={}, request_timeout_seconds=1
        )
        return [ModelInfo.from_description(model) for model in await catalog.list_models()]
