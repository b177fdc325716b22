"""The "local" backend learns the timbre of an instrument the test invents.

The instrument has a known harmonic profile (k^-1.5, even harmonics 8 dB down). A small
DDSP model trained on 24 s of it must sound like it on notes it never heard: a spectral
loss far below an untrained model's, and a rendered harmonic profile within a few dB of
the true one, even harmonics quieter than their odd neighbours included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from services.common.artifacts import LocalArtifactStore
from services.common.errors import InvalidInputError, PreconditionError
from services.common.music import Note
from services.common.timbre.checkpoint import TimbreModel, model_from_bytes
from services.common.timbre.model import DdspDecoder
from services.common.timbre.render import render_notes
from services.trainer.base import TrainingCancelledError, TrainingResult, TrainingSpec
from services.trainer.ddsp.train import STATE_CHECKPOINT, DdspBackend
from tests.support import timbre_quality
from tests.support.instruments import (
    clarinet_like_profile,
    harmonic_profile_db,
    play,
    random_melody,
)
from tests.support.training_progress import RecordedProgress

DATASET_RATE_HZ = 32_000  # what the registry's dataset preparation writes
PROFILE = clarinet_like_profile(30)
#: Small enough to train in seconds on two busy cores, big enough to learn one timbre.
TINY = {
    "hidden_size": 64,
    "gru_size": 64,
    "n_harmonics": 30,
    "n_noise_bands": 33,
    "mlp_layers": 1,
    "steps": 160,
    "batch_size": 8,
    "crop_frames": 32,
    "learning_rate": 3e-3,
    "final_learning_rate": 5e-4,
    "report_every": 20,
    "checkpoint_every": 100,
    # Test machines are shared: one thread (see TrainConfig.threads).
    "threads": 1,
}


def write_dataset(directory: Path, seeds: range, chunk_s: float = 8.0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        notes = random_melody(np.random.default_rng(seed), chunk_s)
        audio = play(notes, PROFILE, DATASET_RATE_HZ, seed=seed)
        soundfile.write(directory / f"chunk_{seed:04d}.wav", audio, DATASET_RATE_HZ)
        (directory / f"chunk_{seed:04d}.txt").write_text("a clarinet-like test instrument")
    return directory


def spec(job_id: str, **hyperparameters: float) -> TrainingSpec:
    return TrainingSpec(
        job_id=job_id,
        model_name="test-clarinet",
        instrument="clarinet-like test instrument",
        base_model="",
        hyperparameters={**TINY, **hyperparameters},
    )


@dataclass(frozen=True)
class Trained:
    result: TrainingResult
    model: TimbreModel
    progress: RecordedProgress
    seconds: float


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("ddsp")
    dataset_dir = write_dataset(root / "dataset", range(3))
    store = LocalArtifactStore(root / "artifacts")
    progress = RecordedProgress()
    started = time.monotonic()
    result = DdspBackend(store).train(spec("job_train"), dataset_dir, progress)
    seconds = time.monotonic() - started
    model = model_from_bytes(store.get(result.artifact_keys[0]))
    return Trained(result, model, progress, seconds)


def held_out_loss(decoder: DdspDecoder) -> float:
    """Spectral loss of the decoder's rendition of 6 s of notes it never trained on."""
    return timbre_quality.held_out_loss(
        decoder, PROFILE, DATASET_RATE_HZ, duration_s=6.0, seed=1000
    )


def test_spectral_loss_on_held_out_notes_falls_well_below_an_untrained_model(
    trained: Trained,
) -> None:
    torch.manual_seed(0)
    untrained = DdspDecoder(trained.model.config).eval()

    assert held_out_loss(trained.model.decoder) < 0.4 * held_out_loss(untrained)


@pytest.mark.parametrize("midi_pitch", [60, 67])
def test_rendered_notes_have_the_instruments_harmonic_profile(
    trained: Trained, midi_pitch: int
) -> None:
    sample_rate_hz = trained.model.config.sample_rate_hz
    audio = render_notes(trained.model, [Note(onset_s=0.1, duration_s=1.0, midi_pitch=midi_pitch)])
    sustain = audio[int(0.4 * sample_rate_hz) : int(1.0 * sample_rate_hz)]
    f0_hz = 440.0 * 2 ** ((midi_pitch - 69) / 12)

    rendered_db = harmonic_profile_db(sustain, sample_rate_hz, f0_hz, n_harmonics=8)
    true_db = 20 * np.log10(PROFILE[:8] / PROFILE[0])

    assert np.mean(np.abs(rendered_db - true_db)) < 2.0
    # The instrument's signature: each even harmonic below the odd one above it.
    assert rendered_db[1] < rendered_db[2]
    assert rendered_db[3] < rendered_db[4]


def test_training_reports_every_step_interval_with_a_falling_loss(trained: Trained) -> None:
    reports = trained.progress.reports
    assert [r.step for r in reports] == list(range(20, 161, 20))
    assert all(r.total_steps == 160 for r in reports)
    assert reports[-1].loss < 0.7 * reports[0].loss
    assert trained.result.metrics["steps"] == 160
    # Three chunks of up to 8 s; each ends with its last note's release and a short tail.
    assert 20.0 < trained.result.metrics["audio_seconds"] <= 24.0


def test_the_model_is_stored_under_the_jobs_version(trained: Trained) -> None:
    assert trained.result.version == "models/test-clarinet/job_train"
    assert trained.result.artifact_keys == ["models/test-clarinet/job_train/timbre_model.pt"]
    assert trained.model.instrument == "clarinet-like test instrument"
    low_hz, high_hz = trained.model.instrument_range.f0_hz
    # random_melody plays MIDI 55..76: G3 (196 Hz) to E5 (659 Hz).
    assert 180 < low_hz < 240 and 550 < high_hz < 700


def test_a_stopped_training_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    dataset_dir = write_dataset(tmp_path / "dataset", range(1), chunk_s=4.0)
    store = LocalArtifactStore(tmp_path / "artifacts")
    quick = spec("job_resume", steps=40, report_every=10, checkpoint_every=10)
    progress = RecordedProgress(stop_after_reports=2, stop_reason_when_stopping="lease_lost")

    with pytest.raises(TrainingCancelledError):
        DdspBackend(store).train(quick, dataset_dir, progress)
    assert progress.saved_checkpoint_names == [STATE_CHECKPOINT, STATE_CHECKPOINT]

    progress.resume()
    result = DdspBackend(store).train(quick, dataset_dir, progress)

    # Steps 1-20 ran before the stop; the next worker went on from step 20.
    assert [r.step for r in progress.reports] == [10, 20, 30, 40]
    assert store.exists(result.artifact_keys[0])


def test_a_worker_shutting_down_saves_its_progress_for_the_next_one(tmp_path: Path) -> None:
    dataset_dir = write_dataset(tmp_path / "dataset", range(1), chunk_s=4.0)
    store = LocalArtifactStore(tmp_path / "artifacts")
    # No periodic checkpoint before the stop: only the shutdown's own can save the work.
    quick = spec("job_shutdown", steps=40, report_every=10, checkpoint_every=1000)
    progress = RecordedProgress(stop_after_reports=2, stop_reason_when_stopping="shutdown")

    with pytest.raises(TrainingCancelledError):
        DdspBackend(store).train(quick, dataset_dir, progress)
    assert progress.saved_checkpoint_names == [STATE_CHECKPOINT]

    progress.resume()
    DdspBackend(store).train(quick, dataset_dir, progress)

    assert [r.step for r in progress.reports] == [10, 20, 30, 40]


def test_a_dataset_without_pitched_sound_is_refused(tmp_path: Path) -> None:
    dataset_dir = tmp_path / "dataset"
    dataset_dir.mkdir()
    noise = np.random.default_rng(0).uniform(-0.01, 0.01, 2 * DATASET_RATE_HZ)
    soundfile.write(dataset_dir / "chunk_0000.wav", noise * 0, DATASET_RATE_HZ)

    with pytest.raises(PreconditionError, match="no pitched sound"):
        DdspBackend(LocalArtifactStore(tmp_path / "artifacts")).train(
            spec("job_silent"), dataset_dir, RecordedProgress()
        )


def test_unknown_or_malformed_hyperparameters_are_refused(tmp_path: Path) -> None:
    backend = DdspBackend(LocalArtifactStore(tmp_path))
    with pytest.raises(InvalidInputError, match="learning_rat"):
        backend.train(spec("job_bad", learning_rat=1e-3), tmp_path, RecordedProgress())
    with pytest.raises(InvalidInputError, match="steps"):
        backend.train(spec("job_bad", steps=-5), tmp_path, RecordedProgress())
