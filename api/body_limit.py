"""A cap on request bodies, enforced while they stream in.

Strawberry reads a whole body into memory and has no limit of its own, so a client
could make one process buffer gigabytes. The cap applies to every body, whatever its
Content-Type claims: Strawberry decides how to parse by substring ("multipart/
application/json" is read as JSON), so exempting by prefix would be a bypass.

Uploads: a body Strawberry will parse as a GraphQL multipart request (its own test:
the parsed MIME type is exactly multipart/form-data) gets `max_upload_bytes` instead,
and is not buffered here: bytes pass through to the form parser while being counted,
and the moment the count passes the limit the client gets 413 PAYLOAD_TOO_LARGE, the
app sees a disconnect, and nothing more is read (or spooled to disk). Such a request
must also carry `GraphQL-Preflight` or `Apollo-Require-Preflight`, headers a
cross-site HTML form cannot set (Strawberry has no CSRF check): without one, 400.

Parts: a multipart body may hold the two fields of the GraphQL multipart request spec
(`operations` and `map`) and files up to `max_multipart_parts` in all (capped_form_adapter);
Starlette's defaults allowed a thousand of each.
"""

import json
import logging
from collections.abc import Awaitable

from cross_web import FormData, HTTPException, StarletteRequestAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from db.errors import PayloadTooLarge

logger = logging.getLogger(__name__)

PREFLIGHT_HEADERS = (b"graphql-preflight", b"apollo-require-preflight")
# `operations` and `map`: the spec's only fields.
MULTIPART_FIELDS = 2


def is_multipart(scope: Scope) -> bool:
    """True when Strawberry would read this request as a multipart upload."""
    content_type = _header(scope, b"content-type") or ""
    # A media type without that word cannot parse as multipart/form-data; most requests
    # are JSON, and the full parse (email.message) cost ~15 us of each.
    if "multipart" not in content_type.lower():
        return False
    try:
        mime_type, _ = parse_content_type(content_type)
    except (AssertionError, ValueError):
        return False
    return mime_type == "multipart/form-data"


class BodySizeLimit:
    """Answer 413 PAYLOAD_TOO_LARGE to any request body over its limit.

    JSON and other bodies: `max_bytes`, buffered. Multipart uploads: `max_upload_bytes`
    (default: `max_bytes`), streamed, and only with a CSRF preflight header.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: a websocket (or lifespan) gets the inner app's awaitable,
        # so no frame of this middleware is held for the socket's life.
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_multipart(scope):
            await self._upload(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        # Read at most max_bytes + 1 (a chunked body declares no length), then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        # uvicorn hands a small body over in one message: passed on without a copy.
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        await self.app(scope, _replay(body, receive), send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not any(_header(scope, name) for name in PREFLIGHT_HEADERS):
            await _error(
                send,
                400,
                "multipart requests must send a `GraphQL-Preflight: 1` (or "
                "`Apollo-Require-Preflight: true`) header; this blocks cross-site form posts",
                "BAD_REQUEST",
            )
            return
        limit = self.max_upload_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        received = 0
        rejected = False

        async def counted() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                rejected = True
                await self._reject(send, limit)
                # The parser stops at a disconnect; the rest of the body is never read.
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:  # the 413 is already on the wire; drop the app's answer
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except ClientDisconnect:
            if not rejected:
                raise
            # Starlette raises ClientDisconnect at the cut; that is the point.
        except Exception:
            if not rejected:
                raise
            # The 413 is on the wire and the client has its answer; the app failed
            # otherwise than at the cut, which is a bug to see, not to hide.
            logger.exception("the app failed after its request body was refused (413)")

    async def _reject(self, send: Send, limit: int | None = None) -> None:
        limit = self.max_bytes if limit is None else limit
        await _error(send, 413, f"request body is larger than {limit} bytes", PayloadTooLarge.code)


async def _error(send: Send, status: int, message: str, code: str) -> None:
    """A GraphQL-shaped error response, and close the connection."""
    payload = json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later messages: the client's disconnect

    return replayed


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def capped_form_adapter(max_parts: int) -> type[StarletteRequestAdapter]:
    """Strawberry's request adapter, reading a multipart body with at most the spec's two
    fields and `max_parts` parts in all; more is refused 400 as the parser meets them."""
    max_files = max(max_parts - MULTIPART_FIELDS, 1)

    class CappedFormRequestAdapter(StarletteRequestAdapter):
        async def get_form_data(self) -> FormData:
            try:
                # Starlette keeps the parsed form on the request; the base reads it there.
                await self._request.form(max_files=max_files, max_fields=MULTIPART_FIELDS)
            except StarletteHTTPException as error:
                raise HTTPException(400, str(error.detail)) from error
            return await super().get_form_data()

    return CappedFormRequestAdapter
