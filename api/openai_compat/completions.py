"""The /v1 routes: GET /v1/models and POST /v1/chat/completions."""

import logging
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.openai_compat import catalog, sessions
from api.openai_compat.answer import Finished, follow_answer
from api.openai_compat.errors import ApiError, from_domain_error
from api.openai_compat.keys import KeyRateLimiter, authenticate
from api.openai_compat.request import conversation_of, parse_request
from api.openai_compat.sse import Chunks, StoppingStream
from db.engine import unit_of_work
from db.errors import DomainError
from tutor.stream import start
from tutor.stream.start import TurnLimits

logger = logging.getLogger(__name__)


class OpenAICompat:
    """The endpoint's settings and rate limiter; services come from the running app."""

    def __init__(self, *, requests_per_minute: int, max_messages: int, model: str | None):
        self.limiter = KeyRateLimiter(requests_per_minute)
        self.max_messages = max_messages
        self.model = model

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models", self._guarded(self.models), methods=["GET"]),
            Route("/v1/chat/completions", self._guarded(self.completions), methods=["POST"]),
        ]

    def _guarded(self, handler):
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, request.app.state.context_values)
            except ApiError as error:
                return error.response()
            except DomainError as error:
                return from_domain_error(error).response()
            except Exception:
                # Details go to the log only; the client gets OpenAI's shape, no internals.
                logger.exception("/v1 request failed")
                return ApiError(
                    500, "internal server error", type="api_error", code="internal_error"
                ).response()

        return endpoint

    async def models(self, request: Request, values: dict[str, Any]) -> Response:
        key = await authenticate(request, values["session_factory"], self.limiter)
        async with unit_of_work(values["session_factory"]) as session:
            listed = await catalog.model_list(
                session, owner_id=key.owner_id, created=int(key.created_at.timestamp())
            )
        return JSONResponse(listed)

    async def completions(self, request: Request, values: dict[str, Any]) -> Response:
        key = await authenticate(request, values["session_factory"], self.limiter)
        body = parse_request(await request.body(), max_messages=self.max_messages)
        conversation = conversation_of(body.messages)
        named = sessions.named_session_id(request.headers.get(sessions.SESSION_HEADER))
        generations = values["generations"]
        async with unit_of_work(values["session_factory"]) as session:
            chosen = await catalog.choose_model(session, owner_id=key.owner_id, name=body.model)
            session_id = named or await sessions.key_session(
                session, key=key, chosen=chosen, provider_model=self.model, catalog=values["models"]
            )
        turn = await start.send_message(
            generations,
            owner_id=key.owner_id,
            session_id=session_id,
            content=conversation.question,
            client_message_id=None,
            mode=chosen.mode,
            model=self.model,
            limits=TurnLimits(values["daily_token_budget"], values["max_running_answers"]),
            client_history=conversation.history,
        )
        message_id = turn.assistant_message.id
        header = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": chosen.name,
        }
        if body.stream:
            chunks = Chunks(
                generations,
                owner_id=key.owner_id,
                message_id=message_id,
                header=header,
                include_usage=body.include_usage,
            )
            return StoppingStream(generations, message_id, chunks)
        return await _whole_answer(generations, key.owner_id, message_id, header)


async def _whole_answer(generations, owner_id: int, message_id: int, header: dict) -> Response:
    finished: Finished | None = None
    async for item in follow_answer(generations, owner_id=owner_id, message_id=message_id):
        if isinstance(item, Finished):
            finished = item
    assert finished is not None  # the follower ends with the answer's end
    if finished.failed:
        code = str(finished.row.error_code or "failed").lower()
        raise ApiError(502, f"the tutor could not answer ({code})", type="api_error", code=code)
    message = {"role": "assistant", "content": finished.row.content + finished.sources_text()}
    return JSONResponse(
        {
            **header,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finished.finish_reason,
                }
            ],
            "usage": finished.usage,
            "citations": finished.citations,
        }
    )
