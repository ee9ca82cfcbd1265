"""Model providers: `<provider>:<model>` names, the offline tutor and OpenAI-compatible APIs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.errors import BadUserInput
from tutor.compat import supports_required_tool_choice
from tutor.offline.wording import LOCAL_MODEL_DESCRIPTION

if TYPE_CHECKING:  # the Agents SDK and openai load when a model is built, not at import
    from agents import Model
    from openai import AsyncOpenAI

logger = logging.getLogger(__name__)

LOCAL_PROVIDER = "local"
LOCAL_MODELS = ("tutor",)
MODEL_NAME_MAX = 200
MODELS_CACHE_SECONDS = 3600.0

# Providers a deployment can enable with a key alone; any other name needs a base URL.
BUILTIN_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": "http://127.0.0.1:11434/v1",
    "together": "https://api.together.xyz/v1",
}
# Local servers that need no key: set their base URL (or a key) to enable them.
KEYLESS_PROVIDERS = frozenset({"ollama", "llamacpp"})


@dataclass(frozen=True)
class ProviderSettings:
    """Where an OpenAI-compatible provider lives and how to authenticate to it."""

    base_url: str | None = None
    api_key: str | None = None
    # Whether it accepts tool_choice "required" (None: known hosted APIs do, others not).
    tool_choice_required: bool | None = None


@dataclass(frozen=True)
class ModelDescription:
    """One model a client can pick, as the `models` query lists it."""

    id: str  # "provider:model", the value sessions and messages store
    provider: str
    name: str
    context_length: int | None
    is_default: bool


def split_model_name(name: str) -> tuple[str, str]:
    """(provider, model): split on the FIRST ':' (model names may hold ':' and '/')."""
    cleaned = (name or "").strip()
    provider, _, model = cleaned.partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    if not provider or not model or len(cleaned) > MODEL_NAME_MAX:
        raise BadUserInput(
            "model must look like 'provider:model', e.g. 'local:tutor'", field="model"
        )
    return provider, model


def configured_providers(
    explicit: Mapping[str, ProviderSettings],
) -> dict[str, ProviderSettings]:
    """The providers that can be called: a key set, or a keyless one given a base URL.

    `explicit` holds what the environment set (either value may be missing); built-in
    providers get their default base URL.
    """
    providers: dict[str, ProviderSettings] = {}
    for name, given in explicit.items():
        name = name.lower()
        if name == LOCAL_PROVIDER:
            continue
        base_url = given.base_url or BUILTIN_BASE_URLS.get(name)
        enabled = bool(given.api_key) or (name in KEYLESS_PROVIDERS and bool(given.base_url))
        if not enabled:
            continue
        if not base_url:
            logger.warning("provider %r has a key but no base URL; it stays disabled", name)
            continue
        providers[name] = ProviderSettings(
            base_url=base_url.rstrip("/"),
            api_key=given.api_key,
            tool_choice_required=supports_required_tool_choice(name, given.tool_choice_required),
        )
    return providers


class ModelCatalog:
    """Which models exist, which one is the default, and how to build an SDK Model."""

    def __init__(
        self,
        *,
        default_model: str,
        providers: Mapping[str, ProviderSettings],
        request_timeout_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        local_word_delay_seconds: float = 0.0,
    ) -> None:
        # The offline tutor's pause after each word: 0 but in tests that watch a stream.
        self.local_word_delay_seconds = local_word_delay_seconds
        self.providers = {name.lower(): settings for name, settings in providers.items()}
        self.request_timeout_seconds = request_timeout_seconds
        self._monotonic = monotonic
        self._clients: dict[str, AsyncOpenAI] = {}
        self._cache: dict[str, tuple[float, list[ModelDescription]]] = {}
        self._cache_locks: dict[str, asyncio.Lock] = {}
        self.default_model = self.check(default_model)

    def check(self, name: str) -> str:
        """The normalised `provider:model`, or BAD_USER_INPUT if it cannot be served."""
        provider, model = split_model_name(name)
        if provider == LOCAL_PROVIDER:
            if model not in LOCAL_MODELS:
                raise BadUserInput(
                    f"the local provider has only {', '.join(LOCAL_MODELS)}", field="model"
                )
        elif provider not in self.providers:
            raise BadUserInput(
                f"provider {provider!r} is not configured on this server", field="model"
            )
        return f"{provider}:{model}"

    def model_for(self, name: str) -> Model:
        """An Agents SDK model for a (checked) name."""
        # Imported here: the SDK takes seconds to import, and the API serves without it.
        from agents import OpenAIChatCompletionsModel

        from tutor.offline.model import LocalTutorModel

        provider, model = split_model_name(self.check(name))
        if provider == LOCAL_PROVIDER:
            return LocalTutorModel(word_delay_seconds=self.local_word_delay_seconds)
        # The chat-completions API is the one every compatible server speaks.
        return OpenAIChatCompletionsModel(model=model, openai_client=self._client(provider))

    def _client(self, provider: str) -> AsyncOpenAI:
        client = self._clients.get(provider)
        if client is None:
            from tutor.stream_client import StreamingClient  # openai, loaded when first used

            settings = self.providers[provider]
            client = StreamingClient(
                base_url=settings.base_url,
                # Keyless local servers (ollama) still need a non-empty header value.
                api_key=settings.api_key or "unused",
                timeout=self.request_timeout_seconds,
                # The turn runner retries, and only before the first token: a retry
                # in the client would replay a half-streamed answer.
                max_retries=0,
                required_tool_choice=supports_required_tool_choice(
                    provider, settings.tool_choice_required
                ),
            )
            self._clients[provider] = client
        return client

    async def list_models(self) -> list[ModelDescription]:
        """The local tutor plus every configured provider's `/models` (cached one hour)."""
        described = [
            ModelDescription(
                id=f"{LOCAL_PROVIDER}:{model}",
                provider=LOCAL_PROVIDER,
                name=LOCAL_MODEL_DESCRIPTION,
                context_length=None,
                is_default=self.default_model == f"{LOCAL_PROVIDER}:{model}",
            )
            for model in LOCAL_MODELS
        ]
        listings = await asyncio.gather(*(self._provider_models(p) for p in self.providers))
        for listing in listings:
            described.extend(listing)
        return described

    async def _provider_models(self, provider: str) -> list[ModelDescription]:
        lock = self._cache_locks.setdefault(provider, asyncio.Lock())
        # One fetch per provider at a time: concurrent `models` queries share it.
        async with lock:
            cached = self._cache.get(provider)
            if cached is not None and self._monotonic() < cached[0]:
                return cached[1]
            try:
                listing = await self._fetch_models(provider)
            except Exception as error:
                # One provider being down must not hide the others (nor be cached).
                logger.warning("listing models of %s failed: %r", provider, error)
                return []
            self._cache[provider] = (self._monotonic() + MODELS_CACHE_SECONDS, listing)
            return listing

    async def _fetch_models(self, provider: str) -> list[ModelDescription]:
        page = await self._client(provider).models.list()
        described = []
        for item in page.data:
            extra = item.model_extra or {}
            context_length = extra.get("context_length") or extra.get("context_window")
            model_id = f"{provider}:{item.id}"
            described.append(
                ModelDescription(
                    id=model_id,
                    provider=provider,
                    name=item.id,
                    context_length=context_length if isinstance(context_length, int) else None,
                    is_default=model_id == self.default_model,
                )
            )
        return sorted(described, key=lambda model: model.name)

    async def close(self) -> None:
        """Close the HTTP clients (at shutdown)."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
