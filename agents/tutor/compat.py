"""Chat-completion requests that the OpenAI-compatible servers people run accept.

Measured with llama.cpp's server (llama-cpp-python) and the Agents SDK:
- an assistant message that carries tool calls is sent with `"content": null`, which the
  API allows and llama.cpp answers with 422; an empty string means the same to every
  server, so it is sent instead;
- `tool_choice: "required"` makes llama.cpp answer 500. Providers that do not support it
  (every one but the hosted APIs known to, unless told otherwise) get "auto": the model
  is then asked, not forced, to call a tool, and the turn's instructions say when to.
"""

from typing import Any

# Hosted APIs known to honour tool_choice "required"; others must say so themselves
# (STUDYGRAPH_<NAME>_TOOL_CHOICE_REQUIRED=true).
REQUIRED_TOOL_CHOICE_PROVIDERS = frozenset({"openai", "openrouter", "together"})


def supports_required_tool_choice(provider: str, configured: bool | None) -> bool:
    """Whether requests to the provider may say tool_choice "required"."""
    if configured is not None:
        return configured
    return provider.lower() in REQUIRED_TOOL_CHOICE_PROVIDERS


def compatible_chat_request(body: dict[str, Any], *, required_tool_choice: bool) -> dict[str, Any]:
    """The chat-completions body with what local servers refuse replaced (a copy)."""
    fixed = dict(body)
    messages = body.get("messages")
    if isinstance(messages, list):
        fixed["messages"] = [_with_text_content(message) for message in messages]
    if not required_tool_choice and body.get("tool_choice") == "required":
        fixed["tool_choice"] = "auto"
    return fixed


def _with_text_content(message: Any) -> Any:
    if isinstance(message, dict) and message.get("role") == "assistant":
        if message.get("content") is None:
            return {**message, "content": ""}
    return message
