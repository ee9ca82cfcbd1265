"""The process's long-lived services: built when the app starts, closed when it stops.

One `Services` per app: the database engine, the bus, the extraction pool, the
background task set, the stale-upload sweeper, the model catalog and the tutor's
generations. They are built in the lifespan (never at import) and reach resolvers
through the GraphQL context (`context_values`).
"""

import hashlib
import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api.observers import (
    ObservedExtractionPool,
    ObservedSubscriptionQuota,
    TurnMetrics,
    observe_pool,
)
from api.settings import Settings
from db.accounts.login_throttle import LoginLimits
from db.accounts.tokens import TokenPolicy
from db.engine import (
    SessionFactory,
    create_engine,
    create_session_factory,
    dialect_name,
    normalize_database_url,
)
from db.materials.backfill import EmbeddingBackfill
from db.materials.embeddings import EmbeddingModel, model_from_spec
from db.materials.extraction.limits import ExtractionLimits
from db.materials.extraction_pool import ExtractionPool
from db.materials.sweeper import StaleMaterialSweeper
from db.materials.upload_backlog import UploadBacklog
from db.pubsub import Bus
from db.study.session_sweeper import IdleSessionSweeper
from db.types import utcnow
from schema.background import BackgroundTasks
from schema.context import ServerFacts
from tutor.links import LinkPolicy
from tutor.providers import ModelCatalog, ProviderSettings, configured_providers
from tutor.stream.generations import Generations
from tutor.stream.settings import GenerationSettings

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """What one running app holds open; `close()` releases it in a safe order."""

    database_url: str
    engine: AsyncEngine
    session_factory: SessionFactory
    bus: Bus
    tasks: BackgroundTasks
    extraction: ExtractionPool
    sweeper: StaleMaterialSweeper
    catalog: ModelCatalog
    generations: Generations
    backfill: EmbeddingBackfill
    session_sweeper: IdleSessionSweeper | None = None

    async def close(self) -> None:
        """Stop the work in flight first, then its bus and database."""
        # Running turns and uploads end (or are cancelled) before their bus and
        # database go away underneath them.
        await self.sweeper.close()
        if self.session_sweeper is not None:
            await self.session_sweeper.close()
        await self.backfill.close()
        await self.generations.close()
        await self.tasks.close()
        self.extraction.close()
        await self.catalog.close()
        await self.bus.disconnect()
        await self.engine.dispose()


async def start_services(settings: Settings) -> Services:
    """Connect the database and the bus, start the sweeper and the generations."""
    database_url = normalize_database_url(settings.database_url)
    engine = create_engine(database_url, pool_size=settings.database_pool_size)
    # Before anything checks a connection out (the sweepers and the backfill start
    # below), or a check-in would be counted without its check-out.
    observe_pool(engine)
    bus = Bus(settings.broadcast_url, namespace=broadcast_namespace(database_url))
    await bus.connect()
    tasks = BackgroundTasks()
    extraction = ObservedExtractionPool(
        max_workers=settings.material_workers,
        limits=ExtractionLimits(seconds=settings.material_processing_seconds),
        embedder=build_embedding_model(settings),
    )
    session_factory = create_session_factory(engine)
    backfill = EmbeddingBackfill(
        session_factory, extraction, idle_seconds=settings.embedding_backfill_interval_seconds
    )
    backfill.start()
    # Uploads a dead process left PROCESSING would otherwise never finish: swept at
    # start-up and then periodically (another process may die while this one runs).
    sweeper = StaleMaterialSweeper(
        session_factory, bus, interval_seconds=settings.material_sweep_interval_seconds
    )
    await sweeper.sweep_once()
    sweeper.start()
    # Idle sessions already read as ended everywhere; the sweep writes their end down.
    session_sweeper = IdleSessionSweeper(
        session_factory, interval_seconds=settings.material_sweep_interval_seconds
    )
    await session_sweeper.sweep_once()
    session_sweeper.start()
    catalog = build_model_catalog(settings)
    preload_turn_runner()
    generations = Generations(
        session_factory=session_factory,
        bus=bus,
        catalog=catalog,
        clock=utcnow,
        settings=generation_settings(settings, catalog),
        observer=TurnMetrics(),
        embedder=extraction.embedder,
    )
    await generations.start()
    return Services(
        database_url, engine, session_factory, bus, tasks, extraction, sweeper, catalog,
        generations, backfill, session_sweeper,
    )  # fmt: skip


def context_values(settings: Settings, services: Services) -> dict[str, Any]:
    """What every request's GraphQL context is built from (see graphql_view.py)."""
    return {
        "tasks": services.tasks,
        "extraction": services.extraction,
        "generations": services.generations,
        "models": services.catalog,
        "daily_token_budget": settings.daily_token_budget,
        "max_running_answers": settings.max_running_answers_per_user,
        "max_processing_uploads": settings.max_processing_uploads_per_user,
        "upload_backlog": UploadBacklog(settings.max_upload_backlog_bytes),
        "subscription_quota": ObservedSubscriptionQuota(settings.max_subscriptions_per_user),
        "session_idle_minutes": settings.session_idle_minutes,
        "login_limits": LoginLimits(
            per_client=settings.login_attempts_per_client,
            per_account=settings.login_attempts_per_account,
            per_address=settings.login_attempts_per_address,
            window=timedelta(seconds=settings.login_window_seconds),
            backoff=timedelta(seconds=settings.login_backoff_seconds),
            registrations_per_address=settings.registrations_per_address,
            registration_window=timedelta(seconds=settings.registration_window_seconds),
        ),
        "session_factory": services.session_factory,
        "token_policy": TokenPolicy(secret=settings.resolve_jwt_secret()),
        "bus": services.bus,
        "server": ServerFacts(
            version=version("studygraph"),
            database=dialect_name(services.database_url),
            broadcast=services.bus.kind,
            default_model=settings.model,
            developer_tools=not settings.is_production,
        ),
    }


def broadcast_namespace(database_url: str) -> str:
    """The same for every process of one deployment (one database), different otherwise."""
    identity = make_url(database_url).render_as_string(hide_password=True)
    return "sg" + hashlib.sha256(identity.encode()).hexdigest()[:10]


# Imported at start-up rather than with `api.app` (see preload_turn_runner): the turn
# runner with the Agents SDK, PyJWT with `cryptography`, markdown-it-py's parser.
DEFERRED_MODULES = ("tutor.stream.task", "jwt", "markdown_it.helpers")


def preload_turn_runner() -> None:
    """Import the tutor's turn runner and the Agents SDK under it (~2-3 s of CPU).

    Not at module import: `import api.app` stays fast, and a worker answers uvicorn's
    health check while this runs. Here, at start-up rather than at the first answer,
    so that no learner waits for it and the garbage collector's freeze (run right after
    start-up) covers the SDK's modules too.
    """
    for module in DEFERRED_MODULES:
        importlib.import_module(module)


def _flag(value: str | None) -> bool | None:
    """A provider's true/false variable; None when unset (or not a yes/no word)."""
    word = (value or "").strip().lower()
    return True if word in ("1", "true", "yes") else False if word in ("0", "false", "no") else None


def build_model_catalog(settings: Settings) -> ModelCatalog:
    """The models this server offers: the offline tutor and the configured providers."""
    from agents import set_tracing_disabled  # see preload_turn_runner

    # The SDK exports traces to OpenAI unless told not to; that is opt-in here.
    set_tracing_disabled(not settings.agents_tracing)
    explicit = {
        name: ProviderSettings(
            base_url=values.get("base_url"),
            api_key=values.get("api_key"),
            tool_choice_required=_flag(values.get("tool_choice_required")),
        )
        for name, values in settings.providers.items()
    }
    return ModelCatalog(
        default_model=settings.model,
        providers=configured_providers(explicit),
        request_timeout_seconds=settings.model_timeout_seconds,
        local_word_delay_seconds=settings.offline_tutor_word_delay_seconds,
    )


def build_embedding_model(settings: Settings) -> EmbeddingModel:
    """The passages' embedding model: the packaged one, or a configured provider's."""
    provider = settings.embedding_model.partition(":")[0].strip().lower()
    if provider == "local":
        return model_from_spec(settings.embedding_model)
    given = settings.providers.get(provider, {})
    explicit = {provider: ProviderSettings(given.get("base_url"), given.get("api_key"))}
    configured = configured_providers(explicit).get(provider)
    if configured is None:
        raise ValueError(
            f"STUDYGRAPH_EMBEDDING_MODEL={settings.embedding_model!r} needs provider "
            f"{provider!r} configured (STUDYGRAPH_{provider.upper()}_BASE_URL and/or _API_KEY)"
        )
    return model_from_spec(
        settings.embedding_model, base_url=configured.base_url, api_key=configured.api_key
    )


def generation_settings(settings: Settings, catalog: ModelCatalog) -> GenerationSettings:
    """The tutor's turn settings (leases, reaping, turn and model-call limits); fallback
    models are checked now, so a misspelt one stops start-up rather than a turn."""
    return GenerationSettings(
        stream_idle_timeout_seconds=settings.model_idle_timeout_seconds,
        model_fallbacks=tuple(catalog.check(model) for model in settings.model_fallbacks),
        max_answer_bytes=settings.max_answer_bytes,
        link_policy=LinkPolicy.of(settings.allowed_link_hosts),
        lease_seconds=settings.generation_lease_seconds,
        reap_interval=settings.generation_reap_interval_seconds,
        max_turns=settings.max_turns,
        turn_timeout_seconds=settings.turn_timeout_seconds,
        model_call_timeout_seconds=settings.model_timeout_seconds,
        tracing=settings.agents_tracing,
        coalesce_window_seconds=settings.stream_coalesce_ms / 1000,
    )
