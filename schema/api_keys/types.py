"""GraphQL types of personal API keys (for the OpenAI-compatible /v1 endpoint)."""

from datetime import datetime

import strawberry

from db.models import ApiKey as ApiKeyRow
from schema.relay import Node, to_global_id


@strawberry.type(description="A personal key for the OpenAI-compatible /v1 API.")
class ApiKey(Node):
    name: str = strawberry.field(description="The learner's name for the key.")
    prefix: str = strawberry.field(description="The secret's first characters, to tell keys apart.")
    created_at: datetime = strawberry.field(description="When the key was created.")
    last_used_at: datetime | None = strawberry.field(
        description="When the key was last used (to the minute); null if never."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the key stops working; null: it does not expire."
    )

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> "ApiKey":
        return cls(
            id=to_global_id("ApiKey", row.id),
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
        )


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="A name to recognise it by (1-100 characters).")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working; null: never."
    )


@strawberry.type(description="A new key and its secret, which is shown this once only.")
class CreateApiKeyPayload:
    api_key: ApiKey
    secret: str = strawberry.field(
        description="The whole key (sg-...): send it as `Authorization: Bearer <secret>` to "
        "/v1/*. It is stored hashed and cannot be shown again."
    )
