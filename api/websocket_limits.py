"""Caps on the websockets one process holds open: in total, per client address, per user.

Each open socket costs memory and a task for as long as the client keeps it, and
sockets cost the client next to nothing: 600 from one address were accepted, 300 of
them never sent `connection_init`. The address and total caps apply at the handshake,
before anything is accepted (a refused handshake gets HTTP 429); the user is known
only once `connection_init` has been authenticated, so the per-user cap applies there
(the socket is closed 4403 like any refused init). Counts are per process, like the
subscription quota: behind N workers a client may hold up to N times as many.
"""

import json
from collections import Counter
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

# Where the middleware leaves a socket's slot for the view (scope keys are free-form).
SLOT_KEY = "studygraph.websocket_slot"


@dataclass(frozen=True)
class WebsocketCaps:
    """At most `total` sockets, `per_client` from one address, `per_user` per user."""

    total: int
    per_client: int
    per_user: int


class WebsocketSlots:
    """The open sockets of this process, by client address and by user."""

    def __init__(self, caps: WebsocketCaps) -> None:
        self.caps = caps
        self.open_count = 0
        self.by_client: Counter[str] = Counter()
        self.by_user: Counter[int] = Counter()

    def take(self, client: str) -> "WebsocketSlot | None":
        """A slot for a new socket from `client`, or None when a cap is reached."""
        if self.open_count >= self.caps.total or self.by_client[client] >= self.caps.per_client:
            return None
        self.open_count += 1
        self.by_client[client] += 1
        return WebsocketSlot(self, client)


class WebsocketSlot:
    """One open socket's place in the counts; `release` gives it back (idempotent)."""

    def __init__(self, slots: WebsocketSlots, client: str) -> None:
        self.slots = slots
        self.client = client
        self.user_id: int | None = None
        self.released = False

    def claim_user(self, user_id: int) -> bool:
        """Counts the socket for `user_id`; False when the user is at the cap."""
        if self.user_id == user_id:
            return True
        by_user = self.slots.by_user
        if by_user[user_id] >= self.slots.caps.per_user:
            return False
        self._drop_user()
        self.user_id = user_id
        by_user[user_id] += 1
        return True

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        self._drop_user()
        slots = self.slots
        slots.open_count -= 1
        slots.by_client[self.client] -= 1
        if slots.by_client[self.client] <= 0:
            del slots.by_client[self.client]  # the Counter would keep every address seen

    def _drop_user(self) -> None:
        if self.user_id is None:
            return
        by_user = self.slots.by_user
        by_user[self.user_id] -= 1
        if by_user[self.user_id] <= 0:
            del by_user[self.user_id]
        self.user_id = None


class WebsocketLimit:
    """ASGI middleware: refuses a websocket handshake over the total or per-address cap
    and hands the view the socket's slot (SLOT_KEY) for the per-user cap."""

    def __init__(self, app: ASGIApp, *, caps: WebsocketCaps) -> None:
        self.app = app
        self.slots = WebsocketSlots(caps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        slot = self.slots.take(client[0] if client else "")
        if slot is None:
            await _refuse(scope, send)
            return
        scope[SLOT_KEY] = slot
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()


async def _refuse(scope: Scope, send: Send) -> None:
    """HTTP 429 where the server can send a response to a handshake, else a close
    (which the server answers with 403)."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1013, "reason": "too many connections"})
        return
    error = {"message": "too many open websockets", "extensions": {"code": "RATE_LIMITED"}}
    body = json.dumps({"errors": [error]}).encode()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"5"),
            ],
        }
    )
    await send({"type": "websocket.http.response.body", "body": body})
