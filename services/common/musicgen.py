"""The inputs MusicGen takes on Replicate, built in one place: predictions (the synth's
"musicgen-melody" voice, generation's base and fine-tuned models) and fine-tuning
trainings (the trainer's "replicate" backend).

Inputs of meta/musicgen (https://replicate.com/meta/musicgen, its API tab) and of the
fine-tuner sakemin/musicgen-fine-tuner (``dataset_path``, ``model_version``). A melody to
follow is sent as a WAV file: a hum, or notes rendered by :func:`melody_guide` as a
plain tone, since MusicGen hears only the melody's chroma.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from services.common.audio import encode_wav
from services.common.errors import InvalidInputError

#: MusicGen on Replicate generates at most this many seconds per prediction.
MAX_DURATION_S = 30
#: Rate of a melody sent for conditioning: its chroma needs no more, and the file
#: travels base64-encoded inside the request.
MELODY_SAMPLE_RATE_HZ = 16_000
#: Longest prompt sent, in characters.
MAX_PROMPT_CHARS = 1000
#: Training inputs the trainer sets itself; a job's hyperparameters may not override them.
RESERVED_TRAINING_INPUTS = ("dataset_path", "model_version")
#: Fade in and out of each guide note, in seconds (no clicks, which have chroma too).
_GUIDE_FADE_S = 0.01


def melody_guide(
    notes: Sequence[tuple[float, float, float]], sample_rate_hz: int, duration_s: float = 0.0
) -> npt.NDArray[np.float32]:
    """Notes as a plain guide tone (three harmonics, 10 ms fades).

    Args:
        notes: (onset_s, offset_s, frequency_hz) of each note.
        sample_rate_hz: Rate of the result.
        duration_s: Length of the result; at least the last note's end.

    Returns:
        Mono float32 samples in [-1, 1], shape (n_samples,).
    """
    end_s = max([duration_s, *(offset_s for _, offset_s, _ in notes)])
    samples = np.zeros(math.ceil(end_s * sample_rate_hz), dtype=np.float32)
    fade = max(1, int(_GUIDE_FADE_S * sample_rate_hz))
    for onset_s, offset_s, frequency_hz in notes:
        start, end = int(onset_s * sample_rate_hz), int(offset_s * sample_rate_hz)
        t = np.arange(end - start) / sample_rate_hz
        tone = sum(
            np.sin(2 * np.pi * k * frequency_hz * t) / k
            for k in (1, 2, 3)
            if k * frequency_hz < sample_rate_hz / 2
        )
        envelope = np.minimum(1.0, np.minimum(np.arange(t.size), np.arange(t.size)[::-1]) / fade)
        samples[start:end] += (0.3 * tone * envelope).astype(np.float32)
    return np.clip(samples, -1.0, 1.0)


def melody_file(samples: npt.NDArray[np.floating], sample_rate_hz: int) -> io.BytesIO:
    """A melody as the named WAV file the SDK sends inline."""
    melody = io.BytesIO(encode_wav(samples, sample_rate_hz))
    melody.name = "melody.wav"
    return melody


def musicgen_input(
    prompt: str,
    duration_s: float,
    melody: io.BytesIO | None = None,
    model_version: str = "",
) -> dict[str, Any]:
    """The prediction input of meta/musicgen and of models fine-tuned from it.

    Args:
        prompt: Text description of the music (cut to MAX_PROMPT_CHARS).
        duration_s: Requested length, seconds; rounded up to whole seconds (1..30).
        melody: A WAV file (see :func:`melody_file`) whose melody the music follows.
        model_version: meta/musicgen's own choice of checkpoint ("melody-large", ...);
            "" leaves the model's default (a fine-tuned model has no such input).

    Raises:
        InvalidInputError: ``duration_s`` is outside (0, 30].
    """
    if not 0 < duration_s <= MAX_DURATION_S:
        raise InvalidInputError(f"duration must be within (0, {MAX_DURATION_S}] s")
    model_input: dict[str, Any] = {
        "prompt": prompt[:MAX_PROMPT_CHARS],
        "duration": min(MAX_DURATION_S, max(1, math.ceil(duration_s))),
        "output_format": "wav",
        "normalization_strategy": "peak",
    }
    if model_version:
        model_input["model_version"] = model_version
    if melody is not None:
        model_input["input_audio"] = melody
        # Follow the melody from its start rather than continue it.
        model_input["continuation"] = False
    return model_input


def musicgen_training_input(
    dataset_url: str, base_model: str, hyperparameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The input of a MusicGen fine-tuning training.

    Args:
        dataset_url: Where the zipped dataset was uploaded.
        base_model: The MusicGen to start from ("melody", "small"...); "" for the
            trainer's default.
        hyperparameters: The trainer's own inputs (epochs, lr...), passed as they are.

    Raises:
        InvalidInputError: A hyperparameter tries to set a reserved input.
    """
    reserved = sorted(set(hyperparameters) & set(RESERVED_TRAINING_INPUTS))
    if reserved:
        raise InvalidInputError(
            f"hyperparameters may not set {', '.join(reserved)}: the backend sets them"
        )
    training_input: dict[str, Any] = {"dataset_path": dataset_url, **hyperparameters}
    if base_model:
        training_input["model_version"] = base_model
    return training_input
