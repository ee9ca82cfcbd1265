"""Who is calling: the learner behind a personal API key, and that key's request rate."""

import time
from dataclasses import dataclass, field

from starlette.requests import Request

from api.openai_compat.errors import ApiError
from db.accounts import api_keys
from db.engine import SessionFactory
from db.errors import Unauthenticated
from db.models import ApiKey
from db.types import utcnow

WINDOW_SECONDS = 60.0


@dataclass
class KeyRateLimiter:
    """At most `per_minute` requests per key per minute (fixed windows, this process).

    Per process like the GraphQL subscription quota: several processes allow that many
    each, which still bounds a leaked or looping key.
    """

    per_minute: int
    _windows: dict[int, tuple[float, int]] = field(default_factory=dict)

    def take(self, key_id: int) -> None:
        """Counts one request of the key, or 429 with Retry-After when its minute is spent."""
        now = time.monotonic()
        started, count = self._windows.get(key_id, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        if count >= self.per_minute:
            retry_after = max(1, int(WINDOW_SECONDS - (now - started)) + 1)
            raise ApiError(
                429,
                f"this API key may make {self.per_minute} requests a minute",
                type="rate_limit_error",
                code="rate_limit_exceeded",
                retry_after=retry_after,
            )
        self._windows[key_id] = (started, count + 1)
        if len(self._windows) > 10_000:  # forget long-finished windows
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < WINDOW_SECONDS}


async def authenticate(
    request: Request, session_factory: SessionFactory, limiter: KeyRateLimiter
) -> ApiKey:
    """The request's live key (Authorization: Bearer sg-...), counted against its rate."""
    scheme, _, secret = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(
            401,
            "send your studygraph API key as 'Authorization: Bearer sg-...'",
            type="authentication_error",
            code="invalid_api_key",
        )
    try:
        key = await api_keys.authenticate(session_factory, secret.strip(), now=utcnow())
    except Unauthenticated as error:
        raise ApiError(
            401, error.message, type="authentication_error", code="invalid_api_key"
        ) from None
    limiter.take(key.id)
    return key
