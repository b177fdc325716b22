"""Bark and MusicGen through the real replicate SDK, against a fake Replicate server."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Sequence

import numpy as np
import pytest
import soundfile

from services.common.audio import encode_wav
from services.common.cancellation import WorkCancelledError
from services.common.errors import PreconditionError
from services.common.retry import ProviderUnavailableError
from services.common.settings import Settings
from services.synth.render import sing
from services.synth.types import AudioChunk, Engine, SingOptions, SingRequest, SingSummary
from tests.support.fake_replicate import FakeReplicate
from tests.support.songs import TWINKLE, song

BARK_VERSION = "b76242b40d67c76ab6742e987628a2a9ac019e11d56ab96c4e91ce03b79b2787"
MUSICGEN_VERSION = "671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"


def _settings(fake: FakeReplicate, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "replicate_api_token": "r8_test",
        "replicate_base_url": fake.base_url,
        "replicate_poll_interval_s": 0.01,
        "replicate_retry_base_delay_s": 0.01,
        "replicate_retry_attempts": 3,
        "synth_timeout_s": 5.0,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def _tone_wav(seconds: float, sample_rate_hz: int = 24000) -> bytes:
    t = np.arange(int(seconds * sample_rate_hz)) / sample_rate_hz
    return encode_wav(0.5 * np.sin(2 * np.pi * 220 * t), sample_rate_hz)


def _request(engine: Engine, **options: object) -> SingRequest:
    melody, syllables = song(TWINKLE)
    return SingRequest(melody, syllables, engine=engine, options=SingOptions(**options))  # type: ignore[arg-type]


def _audio_of(events: Sequence[object]) -> tuple[np.ndarray, int]:
    data = b"".join(e.data for e in events if isinstance(e, AudioChunk))
    samples, sample_rate_hz = soundfile.read(io.BytesIO(data))
    return samples, sample_rate_hz


def test_bark_sings_the_lyrics_and_its_audio_is_streamed_back() -> None:
    with FakeReplicate() as fake:
        fake.output = {"audio_out": fake.add_file("bark.wav", _tone_wav(3.0))}
        events = list(sing(_request(Engine.BARK), settings=_settings(fake)))

        created = fake.requests_to("POST /v1/predictions")
        assert len(created) == 1
        assert created[0].headers["Authorization"] == "Bearer r8_test"
        assert created[0].body["version"] == BARK_VERSION
        prompt = created[0].body["input"]["prompt"]
        assert prompt.splitlines() == [
            "♪ twinkle twinkle little star ♪",
            "♪ how I wonder what you are ♪",
        ]
        assert fake.requests_to("GET /files/bark.wav")

    samples, sample_rate_hz = _audio_of(events)
    assert sample_rate_hz == 24000 and len(samples) == 3 * 24000
    assert len([e for e in events if isinstance(e, AudioChunk)]) >= 3  # streamed in pieces
    summary = events[-1]
    assert isinstance(summary, SingSummary)
    assert summary.engine is Engine.BARK and summary.voice_id == "bark-speaker-6"


def test_musicgen_gets_the_melody_as_audio_and_output_is_resampled() -> None:
    with FakeReplicate() as fake:
        fake.output = fake.add_file("music.wav", _tone_wav(2.0, 32000))
        events = list(
            sing(_request(Engine.MUSICGEN_MELODY, sample_rate_hz=16000), settings=_settings(fake))
        )
        body = fake.requests_to("POST /v1/predictions")[0].body

    assert body["version"] == MUSICGEN_VERSION
    assert body["input"]["model_version"] == "melody-large"
    header, encoded = body["input"]["input_audio"].split(",", 1)
    assert header.startswith("data:audio/")
    guide, guide_rate_hz = soundfile.read(io.BytesIO(base64.b64decode(encoded)))
    # The hum follows the first note (C4 = 261.6 Hz) at its onset (0.3 s).
    first_note = guide[int(0.35 * guide_rate_hz) : int(0.65 * guide_rate_hz)]
    spectrum = np.abs(np.fft.rfft(first_note))
    peak_hz = np.argmax(spectrum) * guide_rate_hz / first_note.size
    assert abs(peak_hz - 261.6) < 5
    samples, sample_rate_hz = _audio_of(events)
    assert sample_rate_hz == 16000 and len(samples) == 2 * 16000


def test_transient_failures_are_retried() -> None:
    with FakeReplicate() as fake:
        fake.output = {"audio_out": fake.add_file("bark.wav", _tone_wav(1.0))}
        fake.fail_next("POST /v1/predictions", 500, times=2)
        fake.fail_next("GET /files", 502, times=1)
        events = list(sing(_request(Engine.BARK), settings=_settings(fake)))
        assert len(fake.requests_to("POST /v1/predictions")) == 3

    assert isinstance(events[-1], SingSummary)


def test_persistent_failure_is_unavailable_with_a_reason() -> None:
    with FakeReplicate() as fake:
        fake.fail_next("POST /v1/predictions", 500, times=10)
        with pytest.raises(ProviderUnavailableError, match="HTTP 500") as caught:
            list(sing(_request(Engine.BARK), settings=_settings(fake)))
        assert len(fake.requests_to("POST /v1/predictions")) == 3  # bounded
    assert caught.value.provider == "replicate"


def test_a_failed_prediction_is_unavailable_and_not_retried() -> None:
    with FakeReplicate() as fake:
        fake.prediction_error = "CUDA out of memory"
        with pytest.raises(ProviderUnavailableError, match="failed: CUDA out of memory"):
            list(sing(_request(Engine.BARK), settings=_settings(fake)))
        assert len(fake.requests_to("POST /v1/predictions")) == 1


def test_a_prediction_that_never_ends_is_cancelled_at_the_deadline() -> None:
    with FakeReplicate() as fake:
        fake.never_finish = True
        with pytest.raises(ProviderUnavailableError, match=r"did not finish in 0.3 s"):
            list(sing(_request(Engine.BARK), settings=_settings(fake, synth_timeout_s=0.3)))
        assert fake.requests_to("POST /v1/predictions/")  # the cancel call
        assert all(p.status == "canceled" for p in fake.predictions.values())


def test_a_caller_who_leaves_cancels_the_prediction_too() -> None:
    with FakeReplicate() as fake:
        fake.never_finish = True
        caller_left = threading.Event()
        threading.Timer(0.3, caller_left.set).start()
        with pytest.raises(WorkCancelledError, match="waiting for prediction"):
            list(
                sing(
                    _request(Engine.BARK),
                    settings=_settings(fake, synth_timeout_s=30.0),
                    cancelled=caller_left,
                )
            )
        assert all(p.status == "canceled" for p in fake.predictions.values())


def test_a_bad_token_is_unavailable() -> None:
    with FakeReplicate() as fake:
        fake.fail_next("POST /v1/predictions", 401, times=1)
        with pytest.raises(ProviderUnavailableError, match="HTTP 401"):
            list(sing(_request(Engine.BARK), settings=_settings(fake)))


@pytest.mark.parametrize("engine", [Engine.BARK, Engine.MUSICGEN_MELODY])
def test_without_a_token_replicate_engines_are_refused_at_once_saying_what_to_set(
    engine: Engine,
) -> None:
    with pytest.raises(PreconditionError, match="not configured on this server: set REPLICATE_"):
        sing(_request(engine), settings=Settings(replicate_api_token=""))
