"""Warming a service up before it listens: its first call is as fast as the next."""

from __future__ import annotations

import logging

import pytest

from services.common.server import ServiceSpec, warm
from services.common.settings import Settings
from services.lyrics.writer import warm_up as warm_lyrics
from services.pitch.melody import warm_up as warm_pitch
from services.synth.engines import piper
from services.synth.render import warm_up as warm_synth
from tests.support.fake_llm import FakeLLMServer


def _spec(warm_up) -> ServiceSpec:  # type: ignore[no-untyped-def]
    return ServiceSpec(
        name="demo", protobuf_services=[], register=lambda server, settings: None, warm_up=warm_up
    )


def test_the_warm_up_is_given_the_services_settings() -> None:
    seen: list[Settings] = []
    settings = Settings(_env_file=None)

    warm(_spec(seen.append), settings)

    assert seen == [settings]


def test_a_failing_warm_up_is_logged_and_the_service_still_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(settings: Settings) -> None:
        raise RuntimeError("model file missing")

    with caplog.at_level(logging.WARNING):
        warm(_spec(broken), Settings(_env_file=None))

    assert "demo: warming up failed" in caplog.text
    assert "model file missing" in caplog.text


def test_warming_the_synth_loads_pipers_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper, "_speaker", None)

    warm_synth(Settings(_env_file=None))

    assert piper._speaker is not None


def test_warming_the_lyrics_service_asks_no_llm_provider() -> None:
    # Even where an LLM is the default: a warm-up must not spend a paid request.
    with FakeLLMServer("openai") as server:
        settings = Settings(
            _env_file=None,
            lyrics_default_provider="openai",
            openai_api_key="sk-test",
            openai_base_url=server.base_url,
        )

        warm_lyrics(settings)

        assert server.requests == []


def test_warming_the_pitch_service_transcribes_with_its_default_engine() -> None:
    warm_pitch(Settings(_env_file=None, default_pitch_engine="swift"))
