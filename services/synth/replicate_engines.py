"""Bark and MusicGen (melody) on Replicate, as in the seed, with timeouts and retries.

Both go through the real ``replicate`` SDK: create a prediction for the configured model
version, poll it until it ends or our deadline passes (then cancel it), fetch the output
file over HTTP and decode it with the project's one decoder. Transient failures (HTTP 429,
5xx, network errors) are retried with the mesh's :class:`RetryPolicy`; anything that
still fails becomes :class:`ProviderUnavailableError`, which the server maps to
UNAVAILABLE.

- ``bark`` (suno-ai/bark) sings text placed between ♪ marks; it does not follow notes.
- ``musicgen-melody`` (meta/musicgen, melody model) follows the melody's chroma from an
  audio prompt — we send the notes rendered as a hum — but sings no words.
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from typing import Any

import httpx
import numpy as np
import replicate
from replicate.exceptions import ReplicateError

from services.common import replicate as replicate_api
from services.common.audio import DecodedAudio, decode_audio, encode_wav
from services.common.cancellation import raise_if_cancelled
from services.common.music import midi_to_hz
from services.common.replicate import PROVIDER
from services.common.retry import ProviderUnavailableError, RetryPolicy
from services.common.settings import Settings
from services.synth.score import Score
from services.synth.types import Engine
from services.synth.voices import VoiceInfo

logger = logging.getLogger(__name__)

#: The melody prompt for MusicGen is a hum at this rate (its chroma features need no more).
GUIDE_SAMPLE_RATE_HZ = 8000
#: MusicGen generates at most this many seconds per prediction.
MUSICGEN_MAX_DURATION_S = 30


def render(
    engine: Engine,
    score: Score,
    voice: VoiceInfo,
    settings: Settings,
    cancelled: threading.Event | None = None,
) -> DecodedAudio:
    """Sing ``score`` with a Replicate engine; the whole result, decoded to mono float32.

    Raises ProviderUnavailableError when Replicate is not configured, keeps failing after
    retries, the prediction fails, or it does not finish within ``synth_timeout_s``;
    WorkCancelledError when ``cancelled`` is set first (the prediction is cancelled too).
    """
    if not settings.replicate_api_token:
        raise ProviderUnavailableError(PROVIDER, "REPLICATE_API_TOKEN is not set")
    if engine is Engine.BARK:
        model_version = settings.replicate_bark_version
        model_input = bark_input(score)
    elif engine is Engine.MUSICGEN_MELODY:
        model_version = settings.replicate_musicgen_melody_version
        model_input = musicgen_input(score)
    else:
        raise ValueError(f"{engine} is not a Replicate engine")
    client = replicate_api.make_client(settings)
    policy = replicate_api.retry_policy(settings)
    output = _run_prediction(client, model_version, model_input, settings, policy, cancelled)
    url = _output_url(output)
    data = replicate_api.call(lambda: _fetch(url, settings), policy, "fetching the output audio")
    try:
        return decode_audio(data, max_duration_s=settings.max_audio_duration_s)
    except ValueError as error:
        raise ProviderUnavailableError(
            PROVIDER, f"the output audio is unreadable: {error}"
        ) from error


def bark_input(score: Score) -> dict[str, Any]:
    """Bark's input: the lyrics, one ♪-marked line per phrase (Bark's cue to sing)."""
    lines = [f"♪ {phrase.lyrics_text()} ♪" for phrase in score.phrases]
    return {
        "prompt": "\n".join(lines),
        "history_prompt": "en_speaker_6",
        "text_temp": 0.7,
        "waveform_temp": 0.7,
    }


def musicgen_input(score: Score) -> dict[str, Any]:
    """MusicGen's input: a vocal-style prompt with the lyrics and the melody as a hum."""
    lyrics = " / ".join(phrase.lyrics_text() for phrase in score.phrases)
    guide = melody_guide(score, GUIDE_SAMPLE_RATE_HZ)
    guide_file = io.BytesIO(encode_wav(guide, GUIDE_SAMPLE_RATE_HZ))
    guide_file.name = "melody.wav"
    return {
        "model_version": "melody-large",
        "prompt": f"a cappella solo voice singing a melody, clear vocals. Lyrics: {lyrics}"[:1000],
        "input_audio": guide_file,
        "duration": min(MUSICGEN_MAX_DURATION_S, max(1, math.ceil(score.duration_s))),
        "continuation": False,
        "output_format": "wav",
        "normalization_strategy": "peak",
    }


def melody_guide(score: Score, sample_rate_hz: int) -> np.ndarray:
    """The score's notes as a soft hum (three harmonics), float32 of shape (n_samples,)."""
    samples = np.zeros(math.ceil(score.duration_s * sample_rate_hz), dtype=np.float32)
    fade = int(0.01 * sample_rate_hz)
    for phrase in score.phrases:
        for note in phrase.notes:
            start, end = int(note.onset_s * sample_rate_hz), int(note.offset_s * sample_rate_hz)
            t = np.arange(end - start) / sample_rate_hz
            f0 = midi_to_hz(note.midi_pitch)
            tone = sum(
                (0.5 / k) * np.sin(2 * np.pi * k * f0 * t)
                for k in (1, 2, 3)
                if k * f0 < sample_rate_hz / 2
            )
            envelope = np.ones_like(t)
            ramp = min(fade, envelope.size // 2)
            if ramp:
                envelope[:ramp] = np.linspace(0, 1, ramp)
                envelope[-ramp:] = np.linspace(1, 0, ramp)
            samples[start:end] += (0.5 * tone * envelope).astype(np.float32)
    return samples


def _run_prediction(
    client: replicate.Client,
    model_version: str,
    model_input: dict[str, Any],
    settings: Settings,
    policy: RetryPolicy,
    cancelled: threading.Event | None = None,
) -> Any:
    """Create the prediction and poll it to the end; its output.

    A prediction that outlives the synth timeout or its caller (``cancelled``) is cancelled
    on Replicate too: nobody would hear it, and it is paid for by the second.
    """
    # "owner/name:version" in settings; the predictions API takes the version id.
    version_id = model_version.rsplit(":", 1)[-1]

    def create() -> Any:
        for value in model_input.values():
            if isinstance(value, io.BytesIO):
                value.seek(0)
        return client.predictions.create(
            version=version_id, input=model_input, file_encoding_strategy="base64"
        )

    prediction = replicate_api.call(create, policy, f"creating a prediction of {model_version}")
    deadline = time.monotonic() + settings.synth_timeout_s
    while prediction.status not in replicate_api.TERMINAL_STATUSES:
        if time.monotonic() > deadline or (cancelled is not None and cancelled.is_set()):
            try:
                prediction.cancel()
            except (ReplicateError, httpx.HTTPError):
                logger.warning("could not cancel prediction %s", prediction.id)
            raise_if_cancelled(cancelled, f"waiting for prediction {prediction.id}")
            raise ProviderUnavailableError(
                PROVIDER,
                f"prediction {prediction.id} did not finish in {settings.synth_timeout_s:g} s",
            )
        if cancelled is None:
            time.sleep(settings.replicate_poll_interval_s)
        else:
            cancelled.wait(settings.replicate_poll_interval_s)
        replicate_api.call(prediction.reload, policy, f"polling prediction {prediction.id}")
    if prediction.status != "succeeded":
        raise ProviderUnavailableError(
            PROVIDER,
            f"prediction {prediction.id} {prediction.status}: "
            f"{prediction.error or 'no reason given'}",
        )
    return prediction.output


def _output_url(output: Any) -> str:
    """The audio URL in a model's output: a string, a list of them, or Bark's dict."""
    if isinstance(output, dict):
        output = output.get("audio_out") or next(iter(output.values()), None)
    if isinstance(output, list):
        output = output[-1] if output else None
    if not isinstance(output, str) or not output:
        raise ProviderUnavailableError(
            PROVIDER, f"the prediction returned no audio URL: {output!r}"
        )
    return output


def _fetch(url: str, settings: Settings) -> bytes:
    with httpx.Client(timeout=settings.replicate_request_timeout_s, follow_redirects=True) as http:
        response = http.get(url)
        response.raise_for_status()
        if len(response.content) > settings.max_upload_bytes * 10:
            raise ProviderUnavailableError(PROVIDER, "the output audio is too large")
        return response.content
