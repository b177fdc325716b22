"""The recordings the speed benchmarks send: a synthesized hum and real singing, side by side.

A synthesized hum (tests.support.hums) is what the project made first; real recordings
cost more per second (a 44.1 kHz file to decode and resample, more notes and phrases,
breath and noise), so every speed figure is also measured on real singing in the same run:
the vocadito clips in ``shared/eval`` (bench.eval.eval_dir) and the field inputs in
``shared/field`` (faults people report; their expected answers are in its README).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from services.common.audio import encode_wav
from tests.support.hums import HumNote, synthesize_hum

SYNTHETIC_SAMPLE_RATE_HZ = 22_050
#: The length of the hum the targets speak of ("a 12 s hum").
TAKE_SECONDS = 12.0


@dataclass(frozen=True)
class Recording:
    """One file to send: its bytes and what it is."""

    name: str  # e.g. "synthetic hum 10 s", "vocadito_1 (first 12 s)"
    wav: bytes
    duration_s: float
    sample_rate_hz: int
    real: bool  # sung by a person (else synthesized)


def synthetic_hum(duration_s: float, seed: int = 7) -> Recording:
    """A hummed random walk in C major with phrase breaks, as a 22.05 kHz WAV file."""
    rng = np.random.default_rng(seed)
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74]
    notes: list[HumNote] = []
    onset_s, degree = 0.2, 4
    while onset_s < duration_s - 0.6:
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, len(scale) - 1))
        note_s = float(rng.choice([0.25, 0.4, 0.5, 0.8]))
        notes.append(HumNote(scale[degree], onset_s, note_s))
        onset_s += note_s + (0.5 if rng.random() < 0.12 else 0.03)
    samples = synthesize_hum(notes, SYNTHETIC_SAMPLE_RATE_HZ)
    padded = np.zeros(int(duration_s * SYNTHETIC_SAMPLE_RATE_HZ), dtype=np.float32)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    return Recording(
        f"synthetic hum {duration_s:.0f} s",
        encode_wav(padded, SYNTHETIC_SAMPLE_RATE_HZ),
        duration_s,
        SYNTHETIC_SAMPLE_RATE_HZ,
        real=False,
    )


def _eval_dir() -> Path:
    from bench.eval import eval_dir  # here: bench.eval imports the pitch engines

    return eval_dir()


def field_dir() -> Path:
    """$EXPERT_MUSIC_FIELD_DIR, or shared/field next to the repository."""
    override = os.environ.get("EXPERT_MUSIC_FIELD_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "field"


def _wav_excerpt(path: Path, name: str, max_seconds: float | None = None) -> Recording:
    info = soundfile.info(path)
    frames = -1 if max_seconds is None else int(max_seconds * info.samplerate)
    samples, sample_rate_hz = soundfile.read(path, dtype="int16", frames=frames)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate_hz, format="WAV", subtype="PCM_16")
    return Recording(name, buffer.getvalue(), len(samples) / sample_rate_hz, sample_rate_hz, True)


def real_singing(seconds: float = TAKE_SECONDS) -> Recording | None:
    """The first ``seconds`` of vocadito_1 (44.1 kHz, a person singing); None if absent."""
    clip = _eval_dir() / "vocadito" / "vocadito_1.wav"
    if not clip.is_file():
        return None
    return _wav_excerpt(clip, f"vocadito_1, first {seconds:.0f} s (real)", seconds)


def real_clips() -> list[Recording]:
    """Real singing: the first 12 s of vocadito_1 and the whole of vocadito_10 (9 s)."""
    clips = [real_singing()]
    whole = _eval_dir() / "vocadito" / "vocadito_10.wav"
    if whole.is_file():
        clips.append(_wav_excerpt(whole, "vocadito_10, whole (real)"))
    return [clip for clip in clips if clip is not None]


def field_inputs() -> list[Recording]:
    """Every WAV file among the field inputs, in name order."""
    directory = field_dir()
    if not directory.is_dir():
        return []
    return [_wav_excerpt(path, path.stem) for path in sorted(directory.glob("*.wav"))]
