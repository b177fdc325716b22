"""Local timbre model: training time and quality on 2 minutes of a synthetic instrument.

The instrument is tests.support.instruments' clarinet-like one (harmonic k at k^-1.5,
even harmonics 8 dB down), so quality can be measured against the truth: the spectral
loss on 10 s of held-out notes (trained vs untrained) and the error of the rendered
harmonic profile (harmonics 1-10, dB) on four notes across the range.

``python -m bench.timbre [--steps N] [--threads N] [--minutes M]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch

from services.common.artifacts import LocalArtifactStore
from services.common.music import Note
from services.common.timbre.checkpoint import TimbreModel, model_from_bytes
from services.common.timbre.model import DdspDecoder
from services.common.timbre.render import render_notes
from services.trainer.base import TrainingSpec
from services.trainer.ddsp.train import DdspBackend
from tests.support import timbre_quality
from tests.support.instruments import (
    clarinet_like_profile,
    harmonic_profile_db,
    play,
    random_melody,
)
from tests.support.training_progress import RecordedProgress

DATASET_RATE_HZ = 32_000
CHUNK_S = 30.0
PROFILE = clarinet_like_profile(30)
PROFILE_PITCHES = (57, 62, 67, 72)


@dataclass(frozen=True)
class TimbreRow:
    audio_s: float
    steps: int
    threads: int
    training_s: float
    held_out_loss: float
    untrained_loss: float
    profile_error_db: float  # mean |rendered - true| over harmonics 1-10 and four notes


def held_out_loss(decoder: DdspDecoder) -> float:
    return timbre_quality.held_out_loss(
        decoder, PROFILE, DATASET_RATE_HZ, duration_s=10.0, seed=999
    )


def profile_error_db(model: TimbreModel) -> float:
    rate_hz = model.config.sample_rate_hz
    true_db = 20 * np.log10(PROFILE[:10] / PROFILE[0])
    errors = []
    for midi_pitch in PROFILE_PITCHES:
        audio = render_notes(model, [Note(onset_s=0.2, duration_s=1.0, midi_pitch=midi_pitch)])
        sustain = audio[int(0.5 * rate_hz) : int(1.0 * rate_hz)]
        f0_hz = 440.0 * 2 ** ((midi_pitch - 69) / 12)
        errors.append(np.abs(harmonic_profile_db(sustain, rate_hz, f0_hz, 10) - true_db))
    return float(np.mean(errors))


def measure(minutes: float, steps: int, threads: int) -> TimbreRow:
    with tempfile.TemporaryDirectory() as scratch:
        dataset_dir = Path(scratch) / "dataset"
        dataset_dir.mkdir()
        for i in range(round(minutes * 60 / CHUNK_S)):
            notes = random_melody(np.random.default_rng(i), CHUNK_S)
            audio = play(notes, PROFILE, DATASET_RATE_HZ, seed=i)
            soundfile.write(dataset_dir / f"chunk_{i:04d}.wav", audio, DATASET_RATE_HZ)
        store = LocalArtifactStore(Path(scratch) / "artifacts")
        spec = TrainingSpec(
            job_id="bench",
            model_name="clarinet",
            instrument="clarinet-like",
            base_model="",
            hyperparameters={"steps": steps, "threads": threads},
        )
        started = time.monotonic()
        result = DdspBackend(store).train(spec, dataset_dir, RecordedProgress())
        training_s = time.monotonic() - started
        model = model_from_bytes(store.get(result.artifact_keys[0]))
    torch.manual_seed(0)
    return TimbreRow(
        audio_s=result.metrics["audio_seconds"],
        steps=steps,
        threads=threads,
        training_s=training_s,
        held_out_loss=held_out_loss(model.decoder),
        untrained_loss=held_out_loss(DdspDecoder(model.config).eval()),
        profile_error_db=profile_error_db(model),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timbre", description=__doc__)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    row = measure(args.minutes, args.steps, args.threads)
    print("## Local timbre model (DDSP): training on the CPU\n")
    print(
        "| audio | steps | threads | training (incl. features) | held-out loss "
        "(untrained) | harmonic profile error |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {row.audio_s:.0f} s | {row.steps} | {row.threads} | {row.training_s:.0f} s | "
        f"{row.held_out_loss:.2f} ({row.untrained_loss:.2f}) | {row.profile_error_db:.2f} dB |"
    )


if __name__ == "__main__":
    main()
