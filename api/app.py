"""The composition root: create_app(settings) wires settings, database, bus and schema."""

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib.metadata import version

from agents import set_tracing_disabled
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api.body_limit import BodySizeLimit
from api.graphql_view import StudygraphGraphQL
from api.health import healthz, readyz
from api.runtime import tune_garbage_collector
from api.settings import Settings
from db.accounts.login_throttle import LoginLimits
from db.accounts.tokens import TokenPolicy
from db.engine import (
    create_engine,
    create_session_factory,
    dialect_name,
    normalize_database_url,
)
from db.materials.extraction import ExtractionLimits
from db.materials.extraction_pool import ExtractionPool
from db.materials.sweeper import StaleMaterialSweeper
from db.materials.upload_backlog import UploadBacklog
from db.pubsub import Bus
from db.types import utcnow
from schema.background import BackgroundTasks
from schema.build import build_schema
from schema.context import ServerFacts
from schema.subscription_quota import SubscriptionQuota
from tutor.providers import ModelCatalog, ProviderSettings, configured_providers
from tutor.turn import Generations, GenerationSettings

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, tune_runtime: bool = False) -> Starlette:
    """A Starlette app serving /graphql (HTTP and graphql-transport-ws), /healthz, /readyz.

    `tune_runtime` tunes the garbage collector of the whole process once started: for
    the server's own process (`create_app_from_env`), not for a test's.
    """
    graphql_app = StudygraphGraphQL(
        build_schema(mask_unexpected_errors=settings.is_production),
        graphql_ide=None if settings.is_production else "graphiql",
        allowed_origins=settings.allowed_origins,
        # Uploads: BodySizeLimit enforces the size limit and the CSRF preflight header.
        multipart_uploads_enabled=True,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database_url = normalize_database_url(settings.database_url)
        engine = create_engine(database_url, pool_size=settings.database_pool_size)
        bus = Bus(settings.broadcast_url, namespace=broadcast_namespace(database_url))
        await bus.connect()
        app.state.engine = engine
        app.state.bus = bus
        tasks = BackgroundTasks()
        extraction = ExtractionPool(
            max_workers=settings.material_workers,
            limits=ExtractionLimits(seconds=settings.material_processing_seconds),
        )
        app.state.extraction = extraction
        session_factory = create_session_factory(engine)
        # Uploads a dead process left PROCESSING would otherwise never finish: swept at
        # start-up and then periodically (another process may die while this one runs).
        sweeper = StaleMaterialSweeper(
            session_factory, bus, interval_seconds=settings.material_sweep_interval_seconds
        )
        await sweeper.sweep_once()
        sweeper.start()
        catalog = build_model_catalog(settings)
        generations = Generations(
            session_factory=session_factory,
            bus=bus,
            catalog=catalog,
            clock=utcnow,
            settings=generation_settings(settings),
        )
        await generations.start()
        app.state.generations = generations
        app.state.context_values = {
            "tasks": tasks,
            "extraction": extraction,
            "generations": generations,
            "models": catalog,
            "daily_token_budget": settings.daily_token_budget,
            "max_running_answers": settings.max_running_answers_per_user,
            "max_processing_uploads": settings.max_processing_uploads_per_user,
            "upload_backlog": UploadBacklog(settings.max_upload_backlog_bytes),
            "subscription_quota": SubscriptionQuota(settings.max_subscriptions_per_user),
            "login_limits": LoginLimits(
                per_client=settings.login_attempts_per_client,
                per_account=settings.login_attempts_per_account,
                window=timedelta(seconds=settings.login_window_seconds),
            ),
            "session_factory": session_factory,
            "token_policy": TokenPolicy(secret=settings.resolve_jwt_secret()),
            "bus": bus,
            "server": ServerFacts(
                version=version("studygraph"),
                database=dialect_name(database_url),
                broadcast=bus.kind,
                default_model=settings.model,
            ),
        }
        if tune_runtime:
            tune_garbage_collector()
        logger.info(
            "studygraph ready: database=%s broadcast=%s env=%s",
            dialect_name(database_url),
            bus.kind,
            settings.env,
        )
        try:
            yield
        finally:
            # Running turns and uploads end (or are cancelled) before their bus and
            # database go away underneath them.
            await sweeper.close()
            await generations.close()
            await tasks.close()
            extraction.close()
            await catalog.close()
            await bus.disconnect()
            await engine.dispose()

    return Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[
                    "authorization",
                    "content-type",
                    "graphql-preflight",
                    "apollo-require-preflight",
                ],
            ),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.max_request_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
        lifespan=lifespan,
    )


def broadcast_namespace(database_url: str) -> str:
    """The same for every process of one deployment (one database), different otherwise."""
    identity = make_url(database_url).render_as_string(hide_password=True)
    return "sg" + hashlib.sha256(identity.encode()).hexdigest()[:10]


def build_model_catalog(settings: Settings) -> ModelCatalog:
    """The models this server offers: the offline tutor and the configured providers."""
    # The SDK exports traces to OpenAI unless told not to; that is opt-in here.
    set_tracing_disabled(not settings.agents_tracing)
    explicit = {
        name: ProviderSettings(base_url=values.get("base_url"), api_key=values.get("api_key"))
        for name, values in settings.providers.items()
    }
    return ModelCatalog(
        default_model=settings.model,
        providers=configured_providers(explicit),
        request_timeout_seconds=settings.model_timeout_seconds,
    )


def generation_settings(settings: Settings) -> GenerationSettings:
    return GenerationSettings(
        lease_seconds=settings.generation_lease_seconds,
        reap_interval=settings.generation_reap_interval_seconds,
        max_turns=settings.max_turns,
        turn_timeout_seconds=settings.turn_timeout_seconds,
        model_call_timeout_seconds=settings.model_timeout_seconds,
        tracing=settings.agents_tracing,
    )


def create_app_from_env() -> Starlette:
    """Factory for uvicorn (`--factory`): settings from the environment."""
    return create_app(Settings(), tune_runtime=True)
