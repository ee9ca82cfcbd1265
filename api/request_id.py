"""A request id for every HTTP request and websocket: in logs, errors and the response.

A client (or the proxy in front) may send its own X-Request-ID to follow a request
through several systems; it is kept only if it is short and plain, since it ends up in
log lines and headers. Otherwise a new one is made. The id lives in a context variable
for the request's task and every task it starts, so each log line written while
serving the request carries it (api/logging_setup.py).
"""

import re
import uuid
from contextvars import ContextVar

HEADER = "x-request-id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_request_id: ContextVar[str | None] = ContextVar("studygraph_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside one."""
    return _request_id.get()


def accepted_request_id(incoming: str | None) -> str:
    """The client's id when it is safe to log and echo, else a fresh one."""
    if incoming is not None and _ACCEPTABLE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware: sets the id for the request and echoes it in X-Request-ID."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, HEADER.encode())
        request_id = accepted_request_id(incoming)
        token = _request_id.set(request_id)

        async def send_with_id(message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = [
                    (name, value)
                    for name, value in message.get("headers") or []
                    if name.lower() != HEADER.encode()
                ]
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
