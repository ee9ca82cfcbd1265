"""Which browser origins may call the API, over HTTP (CORS) and websockets.

Production allows exactly `STUDYGRAPH_ALLOWED_ORIGINS`. Development also allows any
page served from this machine (`localhost`, `127.0.0.1`, `[::1]`, any port), so a
frontend dev server (Vite on :5173, Next on :3000, ...) works with no setting. A
refused origin is logged once per process with the setting that would allow it.
"""

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("studygraph.origins")

SETTING = "STUDYGRAPH_ALLOWED_ORIGINS"
# Any port on the loopback names; http or https. Matched against the whole Origin.
LOOPBACK_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
# Distinct refused origins logged per process: enough to see what is going on, and a
# page probing with made-up origins cannot flood the log.
MAX_LOGGED_REFUSALS = 100


@dataclass
class OriginPolicy:
    """The origins one app allows, and the one place a refusal is explained."""

    allowed: frozenset[str]
    allow_loopback: bool
    _logged: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def for_settings(cls, allowed_origins: list[str], *, production: bool) -> "OriginPolicy":
        return cls(frozenset(allowed_origins), allow_loopback=not production)

    @property
    def loopback_pattern(self) -> str | None:
        return LOOPBACK_ORIGINS if self.allow_loopback else None

    def allows(self, origin: str) -> bool:
        if "*" in self.allowed or origin in self.allowed:
            return True
        return self.allow_loopback and re.fullmatch(LOOPBACK_ORIGINS, origin) is not None

    def log_refusal(self, origin: str, what: str) -> None:
        if origin in self._logged or len(self._logged) >= MAX_LOGGED_REFUSALS:
            return
        self._logged.add(origin)
        where = (
            ""
            if self.allow_loopback
            else " (production allows only that list; pages on "
            "localhost are allowed in development only)"
        )
        logger.warning(
            "refused %s from origin %r: add it to %s (comma-separated)%s",
            what,
            origin,
            SETTING,
            where,
        )


class PolicyCORS:
    """Starlette's CORS middleware for the policy, explaining refused preflights."""

    def __init__(self, app: ASGIApp, *, policy: OriginPolicy, **options) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(policy.allowed),
            allow_origin_regex=policy.loopback_pattern,
            **options,
        )
        self.policy = policy

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a websocket goes straight to the app (Starlette's CORS
        # passes it through untouched), holding no frame of this or Starlette's CORS
        # middleware for the socket's life. Websocket origins: StudygraphGraphQL.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            preflight = "access-control-request-method" in headers
            if origin and preflight and not self.policy.allows(origin):
                self.policy.log_refusal(origin, "a cross-origin HTTP request")
        await self.cors(scope, receive, send)


class StrawberryRefusalFilter(logging.Filter):
    """Drops Strawberry's own websocket refusal line, which names its `allowed_origins`
    argument instead of our setting; `OriginPolicy.log_refusal` has said it already."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rejected WebSocket connection from origin")


def quiet_strawberry_refusals() -> None:
    """Install the filter once per process (idempotent)."""
    strawberry_logger = logging.getLogger("strawberry.ws")
    if not any(isinstance(f, StrawberryRefusalFilter) for f in strawberry_logger.filters):
        strawberry_logger.addFilter(StrawberryRefusalFilter())
