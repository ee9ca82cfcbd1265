"""A refused configuration names the field and the problem, never the secrets given;
production refuses signing secrets that are long but not random."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.secret_strength import estimated_entropy_bits, weak_secret_reason
from api.settings import Settings

STUDYGRAPH = Path(sys.executable).parent / "studygraph"
PROVIDER_KEY = "sk-test-" + "Q7x" * 10 + "TAILOFTHEKEY9"


def _failed_start(tmp_path, **variables: str) -> str:
    """What `studygraph serve` prints when it refuses its configuration."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STUDYGRAPH_")}
    env.update(
        STUDYGRAPH_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/never.db",
        STUDYGRAPH_OPENROUTER_BASE_URL="http://127.0.0.1:9/v1",
        STUDYGRAPH_OPENROUTER_API_KEY=PROVIDER_KEY,
        **variables,
    )
    finished = subprocess.run(
        [str(STUDYGRAPH), "serve", "--port", "9"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    return finished.stdout + finished.stderr


def test_a_weak_production_secret_is_refused_without_printing_it(tmp_path):
    secret = "Zq" + "a" * 40
    output = _failed_start(tmp_path, STUDYGRAPH_ENV="production", STUDYGRAPH_JWT_SECRET=secret)
    assert "STUDYGRAPH_JWT_SECRET" in output
    assert "secrets.token_urlsafe" in output  # says how to make a good one
    assert "Zqaaaa" not in output and "input_value" not in output
    assert "TAILOFTHEKEY9" not in output and "Q7xQ7x" not in output


def test_a_bad_field_is_named_without_the_secrets_beside_it(tmp_path):
    output = _failed_start(
        tmp_path,
        STUDYGRAPH_ENV="production",
        STUDYGRAPH_JWT_SECRET="start-of-the-secret-" + secrets.token_urlsafe(40),
        STUDYGRAPH_DATABASE_POOL_SIZE="lots",
    )
    assert "database_pool_size" in output
    assert "lots" not in output and "start-of-the-secret" not in output
    assert "TAILOFTHEKEY9" not in output


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 32,
        "a" * 64,
        "password" * 4,
        "0123456789" * 4,
        "abcdefghijklmnopqrstuvwxyzABCDEF",
        "qwertyqwertyqwertyqwertyqwertyqw",
        "correct horse battery staple 123",
    ],
)
def test_production_refuses_a_secret_that_is_long_but_not_random(monkeypatch, secret):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET") as refused:
        Settings(env="production", jwt_secret=secret)
    assert "token_urlsafe" in str(refused.value)
    assert secret not in str(refused.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_hex(32),
    ],
)
def test_production_takes_generated_secrets(monkeypatch, make):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    for _ in range(200):  # generated secrets must never be refused by bad luck
        secret = make()
        assert weak_secret_reason(secret) is None, estimated_entropy_bits(secret)
    assert Settings(env="production", jwt_secret=secret).resolve_jwt_secret() == secret


def test_development_keeps_taking_a_long_secret(monkeypatch):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    assert Settings(env="development", jwt_secret="d" * 32).resolve_jwt_secret() == "d" * 32
