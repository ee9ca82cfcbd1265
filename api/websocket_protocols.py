"""Strawberry's two websocket protocols, with the gaps a hostile client found closed.

- A message that is JSON but not an object of the expected shape (`[1,2]`, `null`, `5`,
  a subscribe whose payload is a string) raised a TypeError inside Strawberry, logged
  a traceback per connection and dropped the socket with 1011. It is now refused with
  close 4400 (the graphql-transport-ws code for a bad message) before Strawberry reads it.
- The legacy `graphql-ws` protocol closed 1011 (internal error) when the
  connection_init's token was refused; it now closes 4403 as graphql-transport-ws does.
- The legacy protocol had no connection_init timeout at all; it gets the same one.
- graphql-transport-ws drops its connection_init deadline's task once the init came.
"""

import asyncio
import contextlib
from typing import Any

from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.unset import UnsetType

BAD_MESSAGE_CLOSE_CODE = 4400
FORBIDDEN_CLOSE_CODE = 4403
INIT_TIMEOUT_CLOSE_CODE = 4408
# Messages that name an operation, and those that also carry a GraphQL request.
_WITH_ID = frozenset({"subscribe", "complete", "start", "stop"})
_WITH_REQUEST = frozenset({"subscribe", "start"})


def message_problem(message: object) -> str | None:
    """Why a decoded message cannot be handled, or None when its shape is right."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "a message needs a string `type`"
    if kind in _WITH_ID and not isinstance(message.get("id"), str):
        return f"a `{kind}` message needs a string `id`"
    if kind in _WITH_REQUEST:
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return f"a `{kind}` message needs a payload with a string `query`"
        if not isinstance(payload.get("variables") or {}, dict):
            return "`variables` must be an object"
        if not isinstance(payload.get("operationName") or "", str):
            return "`operationName` must be a string"
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, refusing malformed messages with 4400."""

    async def handle_message(self, message: Any) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        # Strawberry cancels its init deadline here but keeps the task (and with it the
        # CancelledError and its traceback) for the socket's life: ~1 KiB per socket
        # (bench/subscription_memory.py). The loop finishes the cancelled task on its own.
        self.connection_init_timeout_task = None


class LegacyWSHandler(BaseGraphQLWSHandler):
    """The legacy graphql-ws protocol: malformed messages 4400, a refused init 4403,
    and no socket left waiting for its connection_init longer than the view allows."""

    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await self.websocket.close(
                code=INIT_TIMEOUT_CLOSE_CODE, reason="Connection initialisation timeout"
            )

    async def handle_message(self, message: Any) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.websocket.close(code=BAD_MESSAGE_CLOSE_CODE, reason=problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        # Strawberry's own, but a refusal closes 4403 instead of 1011.
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            await self.send_message({"type": "connection_error"})
            await self.websocket.close(code=BAD_MESSAGE_CLOSE_CODE, reason="")
            return
        self.context.connection_params = payload
        try:
            ack_payload = await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as error:
            await self.send_message({"type": "connection_error", "payload": error.payload})
            await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason="Forbidden")
            return
        if isinstance(ack_payload, UnsetType) or ack_payload is None:
            await self.send_message({"type": "connection_ack"})
        else:
            await self.send_message({"type": "connection_ack", "payload": ack_payload})
        self.connection_acknowledged = True
        if self.keep_alive:
            self.keep_alive_task = asyncio.create_task(self.handle_keep_alive())
