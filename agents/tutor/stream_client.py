"""The OpenAI client for providers, with streamed chunks built by pydantic's compiled core.

The openai library builds every streamed `ChatCompletionChunk` with `construct_type`,
its lenient pure-Python constructor: 66 us per chunk, more than a tenth of the
server's CPU per streamed token (bench/stream.py, py-spy). `model_validate` builds the
same object in about 3 us. A chunk that does not validate (a provider's own shape: an
unknown finish reason, a missing field) is built the lenient way, exactly as before,
so nothing a provider sends is refused that was accepted.

Requests go out in the form local inference servers accept (tutor.compat).
"""

from typing import Any

import pydantic
from openai import AsyncOpenAI
from openai._models import FinalRequestOptions
from openai.types.chat import ChatCompletionChunk

from tutor.compat import compatible_chat_request


class StreamingClient(AsyncOpenAI):
    """AsyncOpenAI with the fast path for streamed chat-completion chunks, sending
    chat requests the provider accepts."""

    def __init__(self, *, required_tool_choice: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.required_tool_choice = required_tool_choice

    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        options = await super()._prepare_options(options)
        if options.url.endswith("/chat/completions") and isinstance(options.json_data, dict):
            options = options.model_copy()
            options.json_data = compatible_chat_request(
                options.json_data, required_tool_choice=self.required_tool_choice
            )
        return options

    def _process_response_data(self, *, data: object, cast_to: Any, response: Any) -> Any:
        if cast_to is ChatCompletionChunk and isinstance(data, dict):
            try:
                return ChatCompletionChunk.model_validate(data)
            except pydantic.ValidationError:
                pass  # lenient construction below, as the library does
        return super()._process_response_data(data=data, cast_to=cast_to, response=response)
