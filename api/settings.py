"""Settings: the only place that reads the environment (prefix STUDYGRAPH_)."""

import ipaddress
import logging
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.secret_strength import GENERATE_HINT, weak_secret_reason

logger = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    """Configuration of one API process."""

    # hide_input_in_errors: a failed start-up must name the field and the problem, never
    # print what was given (pydantic's input_value would show the JWT secret or an API key).
    model_config = SettingsConfigDict(
        env_prefix="STUDYGRAPH_", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = "sqlite+aiosqlite:///./studygraph.db"
    # PostgreSQL connections one process keeps open, plus a third more for bursts. One
    # request may hold several at once (its resolvers read in parallel): 10 concurrent
    # dashboard queries held 27. Connections opened beyond the pool are closed again
    # when returned, and PostgreSQL forks a backend for each: a pool of 10 + 10 cost
    # the dashboard 17% more CPU per request (bench/dashboard.py).
    database_pool_size: int = Field(default=30, gt=0, le=1000)
    broadcast_url: str = "memory://"
    env: Literal["development", "production"] = "development"
    jwt_secret: str | None = Field(default=None, repr=False)
    # Where development keeps its generated secret, readable by its owner only.
    jwt_secret_file: Path = Path(".studygraph/jwt-secret")
    # Origins allowed for browser CORS and cross-origin websockets, comma separated.
    allowed_origins: Annotated[list[str], NoDecode] = []
    model: str = "local:tutor"
    # For tests that must see an answer mid-stream (stop it, reload during it): the
    # offline tutor waits this long after each word. 0 (no wait) outside such tests.
    offline_tutor_word_delay_seconds: float = Field(default=0.0, ge=0, le=2)
    # JSON bodies beyond this are refused with 413 before they are buffered (uploads
    # have their own limit).
    max_request_bytes: int = Field(default=1_048_576, gt=0)
    # Multipart uploads (GraphQL multipart request spec) instead get this limit, counted
    # while the body streams in; the rest of an oversized body is never read.
    max_upload_bytes: int = Field(default=20 * 1_048_576, gt=0)
    # Uploads are extracted on a pool of this many threads of their own, each document
    # for at most this long (counted from when a worker starts it, not while queued).
    material_workers: int = Field(default=2, gt=0, le=32)
    material_processing_seconds: float = Field(default=60.0, gt=0)
    # How often each process looks for uploads a dead process left PROCESSING.
    material_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    # A study session with no message, review or answer for this long ends (at its last
    # activity plus a short grace); only active time counts as study.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # An upload's bytes stay in memory until it is extracted: at most this many uploads
    # per user PROCESSING at once (counted in the database, across processes), and at
    # most this many bytes held by one process (a burst beyond is RATE_LIMITED).
    max_processing_uploads_per_user: int = Field(default=8, gt=0, le=1000)
    max_upload_backlog_bytes: int = Field(default=256 * 1_048_576, gt=0)
    # Meaning search: the packaged offline model, or `<provider>:<model>` served by an
    # OpenAI-compatible /v1/embeddings endpoint (the provider's BASE_URL/API_KEY below).
    # Changing it re-embeds every passage in the background.
    embedding_model: str = "local:all-MiniLM-L6-v2"
    # How often the embedding backfill looks for passages without current vectors.
    embedding_backfill_interval_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    # "json": one JSON object per log line (with the request id), for log collectors.
    log_format: Literal["text", "json"] = "text"
    # Who may read /metrics in production (development: anyone): client addresses or
    # networks (comma separated), and/or a scraper sending this bearer token.
    metrics_allowed_clients: Annotated[list[str], NoDecode] = []
    metrics_token: str | None = Field(default=None, repr=False)
    # Sign-in throttling (db/accounts/login_throttle.py), counted in the database so that every
    # process shares it: attempts per email from one client address, and per email from
    # anywhere, within a window that restarts once it lapses.
    # Past a limit attempts slow down (waits doubling from LOGIN_BACKOFF_SECONDS up to the
    # window) instead of locking out; past the per-account limit, every address gets one
    # free attempt on that email. Per client address alone: LOGIN_ATTEMPTS_PER_ADDRESS.
    login_attempts_per_client: int = Field(default=10, gt=0)
    login_attempts_per_account: int = Field(default=50, gt=0)
    login_attempts_per_address: int = Field(default=100, gt=0)
    login_window_seconds: float = Field(default=900.0, gt=0)
    login_backoff_seconds: float = Field(default=1.0, gt=0)
    # Registrations per client address before they slow down the same way; the count
    # starts over after this window without one.
    registrations_per_address: int = Field(default=20, gt=0)
    registration_window_seconds: float = Field(default=3600.0, gt=0)
    # Proxies (IP addresses or networks, comma separated) whose X-Forwarded-For is
    # believed. None by default, not even 127.0.0.1: otherwise any local client could
    # claim any address and escape the per-address throttles.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Subscriptions one user may hold open at once on one process (each holds memory for
    # as long as the client keeps it; schema/subscription_quota.py).
    max_subscriptions_per_user: int = Field(default=100, gt=0, le=10_000)
    # ---- limits on GraphQL documents (schema/document_limits.py): over one, BAD_USER_INPUT
    # before the document is parsed (characters), while it is (tokens) or before it is
    # validated (the rest), so that no document holds the event loop for long.
    max_query_characters: int = Field(default=10_000, gt=0)
    max_query_tokens: int = Field(default=1_000, gt=0)
    # Field selections of one operation, each fragment counted wherever it is spread.
    max_query_fields: int = Field(default=500, gt=0)
    max_query_directives: int = Field(default=50, ge=0)
    max_query_fragments: int = Field(default=50, ge=0)
    # Selection sets and fragment spreads nested in one another.
    max_query_nesting: int = Field(default=30, gt=0)
    # graphql-core's budget for comparing same-named fields while validating (its own
    # default, 500,000, let 95,000 `__typename` fields run 2.6 s).
    max_query_validation_complexity: int = Field(default=2_000, gt=0)
    # In production, introspection (__schema, __type) needs a signed-in user unless this
    # is set; development always allows it.
    public_introspection: bool = False
    # Parts of one multipart request: `operations`, `map` and the files.
    max_multipart_parts: int = Field(default=10, ge=3, le=1000)
    # ---- websockets (api/websocket_limits.py), counted per process
    max_websockets: int = Field(default=2_000, gt=0)
    max_websockets_per_client: int = Field(default=50, gt=0)
    max_websockets_per_user: int = Field(default=10, gt=0)
    # A socket that has not sent connection_init by then is closed (4408).
    websocket_init_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # permessage-deflate on websockets. Off by default: its zlib state costs about
    # 70 KiB per connection (bench/stream.py), while a GraphQL event is a few hundred
    # bytes that deflate barely shrinks. Turn it on for slow client links.
    websocket_compression: bool = False

    # ---- the OpenAI-compatible API (/v1)
    # Requests one personal API key may make per minute (per process).
    api_key_requests_per_minute: int = Field(default=60, gt=0, le=100_000)
    # Messages (the conversation so far) one chat-completions request may carry.
    openai_max_messages: int = Field(default=100, gt=0, le=10_000)
    # The provider model behind the studygraph* models; unset: the server's `model`.
    openai_model: str | None = None

    # ---- the tutor
    # Tokens per user per day (input + output); unset means unlimited.
    daily_token_budget: int | None = Field(default=None, gt=0)
    # Answers one user may have running at once, across all sessions (the budget is
    # charged when an answer ends, so this bounds how far a burst can overshoot it).
    max_running_answers_per_user: int = Field(default=3, gt=0, le=100)
    # SDK trace export to OpenAI; off unless explicitly enabled.
    agents_tracing: bool = False
    # The longest wait for a model's first token (and each HTTP read); then at most
    # model_idle_timeout_seconds between two chunks. A slow but steady answer runs on.
    model_timeout_seconds: float = Field(default=60.0, gt=0)
    model_idle_timeout_seconds: float = Field(default=30.0, gt=0)
    # A whole turn, every retry, fallback and tool round trip included.
    turn_timeout_seconds: float = Field(default=300.0, gt=0)
    # Models tried in order when the chosen one fails before its first token (after its
    # retries), comma separated `provider:model` names.
    model_fallbacks: Annotated[list[str], NoDecode] = []
    # Hosts (and their subdomains) that links and images in answers and quotes may
    # point to, comma separated; all others are neutralised. None by default.
    allowed_link_hosts: Annotated[list[str], NoDecode] = []
    # An answer stops (FAILED, ANSWER_TOO_LONG, its text kept) past this many bytes.
    max_answer_bytes: int = Field(default=256 * 1024, gt=0)
    max_turns: int = Field(default=6, gt=0, le=50)
    # A generation whose process stops renewing its lease for this long is declared
    # dead by the others (checked every reap interval): FAILED within their sum.
    generation_lease_seconds: float = Field(default=30.0, gt=0)
    # Text deltas arriving within this many milliseconds of an answer's last text event
    # are merged into its next one (fewer events to deliver); 0 sends each delta alone.
    # At most 50: the stream promises no delta waits longer.
    stream_coalesce_ms: float = Field(default=30.0, ge=0, le=50)
    generation_reap_interval_seconds: float = Field(default=15.0, gt=0)
    # OpenAI-compatible providers: STUDYGRAPH_<NAME>_BASE_URL, STUDYGRAPH_<NAME>_API_KEY
    # and STUDYGRAPH_<NAME>_TOOL_CHOICE_REQUIRED (true/false) for any <NAME>, gathered
    # from the environment (or given directly, as in tests).
    providers: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _gather_providers(cls, values: dict) -> dict:
        if "providers" not in values:
            values["providers"] = providers_from_environment(os.environ)
        return values

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, values: dict) -> dict:
        for name in ("allowed_origins", "trusted_proxies", "model_fallbacks", "allowed_link_hosts"):
            listed = values.get(name)
            if isinstance(listed, str):
                values[name] = [item.strip() for item in listed.split(",") if item.strip()]
        return values

    @field_validator("metrics_allowed_clients", mode="before")
    @classmethod
    def _metrics_networks(cls, value: object) -> object:
        """Comma separated; each an address or a network (refused at start-up if not)."""
        listed = [item.strip() for item in value.split(",")] if isinstance(value, str) else value
        listed = [item for item in listed or [] if item]
        for item in listed:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return listed

    @model_validator(mode="after")
    def _check_production(self) -> "Settings":
        if self.is_production:
            if not self.jwt_secret or len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"STUDYGRAPH_JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes "
                    f"in production; {GENERATE_HINT}"
                )
            weakness = weak_secret_reason(self.jwt_secret)
            if weakness:
                raise ValueError(f"STUDYGRAPH_JWT_SECRET {weakness}; {GENERATE_HINT}")
            if self.offline_tutor_word_delay_seconds:
                raise ValueError(
                    "STUDYGRAPH_OFFLINE_TUTOR_WORD_DELAY_SECONDS is for tests; "
                    "it must be 0 in production"
                )
        elif self.jwt_secret is not None and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"STUDYGRAPH_JWT_SECRET must have at least {MIN_SECRET_BYTES} bytes")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def resolve_jwt_secret(self) -> str:
        """The configured secret, or in development one generated once and kept on disk."""
        if self.jwt_secret:
            return self.jwt_secret
        return _development_secret(self.jwt_secret_file)


_PROVIDER_VARIABLE = re.compile(r"^STUDYGRAPH_([A-Z0-9]+)_(BASE_URL|API_KEY|TOOL_CHOICE_REQUIRED)$")


def providers_from_environment(environ) -> dict[str, dict[str, str]]:
    """{"openrouter": {"base_url": ..., "api_key": ...}} from STUDYGRAPH_<NAME>_* variables."""
    providers: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        match = _PROVIDER_VARIABLE.match(name.upper())
        if match and value:
            provider, kind = match.groups()
            providers.setdefault(provider.lower(), {})[kind.lower()] = value
    return providers


def _development_secret(path: Path) -> str:
    if not path.exists():
        _create_secret_file(path)
    return _read_secret_file(path)


def _create_secret_file(path: Path) -> None:
    """Write the secret to a private temp file, then link it into place.

    The link is atomic and fails if the name exists, so workers starting together
    all end up reading the one complete file; none can see it half-written.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jwt-secret-")
    try:
        with os.fdopen(descriptor, "w") as handle:  # mkstemp creates it with mode 600
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            logger.info("generated a development JWT secret in %s", path)
        except FileExistsError:
            pass  # another process won the race; its file is complete
    finally:
        os.unlink(temporary)


def _read_secret_file(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(
            f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
        )
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{path} holds no usable secret (under {MIN_SECRET_BYTES} bytes); delete it "
            "to have a new one generated"
        )
    return secret
