"""The stream's settings from the environment: timeouts, size limit, fallback models."""

import pytest

from api.services import build_model_catalog, generation_settings
from api.settings import Settings
from db.errors import BadUserInput


def test_fallbacks_and_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("STUDYGRAPH_MODEL_FALLBACKS", "openrouter:a/b, local:tutor")
    monkeypatch.setenv("STUDYGRAPH_OPENROUTER_API_KEY", "sk-test")
    monkeypatch.setenv("STUDYGRAPH_MODEL_IDLE_TIMEOUT_SECONDS", "7")
    monkeypatch.setenv("STUDYGRAPH_MAX_ANSWER_BYTES", "1000")
    monkeypatch.setenv("STUDYGRAPH_STREAM_COALESCE_MS", "12")
    settings = Settings()
    generation = generation_settings(settings, build_model_catalog(settings))
    assert generation.model_fallbacks == ("openrouter:a/b", "local:tutor")
    assert generation.stream_idle_timeout_seconds == 7
    assert generation.max_answer_bytes == 1000
    assert generation.coalesce_window_seconds == 0.012
    assert generation.turn_timeout_seconds == settings.turn_timeout_seconds


def test_a_fallback_no_provider_serves_stops_start_up(monkeypatch):
    monkeypatch.setenv("STUDYGRAPH_MODEL_FALLBACKS", "nowhere:model")
    settings = Settings()
    with pytest.raises(BadUserInput, match="not configured"):
        generation_settings(settings, build_model_catalog(settings))
