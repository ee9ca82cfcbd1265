"""Creating, listing and revoking the signed-in learner's API keys (JWT only)."""

import strawberry

from db.accounts import api_keys
from db.engine import unit_of_work
from schema.api_keys.types import ApiKey, CreateApiKeyInput, CreateApiKeyPayload
from schema.context import Info
from schema.relay import row_id_of


@strawberry.type
class ApiKeyQueries:
    @strawberry.field(description="The signed-in learner's live API keys, newest first.")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            rows = await api_keys.list_api_keys(session, owner_id=context.require_user_id())
        return [ApiKey.from_row(row) for row in rows]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description="A new personal API key for /v1/* (the OpenAI-compatible API); its secret "
        "is returned once."
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            created = await api_keys.create_api_key(
                session,
                owner_id=context.require_user_id(),
                name=input.name,
                expires_at=input.expires_at,
                now=context.clock(),
            )
        return CreateApiKeyPayload(api_key=ApiKey.from_row(created.row), secret=created.secret)

    @strawberry.mutation(description="Revokes one of the learner's keys: refused from now on.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKey:
        context = info.context
        async with unit_of_work(context.session_factory) as session:
            row = await api_keys.revoke_api_key(
                session,
                owner_id=context.require_user_id(),
                key_id=row_id_of(id, "ApiKey"),
                now=context.clock(),
            )
        return ApiKey.from_row(row)
