"""The wiring of metrics, request ids and their route into the app (used by api/app.py)."""

from starlette.middleware import Middleware
from starlette.routing import Route

from api.metrics_route import MetricsAccess, metrics_endpoint
from api.observers import WebsocketGauge
from api.request_id import RequestIdMiddleware
from api.settings import Settings


def metrics_route(settings: Settings) -> Route:
    """GET /metrics, open to whom the settings allow."""
    access = MetricsAccess.from_settings(
        production=settings.is_production,
        clients=settings.metrics_allowed_clients,
        token=settings.metrics_token,
    )
    return Route("/metrics", metrics_endpoint(access), methods=["GET"])


def outer_middleware() -> list[Middleware]:
    """Outermost, so that every response (a refused one too) carries the request id and
    every log line of the request has it."""
    return [Middleware(RequestIdMiddleware), Middleware(WebsocketGauge)]
