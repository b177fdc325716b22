"""The training worker: takes jobs from the queue and runs them on their backend.

``python -m services.trainer`` runs one worker until SIGTERM or SIGINT; run as
many as there are machines to train on, against the same database and artifact store.
For each job the worker copies the prepared dataset into a scratch directory, calls the
job's backend under a lease kept alive by a heartbeat, and settles the job:

- the backend returned: the model is registered and the job succeeds;
- it stopped because the job was cancelled: the job ends cancelled;
- it stopped because the worker is shutting down, or a dependency is unavailable: the job
  goes back to the queue, to resume from its checkpoints;
- the worker lost its lease: someone else owns the job now, nothing is written;
- anything else: the job fails, with the error as its reason.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from services.common.artifacts import ArtifactStore, artifact_store_from_settings, download_prefix
from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database
from services.common.catalogue.jobs import JobQueue, TrainingJob
from services.common.errors import PreconditionError, UnavailableError
from services.common.logs import configure_logging
from services.common.settings import Settings, get_settings
from services.trainer.backends import DEFAULT_BACKENDS, BackendRegistry, parse_backend_option
from services.trainer.base import TrainingResult, TrainingSpec
from services.trainer.progress import JobProgress, StopReason

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    """host:pid:random, unique per process so that a restarted worker is a new owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class Worker:
    def __init__(
        self,
        database: Database,
        artifacts: ArtifactStore,
        settings: Settings,
        *,
        backends: BackendRegistry | None = None,
        worker_id: str | None = None,
        scratch_dir: Path | None = None,
    ) -> None:
        """
        Args:
            settings: Lease length, poll interval, report interval, attempts (registry_*).
            backends: The backends this worker can run (default: DEFAULT_BACKENDS).
            scratch_dir: Where datasets are copied for training (default: the system's
                temporary directory).
        """
        self.worker_id = worker_id or default_worker_id()
        self._settings = settings
        self._artifacts = artifacts
        self._queue = JobQueue(database, max_attempts=settings.registry_max_attempts)
        self._datasets = DatasetRepository(database)
        self._backends = backends or BackendRegistry()
        self._scratch_dir = scratch_dir
        self._stopping = threading.Event()
        self._current: JobProgress | None = None

    def run_forever(self) -> None:
        """Claims and runs jobs until :meth:`stop` is called."""
        logger.info("worker %s waiting for training jobs", self.worker_id)
        while not self._stopping.is_set():
            try:
                job = self.run_once()
            except Exception:
                # The database or artifact store is unreachable for now: any job this
                # worker held comes back through its lease, so wait and try again.
                logger.exception("worker %s: cannot reach the queue; retrying", self.worker_id)
                job = None
            if job is None:
                self._stopping.wait(self._settings.registry_worker_poll_s)
        logger.info("worker %s stopped", self.worker_id)

    def run_once(self) -> TrainingJob | None:
        """Claims one job and runs it to its end; returns the job as it ended, or None
        when the queue was empty."""
        job = self._queue.claim(self.worker_id, self._settings.registry_lease_s)
        if job is None:
            return None
        logger.info("worker %s took job %s (attempt %d)", self.worker_id, job.id, job.attempts)
        self._run(job)
        return self._queue.get(job.id)

    def stop(self) -> None:
        """Stops after the current job hands itself back to the queue (safe from signal
        handlers and other threads)."""
        self._stopping.set()
        current = self._current
        if current is not None:
            current.request_stop(StopReason.SHUTDOWN)

    def _run(self, job: TrainingJob) -> None:
        progress = JobProgress(
            self._queue,
            self._artifacts,
            job_id=job.id,
            worker_id=self.worker_id,
            lease_s=self._settings.registry_lease_s,
            report_interval_s=self._settings.registry_progress_interval_s,
        )
        self._current = progress
        if self._stopping.is_set():
            progress.request_stop(StopReason.SHUTDOWN)
        try:
            with progress:
                result = self._train(job, progress)
        except Exception as error:
            self._settle_error(job, progress, error)
        else:
            self._settle_success(job, progress, result)
        finally:
            self._current = None

    def _train(self, job: TrainingJob, progress: JobProgress) -> TrainingResult:
        backend = self._backends.create(job.backend, self._settings, self._artifacts)
        dataset = self._datasets.get(job.dataset_id)
        spec = TrainingSpec(
            job_id=job.id,
            model_name=job.model_name,
            instrument=job.instrument,
            base_model=job.base_model,
            hyperparameters=dict(job.hyperparameters),
        )
        with tempfile.TemporaryDirectory(prefix=f"{job.id}-", dir=self._scratch_dir) as scratch:
            dataset_dir = Path(scratch) / "dataset"
            download_prefix(self._artifacts, dataset.artifact_prefix, dataset_dir)
            return backend.train(spec, dataset_dir, progress)

    def _settle_success(
        self, job: TrainingJob, progress: JobProgress, result: TrainingResult
    ) -> None:
        if progress.stop_reason is StopReason.LEASE_LOST:
            logger.warning("job %s finished after its lease was lost; result dropped", job.id)
            return
        metrics = ", ".join(f"{name} {value:.4g}" for name, value in sorted(result.metrics.items()))
        description = f"{job.instrument or job.model_name}, trained by job {job.id} ({job.backend})"
        try:
            self._queue.succeed(
                job.id,
                self.worker_id,
                version=result.version,
                description=f"{description}; {metrics}" if metrics else description,
            )
        except PreconditionError:
            logger.warning("job %s finished after its lease was lost; result dropped", job.id)
        else:
            logger.info("job %s succeeded: %s", job.id, result.version)

    def _settle_error(self, job: TrainingJob, progress: JobProgress, error: Exception) -> None:
        reason = progress.stop_reason
        try:
            if reason is StopReason.LEASE_LOST:
                logger.warning("job %s: lease lost, leaving it to its new owner", job.id)
            elif reason is StopReason.CANCELLED:
                self._queue.mark_cancelled(job.id, self.worker_id)
            elif reason is StopReason.SHUTDOWN:
                self._queue.release(job.id, self.worker_id, "its worker shut down")
            elif isinstance(error, UnavailableError):
                self._queue.release(job.id, self.worker_id, str(error))
            else:
                if not isinstance(error, ValueError | LookupError | PreconditionError):
                    logger.exception("job %s failed", job.id, exc_info=error)
                self._queue.fail(job.id, self.worker_id, _reason_of(error))
        except PreconditionError:
            logger.warning("job %s: lease lost while settling it", job.id)


def _reason_of(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"training failed: {text}"


def build_worker(
    settings: Settings, backend_targets: Mapping[str, str], worker_id: str | None = None
) -> Worker:
    """A worker on the configured database and artifact store (migrated if needed)."""
    database = Database.from_settings(settings)
    database.migrate()
    return Worker(
        database,
        artifact_store_from_settings(settings),
        settings,
        backends=BackendRegistry(backend_targets),
        worker_id=worker_id,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.trainer", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="NAME=MODULE:FACTORY",
        help="add or replace a training backend (repeatable)",
    )
    parser.add_argument("--worker-id", help="this worker's name in job leases")
    parser.add_argument("--once", action="store_true", help="run at most one job, then exit")
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging("trainer", settings.log_level, settings.log_format)
    targets = dict(DEFAULT_BACKENDS)
    targets.update(parse_backend_option(option) for option in args.backend)
    worker = build_worker(settings, targets, args.worker_id)

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("worker received %s, stopping", signal.Signals(signum).name)
        worker.stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if args.once:
        worker.run_once()
    else:
        worker.run_forever()


if __name__ == "__main__":
    main()
