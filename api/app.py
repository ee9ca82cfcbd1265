"""The composition root: create_app(settings) wires settings, database, bus and schema."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from api.runtime import collector_paused, tune_garbage_collector

# The imports below are most of the app's start-up; see collector_paused.
with collector_paused():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, Route, WebSocketRoute

    from api import graphiql, landing, webapp
    from api.body_limit import BodySizeLimit, capped_form_adapter
    from api.graphql_view import StudygraphGraphQL
    from api.health import healthz, readyz
    from api.observability import metrics_route, outer_middleware
    from api.observers import OperationMetrics, observe_errors, retire_process_gauges
    from api.openai_compat.completions import OpenAICompat
    from api.origins import OriginPolicy, PolicyCORS, quiet_strawberry_refusals
    from api.request_id import HEADER as REQUEST_ID_HEADER
    from api.services import context_values, start_services
    from api.settings import Settings
    from api.websocket_limits import WebsocketCaps, WebsocketLimit
    from db.engine import dialect_name
    from schema.build import build_schema
    from schema.document_limits import DocumentLimits

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, tune_runtime: bool = False) -> Starlette:
    """A Starlette app serving /graphql (HTTP and graphql-transport-ws), /healthz, /readyz.

    `tune_runtime` tunes the garbage collector of the whole process once started: for
    the server's own process (`create_app_from_env`), not for a test's.
    """
    origins = OriginPolicy.for_settings(settings.allowed_origins, production=settings.is_production)
    graphql_app = _graphql_app(settings, origins)
    schema = graphql_app.schema

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await start_services(settings)
        # Health checks, the GraphQL view and tests find the running services here.
        app.state.engine = services.engine
        app.state.bus = services.bus
        app.state.extraction = services.extraction
        app.state.context_values = context_values(settings, services)
        if tune_runtime:
            tune_garbage_collector()
        logger.info(
            "studygraph ready: database=%s broadcast=%s env=%s",
            dialect_name(services.database_url),
            services.bus.kind,
            settings.env,
        )
        try:
            yield
        except asyncio.CancelledError:
            # A forced exit (a second Ctrl-C): uvicorn skipped the graceful shutdown, and
            # the closing below is cut short too. Answers left running are failed by the
            # lease reaper (tutor.stream.reaper) of any process serving once their lease lapses.
            logger.warning("forced exit: running answers and uploads were cut short")
            raise
        finally:
            await services.close()
            retire_process_gauges()

    return Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            metrics_route(settings),
            *_start_here_routes(settings, schema.as_str() + "\n"),
            *OpenAICompat(
                requests_per_minute=settings.api_key_requests_per_minute,
                max_messages=settings.openai_max_messages,
                model=settings.openai_model,
            ).routes(),
            # Last: the web app answers / and its own client-side paths, nothing above.
            *webapp.routes(),
        ],
        middleware=_middleware(settings, origins),
        lifespan=lifespan,
    )


def _graphql_app(settings: Settings, origins: OriginPolicy) -> StudygraphGraphQL:
    """The GraphQL view over the schema, with the settings' limits and observers."""
    quiet_strawberry_refusals()
    schema = build_schema(
        mask_unexpected_errors=settings.is_production,
        limits=document_limits(settings),
        observers=[OperationMetrics],
        on_errors=observe_errors,
    )
    graphql_app = StudygraphGraphQL(
        schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allowed_origins=settings.allowed_origins,
        # Uploads: BodySizeLimit enforces the size limit and the CSRF preflight header.
        multipart_uploads_enabled=True,
        connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_timeout_seconds),
    )
    graphql_app.request_adapter_class = capped_form_adapter(settings.max_multipart_parts)
    graphql_app.origin_policy = origins
    return graphql_app


def _start_here_routes(settings: Settings, sdl: str) -> list[Route | Mount]:
    """The landing page (at / when the web app is not built) and README; in development
    the schema and GraphiQL's bundles."""
    page = landing.landing_route(production=settings.is_production)
    routes: list[Route | Mount] = [
        Route("/start", page),
        Route("/README.md", landing.readme),
    ]
    if not webapp.is_built():
        routes.append(Route("/", page))
    if not settings.is_production:
        routes += [
            Route("/schema.graphql", landing.schema_route(sdl)),
            Mount(graphiql.STATIC_PATH, graphiql.static_files(), name="graphiql"),
        ]
    return routes


def _middleware(settings: Settings, origins: OriginPolicy) -> list[Middleware]:
    """Forwarded addresses from trusted proxies only, CORS for the allowed origins, the
    websocket caps, then the request and upload size limits."""
    return [
        *_forwarded_addresses(settings),
        *outer_middleware(),
        Middleware(
            PolicyCORS,
            policy=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                "authorization",
                "content-type",
                "graphql-preflight",
                "apollo-require-preflight",
                REQUEST_ID_HEADER,
            ],
            # A browser client may read the id it can quote in a bug report.
            expose_headers=[REQUEST_ID_HEADER],
        ),
        Middleware(
            WebsocketLimit,
            caps=WebsocketCaps(
                total=settings.max_websockets,
                per_client=settings.max_websockets_per_client,
                per_user=settings.max_websockets_per_user,
            ),
        ),
        Middleware(
            BodySizeLimit,
            max_bytes=settings.max_request_bytes,
            max_upload_bytes=settings.max_upload_bytes,
        ),
    ]


def _forwarded_addresses(settings: Settings) -> list[Middleware]:
    """The client address from X-Forwarded-For, for requests from a configured proxy
    only (`serve` turns uvicorn's own handling off: it trusts 127.0.0.1 by default,
    which would let any local client pick the address the throttles count)."""
    if not settings.trusted_proxies:
        return []
    # Imported here: `uvicorn.middleware` imports uvicorn's CLI (click), a quarter of a
    # second of start-up that only a deployment behind a proxy needs.
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)]


def document_limits(settings: Settings) -> DocumentLimits:
    """The settings' limits on GraphQL documents."""
    return DocumentLimits(
        max_characters=settings.max_query_characters,
        max_tokens=settings.max_query_tokens,
        max_fields=settings.max_query_fields,
        max_directives=settings.max_query_directives,
        max_fragments=settings.max_query_fragments,
        max_nesting=settings.max_query_nesting,
        validation_complexity=settings.max_query_validation_complexity,
        public_introspection=settings.public_introspection or not settings.is_production,
    )


def create_app_from_env() -> Starlette:
    """Factory for uvicorn (`--factory`): settings from the environment."""
    return create_app(Settings(), tune_runtime=True)
