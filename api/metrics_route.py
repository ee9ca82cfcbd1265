"""GET /metrics: every worker's metrics in Prometheus text format, for allowed clients.

In development anyone on the machine may read them; in production only clients the
operator allows (STUDYGRAPH_METRICS_ALLOWED_CLIENTS, addresses or networks) or a scraper
presenting STUDYGRAPH_METRICS_TOKEN as a bearer token. Operation names and failure
counts tell an outsider more about the service than it should.
"""

import asyncio
import hmac
import ipaddress
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.metrics_directory import VARIABLE, process_alive
from db.accounts.tokens import bearer_token
from db.engine import SessionFactory
from db.errors import DomainError
from db.materials.backlog import count_embedding_backlog

logger = logging.getLogger(__name__)

SCRAPE_QUERY_TIMEOUT_SECONDS = 2
# prometheus_client names a live gauge's file gauge_<mode>_<pid>.db
# (tests/test_pinned_internals.py checks it).
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live(?:sum|all|max|min|mostrecent)_(\d+)\.db$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class MetricsAccess:
    """Who may read /metrics: everyone (development), listed networks, or a token."""

    open_to_all: bool
    networks: tuple[Network, ...] = ()
    token: str | None = None

    @classmethod
    def from_settings(cls, *, production: bool, clients: list[str], token: str | None):
        networks = tuple(ipaddress.ip_network(client, strict=False) for client in clients)
        return cls(open_to_all=not production, networks=networks, token=token or None)

    def allows(self, request: Request) -> bool:
        if self.open_to_all:
            return True
        if self.token:
            try:
                presented = bearer_token(request.headers.get("authorization"))
            except DomainError:  # a malformed header is simply no token
                presented = None
            if presented and hmac.compare_digest(presented.encode(), self.token.encode()):
                return True
        return self._client_listed(request.client.host if request.client else None)

    def _client_listed(self, host: str | None) -> bool:
        if host is None or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def metrics_endpoint(access: MetricsAccess):
    """The route's handler, closed over who may read it."""

    async def metrics(request: Request) -> Response:
        if not access.allows(request):
            logger.warning("refused /metrics to %s", request.client.host if request.client else "?")
            return PlainTextResponse("metrics are not open to this client\n", status_code=403)
        values = request.app.state.context_values
        body = collect_all() + await scrape_time_gauges(
            values["session_factory"], values["extraction"].embedding_model_name
        )
        # The classic text format: our names need none of 1.0.0's escaping, and every
        # Prometheus version reads it.
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics


def collect_all() -> bytes:
    """Every worker's values when they share a directory, else this process's."""
    directory = os.environ.get(VARIABLE)
    if not directory:
        return generate_latest(REGISTRY)
    forget_dead_workers(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def forget_dead_workers(directory: Path) -> None:
    """Drop the live gauges (open sockets, running answers) of workers that died.

    A worker that crashes cannot retract its own values; left in place they would
    count its sockets and answers as open for ever. Counters and histograms stay.
    """
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.match(path.name)
        if match and not process_alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(directory))


async def scrape_time_gauges(session_factory: SessionFactory, model_name: str) -> bytes:
    """Gauges read from the database when scraped (the same for every worker)."""
    backlog = GaugeMetricFamily(
        "studygraph_embedding_backlog",
        "Passages not yet searchable by meaning (being processed, or waiting for the backfill).",
    )
    try:
        async with asyncio.timeout(SCRAPE_QUERY_TIMEOUT_SECONDS):
            async with session_factory() as session:
                backlog.add_metric(
                    [], await count_embedding_backlog(session, model_name=model_name)
                )
    except Exception:  # a scrape must answer even when the database does not
        logger.warning("metrics: could not count the embedding backlog", exc_info=True)
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families([backlog]))
    return generate_latest(registry)


class _Families:
    """A collector that yields metric families computed beforehand."""

    def __init__(self, families: list) -> None:
        self._families = families

    def collect(self):
        return iter(self._families)
