"""One typical piece of work of the trainer or of generation, in this process, then its
peak resident memory: ``python -m bench.image_work trainer|generation`` (bench.images
runs it inside each service's own environment).

- trainer: a DDSP timbre model at its default size trained for 20 steps on 3 × 8 s of a
  synthetic clarinet (the memory of a real job: model, optimizer, a batch of crops);
- generation: a trained instrument model (default size, untrained weights) playing a
  10 s hum through :class:`MusicGenerator`, as a GenerateMusic call does.
"""

from __future__ import annotations

import resource
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from services.common.artifacts import LocalArtifactStore
from services.common.audio import encode_wav
from services.common.settings import Settings
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.instruments import clarinet_like_profile, play, random_melody
from tests.support.training_progress import RecordedProgress

SAMPLE_RATE_HZ = 32_000


def train(scratch: Path) -> None:
    from services.trainer.base import TrainingSpec
    from services.trainer.ddsp.train import DdspBackend

    dataset = scratch / "dataset"
    dataset.mkdir()
    for seed in range(3):
        notes = random_melody(np.random.default_rng(seed), 8.0)
        audio = play(notes, clarinet_like_profile(30), SAMPLE_RATE_HZ, seed=seed)
        soundfile.write(dataset / f"chunk_{seed:04d}.wav", audio, SAMPLE_RATE_HZ)
        (dataset / f"chunk_{seed:04d}.txt").write_text("clarinet")
    spec = TrainingSpec(
        job_id="job_bench",
        model_name="bench-clarinet",
        instrument="clarinet",
        base_model="",
        hyperparameters={"steps": 20, "report_every": 10, "checkpoint_every": 10, "threads": 1},
    )
    DdspBackend(LocalArtifactStore(scratch / "artifacts")).train(spec, dataset, RecordedProgress())


def generate(scratch: Path) -> None:
    import torch

    from services.common.timbre.checkpoint import (
        MODEL_FILE_NAME,
        InstrumentRange,
        TimbreModel,
        model_to_bytes,
    )
    from services.common.timbre.model import DdspConfig, DdspDecoder
    from services.generation.generation import (
        GenerationRequest,
        GenerationTarget,
        MusicGenerator,
        TargetKind,
    )

    artifacts = LocalArtifactStore(scratch / "artifacts")
    torch.manual_seed(0)
    model = TimbreModel(
        decoder=DdspDecoder(DdspConfig()).eval(),
        instrument="clarinet",
        instrument_range=InstrumentRange(loudness_db=(-35.0, -15.0), f0_hz=(140.0, 900.0)),
    )
    artifacts.put(f"models/clarinet/job_bench/{MODEL_FILE_NAME}", model_to_bytes(model))
    target = GenerationTarget(TargetKind.INSTRUMENT, "clarinet", "models/clarinet/job_bench")
    hum = synthesize_hum(hum_notes([60, 62, 64, 65, 67, 69, 71, 72] * 3), 16_000)
    request = GenerationRequest(melody_audio=encode_wav(hum, 16_000))
    MusicGenerator(Settings(data_dir=scratch), artifacts).generate(target, request)


def main() -> None:
    work = {"trainer": train, "generation": generate}[sys.argv[1]]
    with tempfile.TemporaryDirectory(prefix="bench-work-") as scratch:
        work(Path(scratch))
    # ru_maxrss is in KiB on Linux.
    print(f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
