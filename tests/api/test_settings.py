"""Settings: production refuses weak secrets; development keeps a private generated one."""

import stat

import agents
import pytest
from agents.tracing.traces import NoOpTrace
from pydantic import ValidationError

from api.services import build_model_catalog
from api.settings import Settings


def test_defaults_are_the_embedded_ones(monkeypatch):
    for name in ("DATABASE_URL", "BROADCAST_URL", "ENV", "JWT_SECRET", "MODEL"):
        monkeypatch.delenv(f"STUDYGRAPH_{name}", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./studygraph.db"
    assert settings.broadcast_url == "memory://"
    assert settings.env == "development"
    assert settings.model == "local:tutor"


def test_environment_is_read_with_the_prefix(monkeypatch):
    monkeypatch.setenv("STUDYGRAPH_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("STUDYGRAPH_BROADCAST_URL", "redis://127.0.0.1:6379")
    settings = Settings()
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.broadcast_url == "redis://127.0.0.1:6379"


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_production_requires_a_strong_secret(monkeypatch, secret):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(env="production", jwt_secret=secret)
    strong = "8dTq3-vLz0pWm_Xe7RkYb2NcHf9sJu4AgQ1oVi6KtE5w"
    assert Settings(env="production", jwt_secret=strong).resolve_jwt_secret() == strong


def test_production_refuses_the_test_only_word_delay(monkeypatch):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    strong = "8dTq3-vLz0pWm_Xe7RkYb2NcHf9sJu4AgQ1oVi6KtE5w"
    with pytest.raises(ValidationError, match="WORD_DELAY"):
        Settings(env="production", jwt_secret=strong, offline_tutor_word_delay_seconds=0.2)
    assert Settings(jwt_secret=strong, offline_tutor_word_delay_seconds=0.2)


def test_development_generates_a_private_secret_once(tmp_path, monkeypatch):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    path = tmp_path / "state" / "jwt-secret"
    first = Settings(jwt_secret_file=path).resolve_jwt_secret()
    assert len(first.encode()) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(jwt_secret_file=path).resolve_jwt_secret() == first


def test_a_readable_secret_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    path = tmp_path / "jwt-secret"
    path.write_text("s" * 48)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        Settings(jwt_secret_file=path).resolve_jwt_secret()


def _secret_in_a_fresh_process(path: str) -> str:
    return Settings(jwt_secret=None, jwt_secret_file=path).resolve_jwt_secret()


def test_workers_starting_together_share_one_complete_secret(tmp_path, monkeypatch):
    # `serve --workers N` in development: every worker must read the same, whole key.
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    for trial in range(10):
        path = str(tmp_path / f"trial-{trial}" / "jwt-secret")
        with ProcessPoolExecutor(max_workers=6) as pool:
            secrets_seen = set(pool.map(_secret_in_a_fresh_process, [path] * 6))
        assert len(secrets_seen) == 1
        assert len(secrets_seen.pop()) >= 32
    assert not [p for p in tmp_path.rglob(".jwt-secret-*")], "temporary files were left"


def test_an_empty_secret_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("STUDYGRAPH_JWT_SECRET", raising=False)
    path = tmp_path / "jwt-secret"
    path.write_text("")
    path.chmod(0o600)
    with pytest.raises(ValueError, match="no usable secret"):
        Settings(jwt_secret_file=path).resolve_jwt_secret()


def test_providers_come_from_prefixed_base_url_and_key_variables(monkeypatch):
    monkeypatch.setenv("STUDYGRAPH_OPENROUTER_API_KEY", "sk-or")
    monkeypatch.setenv("STUDYGRAPH_VLLM_BASE_URL", "http://gpu:8000/v1")
    monkeypatch.setenv("STUDYGRAPH_VLLM_API_KEY", "token")
    monkeypatch.setenv("STUDYGRAPH_DATABASE_URL", "sqlite+aiosqlite:///x.db")  # not a provider
    providers = Settings().providers
    assert providers == {
        "openrouter": {"api_key": "sk-or"},
        "vllm": {"base_url": "http://gpu:8000/v1", "api_key": "token"},
    }
    catalog = build_model_catalog(Settings())
    assert catalog.check("openrouter:anthropic/claude") == "openrouter:anthropic/claude"
    assert catalog.check("vllm:qwen") == "vllm:qwen"


@pytest.mark.parametrize("enabled", [False, True])
def test_sdk_trace_export_is_off_unless_enabled(enabled):
    try:
        build_model_catalog(Settings(agents_tracing=enabled, providers={}))
        assert isinstance(agents.trace("probe"), NoOpTrace) is (not enabled)
    finally:
        agents.set_tracing_disabled(True)
