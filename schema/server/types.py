"""GraphQL types describing the server itself."""

import strawberry

from schema.context import ServerFacts


@strawberry.type(description="What this server runs on; needs no sign-in.")
class ServerInfo:
    version: str = strawberry.field(description="studygraph's version.")
    database: str = strawberry.field(description="`sqlite` or `postgresql`.")
    broadcast: str = strawberry.field(description="`memory`, `postgres` or `redis`.")
    default_model: str = strawberry.field(description="The tutor model used unless one is chosen.")
    developer_tools: bool = strawberry.field(
        description="Whether this server offers GraphiQL at /graphql and the SDL at "
        "/schema.graphql (development only)."
    )

    @classmethod
    def from_facts(cls, facts: ServerFacts) -> "ServerInfo":
        return cls(
            version=facts.version,
            database=facts.database,
            broadcast=facts.broadcast,
            default_model=facts.default_model,
            developer_tools=facts.developer_tools,
        )
