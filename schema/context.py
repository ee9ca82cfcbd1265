"""What every resolver gets in `info.context`: plain values and factories, no shared session.

Sibling fields resolve concurrently and a websocket context lives as long as the
socket, so the context holds a session *factory*; each unit of work or DataLoader
batch opens its own short session.
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from strawberry.types import Info as StrawberryInfo

from db.access_tokens import TokenPolicy
from db.engine import SessionFactory
from db.errors import DomainError, Unauthenticated
from db.pubsub import Bus
from schema.sessions.loaders import (
    sessions_count_by_topic_loader,
    sessions_page_by_topic_loader,
    study_session_loader,
)
from schema.topics.loaders import topic_loader
from schema.users.loaders import user_loader


@dataclass(frozen=True)
class ServerFacts:
    """What `serverInfo` reports; fixed at start-up."""

    version: str
    database: str
    broadcast: str
    default_model: str


@dataclass
class Context:
    session_factory: SessionFactory
    token_policy: TokenPolicy
    bus: Bus
    server: ServerFacts
    user_id: int | None = None
    # Why user_id is None despite credentials being sent (bad or expired token).
    auth_error: DomainError | None = None
    request: Any = None
    # Set by Strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def require_user_id(self) -> int:
        """The signed-in user's id, or UNAUTHENTICATED."""
        if self.user_id is None:
            raise self.auth_error or Unauthenticated("authentication required")
        return self.user_id

    @cached_property
    def loaders(self) -> "Loaders":
        return Loaders(self.session_factory, self.require_user_id())


class Loaders:
    """Per-request DataLoaders, each scoped to the signed-in user."""

    def __init__(self, session_factory: SessionFactory, user_id: int) -> None:
        self.session_factory = session_factory
        self.user_id = user_id

    @cached_property
    def user_by_id(self):
        return user_loader(self.session_factory)

    @cached_property
    def topic_by_id(self):
        return topic_loader(self.session_factory, self.user_id)

    @cached_property
    def session_by_id(self):
        return study_session_loader(self.session_factory, self.user_id)

    @cached_property
    def sessions_page_by_topic(self):
        return sessions_page_by_topic_loader(self.session_factory, self.user_id)

    @cached_property
    def sessions_count_by_topic(self):
        return sessions_count_by_topic_loader(self.session_factory, self.user_id)


Info = StrawberryInfo[Context, None]
