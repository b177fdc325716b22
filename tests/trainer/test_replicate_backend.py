"""The "replicate" training backend against a fake Replicate server, through the real SDK:
MusicGen fine-tuning as the seed does it (zip, upload, train, poll, new version)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from services.common.errors import PreconditionError, UnavailableError
from services.common.settings import Settings
from services.trainer.base import TrainingCancelledError, TrainingSpec
from services.trainer.replicate_backend import ReplicateBackend, parse_training_logs
from tests.support.fake_replicate import FakeReplicate
from tests.support.training_progress import RecordedProgress

TRAINER = (
    "sakemin/musicgen-fine-tuner:8d02c56b9a3d69abd2f1d6cc1a65027de5bfef7f0d34bd23e0d5b66e0b87e7df"
)
SPEC = TrainingSpec(
    job_id="job_1",
    model_name="telecaster",
    instrument="Telecaster guitar",
    base_model="melody",
    hyperparameters={"epochs": 3},
)


@pytest.fixture
def fake() -> Iterator[FakeReplicate]:
    with FakeReplicate(training_polls_before_done=3) as server:
        server.training_log_lines = ["Epoch 1/3 loss 2.50", "Epoch 2/3 loss 1.75", "Epoch 3/3"]
        yield server


@pytest.fixture
def settings(fake: FakeReplicate) -> Settings:
    return Settings(
        replicate_api_token="r8_test",
        replicate_base_url=fake.base_url,
        replicate_musicgen_trainer_version=TRAINER,
        replicate_owner="expertmusic",
        replicate_training_poll_interval_s=0.0,
        replicate_retry_base_delay_s=0.01,
    )


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "dataset"
    directory.mkdir()
    tone = 0.3 * np.sin(2 * np.pi * 196.0 * np.arange(32_000) / 32_000)
    for i in range(2):
        soundfile.write(directory / f"chunk_{i:04d}.wav", tone, 32_000)
        (directory / f"chunk_{i:04d}.txt").write_text("clean Telecaster guitar, 92 bpm, G major")
    return directory


def test_fine_tuning_uploads_the_zipped_dataset_and_returns_the_new_version(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    result = ReplicateBackend(settings).train(SPEC, dataset_dir, RecordedProgress())

    assert result.version.startswith("expertmusic/telecaster:")
    (creation,) = fake.requests_to("POST /v1/models/sakemin/musicgen-fine-tuner/versions/")
    assert creation.path.endswith(f"/versions/{TRAINER.split(':')[1]}/trainings")
    assert creation.body["destination"] == "expertmusic/telecaster"
    training_input = creation.body["input"]
    assert training_input["model_version"] == "melody"
    assert training_input["epochs"] == 3
    with zipfile.ZipFile(io.BytesIO(fake.uploaded_file(training_input["dataset_path"]))) as zf:
        assert sorted(zf.namelist()) == [
            "chunk_0000.txt",
            "chunk_0000.wav",
            "chunk_0001.txt",
            "chunk_0001.wav",
        ]
        assert zf.read("chunk_0000.txt") == b"clean Telecaster guitar, 92 bpm, G major"


def test_the_destination_model_is_created_private_once(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    backend = ReplicateBackend(settings)
    backend.train(SPEC, dataset_dir, RecordedProgress())
    backend.train(SPEC, dataset_dir, RecordedProgress())

    creations = [r for r in fake.requests_to("POST /v1/models") if r.path == "/v1/models"]
    (created,) = creations
    assert created.body["owner"] == "expertmusic"
    assert created.body["name"] == "telecaster"
    assert created.body["visibility"] == "private"


def test_epochs_and_loss_from_the_training_logs_become_progress(
    settings: Settings, dataset_dir: Path
) -> None:
    progress = RecordedProgress()
    ReplicateBackend(settings).train(SPEC, dataset_dir, progress)

    steps = [(r.step, r.total_steps) for r in progress.reports]
    assert (1, 3) in steps
    assert steps[-1] == (3, 3)
    assert any(r.loss == pytest.approx(1.75) for r in progress.reports)
    assert all("Replicate training" in r.message for r in progress.reports)


def test_transient_failures_are_retried(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    fake.fail_next("POST /v1/files", 503)
    fake.fail_next("GET /v1/trainings/", 502, times=2)

    result = ReplicateBackend(settings).train(SPEC, dataset_dir, RecordedProgress())

    assert result.version.startswith("expertmusic/telecaster:")
    assert len(fake.requests_to("POST /v1/files")) == 2


def test_replicate_failing_after_retries_is_unavailable_with_the_reason(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    fake.fail_next("POST /v1/models/sakemin", 503, times=settings.replicate_retry_attempts)

    with pytest.raises(UnavailableError, match=r"starting the training.*HTTP 503"):
        ReplicateBackend(settings).train(SPEC, dataset_dir, RecordedProgress())


def test_a_failed_training_fails_the_job_with_replicates_error(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    fake.training_error = "CUDA out of memory"

    with pytest.raises(PreconditionError, match="failed: CUDA out of memory"):
        ReplicateBackend(settings).train(SPEC, dataset_dir, RecordedProgress())


def test_cancelling_the_job_cancels_the_training_on_replicate(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    progress = RecordedProgress(stop_after_reports=1, stop_reason_when_stopping="cancelled")

    with pytest.raises(TrainingCancelledError):
        ReplicateBackend(settings).train(SPEC, dataset_dir, progress)

    (training,) = fake.trainings.values()
    assert training.status == "canceled"
    assert fake.requests_to(f"POST /v1/trainings/{training.id}/cancel")


def test_a_new_worker_follows_the_training_its_predecessor_started(
    fake: FakeReplicate, settings: Settings, dataset_dir: Path
) -> None:
    # The first worker shuts down mid-training: the paid training must keep running...
    progress = RecordedProgress(stop_after_reports=1, stop_reason_when_stopping="shutdown")
    with pytest.raises(TrainingCancelledError):
        ReplicateBackend(settings).train(SPEC, dataset_dir, progress)
    assert not fake.requests_to("POST /v1/trainings/")

    # ...and the worker that resumes the job follows it instead of starting another.
    progress.resume()
    result = ReplicateBackend(settings).train(SPEC, dataset_dir, progress)

    assert len(fake.trainings) == 1
    assert len(fake.requests_to("POST /v1/files")) == 1
    assert result.version.startswith("expertmusic/telecaster:")


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"replicate_api_token": ""}, "REPLICATE_API_TOKEN"),
        ({"replicate_musicgen_trainer_version": ""}, "REPLICATE_MUSICGEN_TRAINER_VERSION"),
        ({"replicate_owner": ""}, "REPLICATE_OWNER"),
    ],
)
def test_missing_configuration_is_named(
    settings: Settings, dataset_dir: Path, missing: dict[str, str], named: str
) -> None:
    incomplete = settings.model_copy(update=missing)

    with pytest.raises(PreconditionError, match=named):
        ReplicateBackend(incomplete).train(SPEC, dataset_dir, RecordedProgress())


def test_an_empty_dataset_is_refused_before_anything_is_uploaded(
    fake: FakeReplicate, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(PreconditionError, match=r"no \.wav chunks"):
        ReplicateBackend(settings).train(SPEC, tmp_path, RecordedProgress())
    assert not fake.requests_to("POST /v1/files")


def test_training_logs_are_read_for_the_latest_epoch_and_loss() -> None:
    logs = "Epoch 1/10: loss=3.2\nepoch 2 / 10 train_loss: 2.9e-1\n"
    parsed = parse_training_logs(logs)
    assert (parsed.epoch, parsed.total_epochs) == (2, 10)
    assert parsed.loss == pytest.approx(0.29)
    assert parse_training_logs("").loss != parse_training_logs("").loss  # NaN: unknown
