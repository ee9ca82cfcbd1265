"""The composition root: create_app(settings) wires settings, database, bus and schema."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api.body_limit import BodySizeLimit
from api.graphql_view import StudygraphGraphQL
from api.health import healthz, readyz
from api.settings import Settings
from db.access_tokens import TokenPolicy
from db.engine import create_engine, create_session_factory, dialect_name, normalize_database_url
from db.pubsub import Bus
from schema.build import build_schema
from schema.context import ServerFacts

logger = logging.getLogger(__name__)


def create_app(settings: Settings) -> Starlette:
    """A Starlette app serving /graphql (HTTP and graphql-transport-ws), /healthz, /readyz."""
    graphql_app = StudygraphGraphQL(
        build_schema(mask_unexpected_errors=settings.is_production),
        graphql_ide=None if settings.is_production else "graphiql",
        allowed_origins=settings.allowed_origins,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database_url = normalize_database_url(settings.database_url)
        engine = create_engine(database_url)
        bus = Bus(settings.broadcast_url)
        await bus.connect()
        app.state.engine = engine
        app.state.bus = bus
        app.state.context_values = {
            "session_factory": create_session_factory(engine),
            "token_policy": TokenPolicy(secret=settings.resolve_jwt_secret()),
            "bus": bus,
            "server": ServerFacts(
                version=version("studygraph"),
                database=dialect_name(database_url),
                broadcast=bus.kind,
                default_model=settings.model,
            ),
        }
        logger.info(
            "studygraph ready: database=%s broadcast=%s env=%s",
            dialect_name(database_url),
            bus.kind,
            settings.env,
        )
        try:
            yield
        finally:
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
            Middleware(BodySizeLimit, max_bytes=settings.max_request_bytes),
        ],
        lifespan=lifespan,
    )


def create_app_from_env() -> Starlette:
    """Factory for uvicorn (`--factory`): settings from the environment."""
    return create_app(Settings())
