"""What every resolver gets in `info.context`: plain values and factories, no shared session.

Sibling fields resolve concurrently and a websocket context lives as long as the
socket, so the context holds a session *factory*; each unit of work or DataLoader
batch opens its own short session.
"""

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from db.access_tokens import TokenPolicy
from db.engine import SessionFactory
from db.errors import DomainError, Unauthenticated
from db.pubsub import Bus
from db.types import utcnow
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
    # When the access token behind user_id stops being valid. A websocket's context
    # outlives its token, so every operation checks this, not just the handshake.
    auth_expires_at: datetime | None = None
    # Why user_id is None despite credentials being sent (bad or expired token).
    auth_error: DomainError | None = None
    request: Any = None
    # Set by Strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None

    # Loaders for code that runs outside an operation (none in production).
    _fallback_scope: dict[str, "Loaders"] = field(default_factory=dict, repr=False)

    def require_user_id(self) -> int:
        """The signed-in user's id, or UNAUTHENTICATED."""
        if self.user_id is None:
            raise self.auth_error or Unauthenticated("authentication required")
        expires_at = self.auth_expires_at
        if expires_at is not None and utcnow() > expires_at + self.token_policy.leeway:
            raise Unauthenticated("access token expired; reconnect with a fresh one")
        return self.user_id

    @property
    def loaders(self) -> "Loaders":
        """This operation's DataLoaders (see OperationScope)."""
        scope = _operation_scope.get()
        if scope is None:
            scope = self._fallback_scope
        if "loaders" not in scope:
            scope["loaders"] = Loaders(self.session_factory, self.require_user_id())
        return scope["loaders"]


# One dict per operation, shared by the tasks the operation's resolvers run in
# (child tasks inherit the reference, so they all batch into the same loaders).
_operation_scope: ContextVar[dict[str, "Loaders"] | None] = ContextVar(
    "studygraph_operation_scope", default=None
)


class OperationScope(SchemaExtension):
    """Fresh DataLoaders for every operation.

    Over HTTP a context serves one operation, but a websocket's context lives as long
    as the socket: loaders cached on it would serve stale rows for hours and grow
    without bound.
    """

    def on_operation(self) -> Iterator[None]:
        token = _operation_scope.set({})
        try:
            yield
        finally:
            _operation_scope.reset(token)


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
