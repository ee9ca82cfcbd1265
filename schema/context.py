"""What every resolver gets in `info.context`: plain values and factories, no shared session.

Sibling fields resolve concurrently and a websocket context lives as long as the
socket, so the context holds a session *factory*; each unit of work or DataLoader
batch opens its own short session.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from db.accounts.login_throttle import LoginLimits
from db.accounts.tokens import TokenPolicy
from db.engine import SessionFactory
from db.errors import DomainError, Unauthenticated
from db.materials.extraction_pool import ExtractionPool
from db.materials.upload_backlog import UploadBacklog
from db.pubsub import Bus, Subscription
from db.types import utcnow
from schema.background import BackgroundTasks
from schema.chat.loaders import (
    message_loader,
    messages_count_by_session_loader,
    messages_page_by_session_loader,
)
from schema.learning.loaders import (
    OwnerProgressOnce,
    card_loader,
    cards_count_by_topic_loader,
    cards_page_by_topic_loader,
    progress_by_topic_loader,
)
from schema.materials.loaders import (
    material_loader,
    materials_count_by_topic_loader,
    materials_page_by_topic_loader,
)
from schema.sessions.loaders import (
    sessions_count_by_topic_loader,
    sessions_page_by_topic_loader,
    study_session_loader,
)
from schema.subscription_quota import SubscriptionQuota
from schema.topics.loaders import topic_loader
from schema.users.loaders import user_loader

if TYPE_CHECKING:
    from tutor.providers import ModelCatalog
    from tutor.stream.generations import Generations


@dataclass(frozen=True)
class ServerFacts:
    """What `serverInfo` reports; fixed at start-up."""

    version: str
    database: str
    broadcast: str
    default_model: str
    # GraphiQL and /schema.graphql are served (development only).
    developer_tools: bool = False


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
    # The app's registry for work that outlives a request (see schema/background.py).
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    # The app's bounded thread pool for document extraction (db/materials/extraction_pool.py);
    # None: each upload gets a private one-worker pool (tests).
    extraction: ExtractionPool | None = None
    # "Now" for every rule that depends on time (due cards, streaks, budgets); tests fix it.
    clock: Callable[[], datetime] = utcnow
    # This process's tutor turns (tutor.stream.generations.Generations); None where chat
    # is not wired.
    generations: "Generations | None" = None
    # Which models exist and how to reach them (tutor.providers.ModelCatalog).
    models: "ModelCatalog | None" = None
    # Tokens per user per day; None: unlimited.
    daily_token_budget: int | None = None
    # Answers one user may have running at once; None: no limit (tests).
    max_running_answers: int | None = None
    # Uploads one user may have PROCESSING at once; None: no limit (tests).
    max_processing_uploads: int | None = None
    # The process's budget of upload bytes awaiting extraction; None: unbounded (tests).
    upload_backlog: UploadBacklog | None = None
    # Subscriptions one user may hold open on this process; None: no limit (tests).
    subscription_quota: SubscriptionQuota | None = None
    # Sign-in throttling (db/accounts/login_throttle.py).
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    # Minutes without activity after which a study session ends (db/study/session_clock.py).
    session_idle_minutes: int = 30
    # Set by Strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None

    # Loaders for code that runs outside an operation (none in production).
    _fallback_scope: dict[str, "Loaders"] = field(default_factory=dict, repr=False)

    @property
    def client_address(self) -> str | None:
        """The peer's IP address (behind a proxy, uvicorn's --proxy-headers sets it from
        X-Forwarded-For for trusted proxies); None outside a request."""
        client = getattr(self.request, "client", None)
        return client.host if client else None

    def require_user_id(self) -> int:
        """The signed-in user's id, or UNAUTHENTICATED."""
        if self.user_id is None:
            raise self.auth_error or Unauthenticated("authentication required")
        expires_at = self.auth_expires_at
        if expires_at is not None and utcnow() > expires_at + self.token_policy.leeway:
            raise Unauthenticated("access token expired; reconnect with a fresh one")
        return self.user_id

    def listen(self, user_id: int, channel: str) -> "Listening":
        """The bus channel for a subscription of the user's, holding one of their slots
        (SubscriptionQuota) for as long as it is open."""
        return Listening(self.subscription_quota, user_id, self.bus.subscribe(channel))

    def hold_upload_bytes(self, size: int) -> Callable[[], None]:
        """Holds an upload's bytes against the process's backlog; returns the release."""
        if self.upload_backlog is None:
            return lambda: None
        return self.upload_backlog.hold(size)

    @property
    def loaders(self) -> "Loaders":
        """This operation's DataLoaders (see OperationScope)."""
        scope = _operation_scope.get()
        if scope is None:
            scope = self._fallback_scope
        if "loaders" not in scope:
            scope["loaders"] = Loaders(self.session_factory, self.require_user_id(), self.clock)
        return scope["loaders"]


class Listening:
    """`async with context.listen(...)`: a quota slot, then the bus subscription.

    A plain object rather than a generator-based context manager: it is held for as long
    as the subscription is open, and a generator's frame costs ~0.5 KiB more
    (bench/subscription_memory.py).
    """

    __slots__ = ("quota", "subscribing", "user_id")

    def __init__(
        self,
        quota: SubscriptionQuota | None,
        user_id: int,
        subscribing: AbstractAsyncContextManager[Subscription],
    ) -> None:
        self.quota = quota
        self.user_id = user_id
        self.subscribing = subscribing

    async def __aenter__(self) -> Subscription:
        if self.quota is not None:
            self.quota.claim(self.user_id)
        try:
            return await self.subscribing.__aenter__()
        except BaseException:
            if self.quota is not None:
                self.quota.release(self.user_id)
            raise

    async def __aexit__(self, *exc_info) -> bool | None:
        try:
            return await self.subscribing.__aexit__(*exc_info)
        finally:
            if self.quota is not None:
                self.quota.release(self.user_id)


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
            try:
                _operation_scope.reset(token)
            except ValueError:
                # A subscription's stream can be closed from another task than the one
                # that started it (its token belongs to that task's context); the
                # scope ends with the subscription either way.
                _operation_scope.set(None)


class Loaders:
    """Per-request DataLoaders, each scoped to the signed-in user."""

    def __init__(
        self,
        session_factory: SessionFactory,
        user_id: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session_factory = session_factory
        self.user_id = user_id
        # "Now" for loaders whose answer depends on time (due cards, recall).
        self.clock = clock

    @cached_property
    def user_by_id(self):
        return user_loader(self.session_factory)

    @cached_property
    def topic_by_id(self):
        return topic_loader(self.session_factory, self.user_id, self.owner_progress)

    @cached_property
    def session_by_id(self):
        return study_session_loader(self.session_factory, self.user_id)

    @cached_property
    def sessions_page_by_topic(self):
        return sessions_page_by_topic_loader(self.session_factory, self.user_id)

    @cached_property
    def sessions_count_by_topic(self):
        return sessions_count_by_topic_loader(self.session_factory, self.user_id)

    @cached_property
    def material_by_id(self):
        return material_loader(self.session_factory, self.user_id)

    @cached_property
    def materials_page_by_topic(self):
        return materials_page_by_topic_loader(
            self.session_factory, self.user_id, self.materials_count_by_topic
        )

    @cached_property
    def materials_count_by_topic(self):
        return materials_count_by_topic_loader(
            self.session_factory, self.user_id, self.owner_progress
        )

    @cached_property
    def message_by_id(self):
        return message_loader(self.session_factory, self.user_id)

    @cached_property
    def messages_page_by_session(self):
        return messages_page_by_session_loader(self.session_factory, self.user_id)

    @cached_property
    def messages_count_by_session(self):
        return messages_count_by_session_loader(self.session_factory, self.user_id)

    @cached_property
    def card_by_id(self):
        return card_loader(self.session_factory, self.user_id)

    @cached_property
    def cards_page_by_topic(self):
        return cards_page_by_topic_loader(self.session_factory, self.user_id, self.clock)

    @cached_property
    def cards_count_by_topic(self):
        return cards_count_by_topic_loader(self.session_factory, self.user_id, self.clock)

    @cached_property
    def owner_progress(self) -> OwnerProgressOnce:
        return OwnerProgressOnce(self.session_factory, self.user_id, self.clock)

    @cached_property
    def progress_by_topic(self):
        return progress_by_topic_loader(
            self.session_factory, self.user_id, self.clock, self.owner_progress
        )


Info = StrawberryInfo[Context, None]
