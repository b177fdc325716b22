"""Training workers: real workers (threads here, processes for crashes) running a small
real backend of the TrainingBackend contract, on SQLite and on PostgreSQL.

The counting backend "trains" by counting steps: it sleeps a little per step, reports
each step, saves its step as a checkpoint every few steps, resumes from that checkpoint,
and writes a trace of every step it ran so the tests can see who ran what.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.common.artifacts import ArtifactStore, LocalArtifactStore
from services.common.catalogue.datasets import DatasetRepository, dataset_prefix
from services.common.catalogue.db import Database
from services.common.catalogue.jobs import JobQueue, JobStatus, TrainingJob
from services.common.catalogue.models import ModelRepository
from services.common.settings import Settings
from services.trainer.backends import BackendRegistry
from services.trainer.base import (
    TrainingCancelledError,
    TrainingProgress,
    TrainingResult,
    TrainingSpec,
)
from services.trainer.worker import Worker

REPO_ROOT = Path(__file__).resolve().parents[2]
# Short for quick crash recovery, long enough that a loaded machine cannot starve the
# heartbeat (every LEASE_S / 3) into losing a lease.
LEASE_S = 1.5


class CountingBackend:
    """Counts to hyperparameters["total_steps"], resumable from its checkpoint."""

    name = "counting"

    def __init__(self, artifacts: ArtifactStore) -> None:
        self._artifacts = artifacts

    def train(
        self, spec: TrainingSpec, dataset_dir: Path, progress: TrainingProgress
    ) -> TrainingResult:
        total_steps = int(spec.hyperparameters["total_steps"])
        step_s = float(spec.hyperparameters.get("step_s", 0.0))
        checkpoint_every = int(spec.hyperparameters.get("checkpoint_every", 5))
        if spec.hyperparameters.get("fail_with"):
            raise ValueError(spec.hyperparameters["fail_with"])
        captions = sorted(path.name for path in dataset_dir.glob("*.txt"))
        saved = progress.load_checkpoint("state.json")
        first_step = json.loads(saved)["step"] + 1 if saved else 1
        trace_prefix = f"traces/{spec.job_id}/{os.getpid()}-{threading.get_ident()}"
        for step in range(first_step, total_steps + 1):
            if progress.should_stop():
                raise TrainingCancelledError(spec.job_id)
            time.sleep(step_s)
            self._artifacts.put(f"{trace_prefix}/step_{step:04d}", b"")
            progress.report(step, total_steps, loss=1.0 / step, message=f"counted {step}")
            if step % checkpoint_every == 0:
                progress.save_checkpoint("state.json", json.dumps({"step": step}).encode())
        version = f"models/{spec.model_name}/{spec.job_id}/"
        self._artifacts.put(f"{version}model.json", json.dumps({"captions": captions}).encode())
        return TrainingResult(version, [f"{version}model.json"], {"loss": 1.0 / total_steps})


def create_counting_backend(settings: Settings, artifacts: ArtifactStore) -> CountingBackend:
    """The factory a worker process loads with --backend counting=<this module>:..."""
    return CountingBackend(artifacts)


def steps_run(artifacts: ArtifactStore, job_id: str) -> dict[str, list[int]]:
    """Which steps each runner (process-thread) ran, from the backend's trace."""
    runs: dict[str, list[int]] = {}
    for info in artifacts.list(f"traces/{job_id}/"):
        runner, step_name = info.key.split("/")[2:4]
        runs.setdefault(runner, []).append(int(step_name.removeprefix("step_")))
    return runs


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(0.05)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def artifacts(data_dir: Path) -> LocalArtifactStore:
    # Where settings.data_dir puts it, so that worker processes share it.
    return LocalArtifactStore(data_dir / "artifacts")


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url if database_url.startswith("postgresql") else "",
        registry_lease_s=LEASE_S,
        registry_max_attempts=3,
        registry_worker_poll_s=0.05,
        registry_progress_interval_s=0.0,
        log_format="text",
    )


@pytest.fixture
def worker_database(settings: Settings) -> Iterator[Database]:
    # The database workers built from `settings` use: the SQLite file lives in data_dir.
    database = Database.from_settings(settings)
    database.migrate()
    yield database
    database.close()


@pytest.fixture
def queue(worker_database: Database) -> JobQueue:
    return JobQueue(worker_database, max_attempts=3)


@pytest.fixture
def training_dataset_id(worker_database: Database, artifacts: ArtifactStore) -> str:
    dataset_id = "ds_counting"
    for index in range(2):
        artifacts.put(f"{dataset_prefix(dataset_id)}chunk_{index:04d}.wav", b"RIFF")
        artifacts.put(f"{dataset_prefix(dataset_id)}chunk_{index:04d}.txt", b"twangy guitar")
    DatasetRepository(worker_database).add(
        dataset_id=dataset_id,
        name="counting",
        instrument="counter",
        caption="",
        chunk_count=2,
        total_duration_s=60.0,
        sample_rate_hz=32000,
        source_filename="count.zip",
    )
    return dataset_id


def make_worker(
    worker_database: Database, artifacts: ArtifactStore, settings: Settings, worker_id: str
) -> Worker:
    backends = BackendRegistry({"counting": f"{__name__}:create_counting_backend"})
    return Worker(worker_database, artifacts, settings, backends=backends, worker_id=worker_id)


def submit_counting(
    queue: JobQueue, dataset_id: str, model_name: str = "counter", **hyperparameters: object
) -> str:
    job = queue.submit(
        dataset_id=dataset_id,
        model_name=model_name,
        backend="counting",
        instrument="counter",
        hyperparameters={"total_steps": 20, **hyperparameters},
    )
    return job.id


def run_in_thread(worker: Worker) -> tuple[threading.Thread, list[TrainingJob | None]]:
    result: list[TrainingJob | None] = []
    thread = threading.Thread(target=lambda: result.append(worker.run_once()))
    thread.start()
    return thread, result


def test_a_job_runs_to_a_registered_model(
    worker_database: Database,
    artifacts: ArtifactStore,
    settings: Settings,
    queue: JobQueue,
    training_dataset_id: str,
) -> None:
    job_id = submit_counting(queue, training_dataset_id)
    worker = make_worker(worker_database, artifacts, settings, "worker-a")
    job = worker.run_once()
    assert job is not None and job.id == job_id
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert (job.step, job.total_steps, job.loss) == (20, 20, pytest.approx(0.05))
    model = ModelRepository(worker_database).get_by_name("counter")
    assert model.version == f"models/counter/{job_id}/" and model.job_id == job_id
    assert "loss 0.05" in model.description
    # The backend saw the prepared dataset, copied from the artifact store.
    saved = json.loads(artifacts.get(f"{model.version}model.json"))
    assert saved["captions"] == ["chunk_0000.txt", "chunk_0001.txt"]
    assert artifacts.exists(f"jobs/{job_id}/checkpoints/state.json")
    assert worker.run_once() is None


def test_a_backend_error_fails_the_job_with_its_reason(
    worker_database: Database,
    artifacts: ArtifactStore,
    settings: Settings,
    queue: JobQueue,
    training_dataset_id: str,
) -> None:
    submit_counting(queue, training_dataset_id, fail_with="no pitched notes in the dataset")
    job = make_worker(worker_database, artifacts, settings, "worker-a").run_once()
    assert job is not None and job.status is JobStatus.FAILED
    assert job.message == "training failed: no pitched notes in the dataset"


def test_an_unknown_backend_fails_the_job_clearly(
    worker_database: Database,
    artifacts: ArtifactStore,
    settings: Settings,
    queue: JobQueue,
    training_dataset_id: str,
) -> None:
    queue.submit(dataset_id=training_dataset_id, model_name="x", backend="nonexistent")
    job = make_worker(worker_database, artifacts, settings, "worker-a").run_once()
    assert job is not None and job.status is JobStatus.FAILED
    assert "unknown training backend 'nonexistent'" in job.message


def test_cancelling_a_running_job_stops_its_worker(
    worker_database: Database,
    artifacts: ArtifactStore,
    settings: Settings,
    queue: JobQueue,
    training_dataset_id: str,
) -> None:
    job_id = submit_counting(queue, training_dataset_id, total_steps=10_000, step_s=0.01)
    thread, result = run_in_thread(make_worker(worker_database, artifacts, settings, "worker-a"))
    wait_for(lambda: queue.get(job_id).step >= 3)
    queue.cancel(job_id)
    thread.join(timeout=10)
    assert not thread.is_alive()
    job = result[0]
    assert job is not None and job.status is JobStatus.CANCELLED
    assert job.step < 10_000
    assert ModelRepository(worker_database).summary().fine_tuned == {}


def test_a_stopping_worker_hands_its_job_to_the_next_one(
    worker_database: Database,
    artifacts: ArtifactStore,
    settings: Settings,
    queue: JobQueue,
    training_dataset_id: str,
) -> None:
    job_id = submit_counting(queue, training_dataset_id, total_steps=40, step_s=0.01)
    first = make_worker(worker_database, artifacts, settings, "worker-a")
    thread, result = run_in_thread(first)
    wait_for(lambda: artifacts.exists(f"jobs/{job_id}/checkpoints/state.json"))
    first.stop()
    thread.join(timeout=10)
    assert result[0] is not None and result[0].status is JobStatus.QUEUED
    checkpoint_at_stop = json.loads(artifacts.get(f"jobs/{job_id}/checkpoints/state.json"))

    job = make_worker(worker_database, artifacts, settings, "worker-b").run_once()
    assert job is not None and job.status is JobStatus.SUCCEEDED and job.attempts == 2
    (first_run, second_run) = sorted(steps_run(artifacts, job_id).values(), key=min)
    assert first_run[-1] < 40
    assert second_run[0] == checkpoint_at_stop["step"] + 1, "resumes from the checkpoint"
    assert second_run[-1] == 40


# --- worker processes ---------------------------------------------------------------


def start_worker_process(settings: Settings, worker_id: str) -> subprocess.Popen[bytes]:
    """``python -m services.trainer.worker`` with the counting backend; logs to data_dir."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "REGISTRY_LEASE_S": str(LEASE_S),
        "REGISTRY_WORKER_POLL_S": "0.05",
        "REGISTRY_PROGRESS_INTERVAL_S": "0",
        "LOG_FORMAT": "text",
    }
    with (settings.data_dir / f"{worker_id}.log").open("wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.trainer.worker",
                "--worker-id",
                worker_id,
                "--backend",
                f"counting={__name__}:create_counting_backend",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_job_survives_its_worker_being_killed(
    settings: Settings, queue: JobQueue, artifacts: ArtifactStore, training_dataset_id: str
) -> None:
    job_id = submit_counting(
        queue, training_dataset_id, total_steps=60, step_s=0.02, checkpoint_every=5
    )
    doomed = start_worker_process(settings, "doomed")
    try:
        wait_for(lambda: queue.get(job_id).step >= 12)
        doomed.kill()  # SIGKILL: no cleanup, the lease is simply never renewed again
        doomed.wait()
    finally:
        stop_process(doomed)
    assert queue.get(job_id).status is JobStatus.RUNNING
    checkpoint = json.loads(artifacts.get(f"jobs/{job_id}/checkpoints/state.json"))

    survivor = start_worker_process(settings, "survivor")
    try:
        wait_for(lambda: queue.get(job_id).status.is_terminal)
    finally:
        stop_process(survivor)
    job = queue.get(job_id)
    assert job.status is JobStatus.SUCCEEDED, job.message
    assert job.attempts == 2
    (first_run, second_run) = sorted(steps_run(artifacts, job_id).values(), key=min)
    assert first_run[0] == 1
    # Resumed after the last checkpoint saved before the crash, not from step 1.
    assert checkpoint["step"] >= 10
    assert second_run[0] == checkpoint["step"] + 1
    assert second_run[-1] == 60


def test_two_worker_processes_never_run_the_same_job(
    settings: Settings, queue: JobQueue, artifacts: ArtifactStore, training_dataset_id: str
) -> None:
    job_ids = [
        submit_counting(queue, training_dataset_id, f"model_{n}", total_steps=5, step_s=0.02)
        for n in range(6)
    ]
    workers = [start_worker_process(settings, f"worker-{n}") for n in range(2)]
    try:
        wait_for(lambda: all(queue.get(job_id).status.is_terminal for job_id in job_ids))
    finally:
        for worker in workers:
            stop_process(worker)
    runners: set[str] = set()
    for job_id in job_ids:
        job = queue.get(job_id)
        assert job.status is JobStatus.SUCCEEDED and job.attempts == 1
        runs = steps_run(artifacts, job_id)
        assert len(runs) == 1, f"{job_id} ran on {sorted(runs)}"
        assert next(iter(runs.values())) == [1, 2, 3, 4, 5]
        runners.update(runs)
    assert len(runners) == 2, "both workers should have taken jobs"
