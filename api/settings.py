"""Settings: the only place that reads the environment (prefix STUDYGRAPH_)."""

import logging
import os
import secrets
import stat
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
    log_level: str = "INFO"

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


def _development_secret(path: Path) -> str:
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
            )
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: if another process created it first, use theirs.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret)
    logger.info("generated a development JWT secret in %s", path)
    return secret
