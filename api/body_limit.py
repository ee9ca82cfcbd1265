"""A cap on request bodies, enforced while they stream in.

Strawberry reads a whole body into memory and has no limit of its own, so a client
could make one process buffer gigabytes. The cap applies to every body, whatever its
Content-Type claims: Strawberry decides how to parse by substring ("multipart/
application/json" is read as JSON), so exempting by prefix would be a bypass. The
upload path, when it lands, must stream multipart bodies under its own limit rather
than widen this one.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Answer 413 PAYLOAD_TOO_LARGE to any request body over `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        # Read at most max_bytes + 1 (a chunked body declares no length), then replay it.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._reject(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _reject(self, send: Send) -> None:
        payload = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"request body is larger than {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
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
