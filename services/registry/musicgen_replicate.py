"""MusicGen on Replicate: a base version of meta/musicgen or a fine-tuned one from the
registry, a prompt, a duration and optionally a melody to follow.

A prediction of the model version is created with the melody (if any) inlined as a wav
file, polled until it ends (cancelled when our deadline passes or the caller gives up),
and its output file is fetched and decoded with the project's one decoder.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import httpx
import replicate

from services.common import replicate as replicate_api
from services.common.audio import DecodedAudio, decode_audio
from services.common.errors import InvalidInputError, UnavailableError
from services.common.retry import RetryPolicy
from services.common.settings import Settings

logger = logging.getLogger(__name__)

#: MusicGen on Replicate generates at most this many seconds per prediction.
MAX_DURATION_S = 30
_POLL_CHECK_S = 0.25


def musicgen_input(prompt: str, duration_s: float, melody_wav: bytes | None) -> dict[str, Any]:
    """The prediction input of meta/musicgen and of models fine-tuned from it.

    Args:
        prompt: Text description of the music.
        duration_s: Requested length, seconds; rounded up to whole seconds (1..30).
        melody_wav: A wav file whose melody the music should follow, or None.
    """
    if not 0 < duration_s <= MAX_DURATION_S:
        raise InvalidInputError(f"duration must be within (0, {MAX_DURATION_S}] s")
    model_input: dict[str, Any] = {
        "prompt": prompt,
        "duration": min(MAX_DURATION_S, max(1, math.ceil(duration_s))),
        "output_format": "wav",
        "normalization_strategy": "peak",
    }
    if melody_wav is not None:
        melody_file = io.BytesIO(melody_wav)
        melody_file.name = "melody.wav"
        model_input["input_audio"] = melody_file
        # Follow the melody from its start rather than continue it.
        model_input["continuation"] = False
    return model_input


def generate_on_replicate(
    settings: Settings,
    model_version: str,
    model_input: dict[str, Any],
    *,
    timeout_s: float,
    on_status: Callable[[str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DecodedAudio:
    """Runs a MusicGen prediction to the end and returns its audio, decoded to mono.

    Args:
        model_version: "owner/name:version-id".
        model_input: See musicgen_input.
        timeout_s: Deadline for the whole prediction, seconds; it is cancelled after.
        on_status: Called with the prediction's status after every poll.
        cancelled: Polled while waiting; when it turns true the prediction is cancelled.

    Raises:
        PreconditionError: Replicate is not configured (no API token).
        UnavailableError: Replicate kept failing, the prediction failed or timed out,
            or its output is not readable audio.
        TimeoutError: ``cancelled()`` turned true (the caller went away).
    """
    client = replicate_api.make_client(settings)
    policy = replicate_api.retry_policy(settings)
    version_id = model_version.rsplit(":", 1)[-1]

    def create() -> Any:
        for value in model_input.values():
            if isinstance(value, io.BytesIO):
                value.seek(0)  # a retry re-reads the melody file
        return client.predictions.create(
            version=version_id, input=model_input, file_encoding_strategy="base64"
        )

    prediction = replicate_api.call(create, policy, f"starting {model_version}")
    deadline = time.monotonic() + timeout_s
    next_poll = time.monotonic() + settings.replicate_poll_interval_s
    while prediction.status not in replicate_api.TERMINAL_STATUSES:
        if cancelled is not None and cancelled():
            _cancel(client, prediction.id, policy)
            raise TimeoutError(f"generation cancelled; prediction {prediction.id} cancelled")
        if time.monotonic() > deadline:
            _cancel(client, prediction.id, policy)
            raise UnavailableError(
                f"Replicate: {model_version} did not finish within {timeout_s:g} s"
            )
        if time.monotonic() < next_poll:
            sleep(min(_POLL_CHECK_S, max(0.0, next_poll - time.monotonic())))
            continue
        next_poll = time.monotonic() + settings.replicate_poll_interval_s
        prediction = replicate_api.call(
            functools.partial(client.predictions.get, prediction.id),
            policy,
            f"polling prediction {prediction.id}",
        )
        if on_status is not None:
            on_status(prediction.status)
    if prediction.status != "succeeded":
        raise UnavailableError(
            f"Replicate: {model_version} {prediction.status}: "
            f"{prediction.error or 'no reason given'}"
        )
    url = _output_url(prediction.output)
    data = replicate_api.call(
        functools.partial(_fetch, url, settings), policy, "fetching the generated audio"
    )
    try:
        return decode_audio(data, max_duration_s=MAX_DURATION_S + 5)
    except ValueError as error:
        raise UnavailableError(f"Replicate: the generated audio is unreadable: {error}") from error


def _cancel(client: replicate.Client, prediction_id: str, policy: RetryPolicy) -> None:
    try:
        replicate_api.call(
            functools.partial(client.predictions.cancel, prediction_id),
            policy,
            f"cancelling prediction {prediction_id}",
        )
    except UnavailableError:
        logger.warning("could not cancel prediction %s", prediction_id)


def _output_url(output: Any) -> str:
    """MusicGen's output: one URL, or a list whose last item is the audio."""
    if isinstance(output, list):
        output = output[-1] if output else None
    if not isinstance(output, str) or not output:
        raise UnavailableError(f"Replicate: the prediction returned no audio URL: {output!r}")
    return output


def _fetch(url: str, settings: Settings) -> bytes:
    with httpx.Client(timeout=settings.replicate_request_timeout_s, follow_redirects=True) as http:
        response = http.get(url)
        response.raise_for_status()
        return response.content
