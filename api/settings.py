"""Settings: the only place that reads the environment (prefix STUDYGRAPH_)."""

import logging
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

logger = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    """Configuration of one API process."""

    model_config = SettingsConfigDict(env_prefix="STUDYGRAPH_", extra="ignore")

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
    # Sign-in throttling (db/accounts/login_throttle.py), counted in the database so that every
    # process shares it: attempts per email from one client address, and per email from
    # anywhere, within a window that restarts once it lapses.
    login_attempts_per_client: int = Field(default=10, gt=0)
    login_attempts_per_account: int = Field(default=50, gt=0)
    login_window_seconds: float = Field(default=900.0, gt=0)
    # Subscriptions one user may hold open at once on one process (each holds memory for
    # as long as the client keeps it; schema/subscription_quota.py).
    max_subscriptions_per_user: int = Field(default=100, gt=0, le=10_000)
    # permessage-deflate on websockets. Off by default: its zlib state costs about
    # 70 KiB per connection (bench/stream.py), while a GraphQL event is a few hundred
    # bytes that deflate barely shrinks. Turn it on for slow client links.
    websocket_compression: bool = False

    # ---- the tutor
    # Tokens per user per day (input + output); unset means unlimited.
    daily_token_budget: int | None = Field(default=None, gt=0)
    # Answers one user may have running at once, across all sessions (the budget is
    # charged when an answer ends, so this bounds how far a burst can overshoot it).
    max_running_answers_per_user: int = Field(default=3, gt=0, le=100)
    # SDK trace export to OpenAI; off unless explicitly enabled.
    agents_tracing: bool = False
    # One model call (the whole streamed response) may take this long.
    model_timeout_seconds: float = Field(default=60.0, gt=0)
    # A whole turn, tool round trips included.
    turn_timeout_seconds: float = Field(default=300.0, gt=0)
    max_turns: int = Field(default=6, gt=0, le=50)
    # A generation whose process stops renewing its lease for this long is declared
    # dead by the others (checked every reap interval): FAILED within their sum.
    generation_lease_seconds: float = Field(default=30.0, gt=0)
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
        origins = values.get("allowed_origins")
        if isinstance(origins, str):
            values["allowed_origins"] = [o.strip() for o in origins.split(",") if o.strip()]
        return values

    @model_validator(mode="after")
    def _check_production(self) -> "Settings":
        if self.is_production:
            if not self.jwt_secret or len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"STUDYGRAPH_JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes "
                    "in production (e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`)"
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
