"""A leased job's side of :class:`~services.trainer.base.TrainingProgress`.

While a backend trains, :class:`JobProgress` persists its progress reports (throttled, so
a backend may report every step), renews the job's lease from a heartbeat thread, and
turns a cancel request, a lost lease or a worker shutdown into ``should_stop()``.
Checkpoints go to the artifact store under ``jobs/<job id>/checkpoints/<name>``, where a
worker that resumes the job after a crash finds them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from types import TracebackType

from services.common.artifacts import ArtifactStore, validate_key
from services.common.catalogue.jobs import JobQueue, LeaseState
from services.common.errors import InvalidInputError, NotFoundError

logger = logging.getLogger(__name__)


class StopReason(StrEnum):
    #: Someone cancelled the job: it ends cancelled.
    CANCELLED = "cancelled"
    #: Another worker may own the job now: leave it alone.
    LEASE_LOST = "lease_lost"
    #: This worker is shutting down: the job goes back to the queue.
    SHUTDOWN = "shutdown"


def checkpoint_key(job_id: str, name: str) -> str:
    """The artifact key of a job's checkpoint; ``name`` is a file name such as ``state.pt``."""
    if "/" in name:
        raise InvalidInputError(f"a checkpoint name is a file name, got {name!r}")
    return validate_key(f"jobs/{job_id}/checkpoints/{name}")


class JobProgress:
    """Progress, stop signals and checkpoints of one job held by one worker.

    Use as a context manager: entering starts the heartbeat, leaving stops it and writes
    the last progress report that throttling held back.
    """

    def __init__(
        self,
        queue: JobQueue,
        artifacts: ArtifactStore,
        *,
        job_id: str,
        worker_id: str,
        lease_s: float,
        report_interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        Args:
            lease_s: Lease length in seconds; the heartbeat renews it every third of that.
            report_interval_s: Shortest time between two persisted reports, in seconds.
        """
        self._queue = queue
        self._artifacts = artifacts
        self.job_id = job_id
        self._worker_id = worker_id
        self._lease_s = lease_s
        self._report_interval_s = report_interval_s
        self._monotonic = monotonic
        self._stop_reason: StopReason | None = None
        self._lock = threading.Lock()
        self._heartbeat_done = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._last_persisted_at: float | None = None
        self._pending: tuple[int, int, float, str] | None = None

    # --- TrainingProgress -----------------------------------------------------------

    def report(self, step: int, total_steps: int, loss: float, message: str = "") -> None:
        now = self._monotonic()
        with self._lock:
            self._pending = (step, total_steps, loss, message)
            due = (
                self._last_persisted_at is None
                or now - self._last_persisted_at >= self._report_interval_s
                or step >= total_steps
            )
        if due:
            self.flush()

    def should_stop(self) -> bool:
        return self._stop_reason is not None

    def save_checkpoint(self, name: str, data: bytes) -> None:
        self._artifacts.put(checkpoint_key(self.job_id, name), data)

    def load_checkpoint(self, name: str) -> bytes | None:
        try:
            return self._artifacts.get(checkpoint_key(self.job_id, name))
        except NotFoundError:
            return None

    # --- the worker's side ----------------------------------------------------------

    @property
    def stop_reason(self) -> StopReason | None:
        return self._stop_reason

    def request_stop(self, reason: StopReason) -> None:
        """Asks the backend to stop (the first reason given wins)."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
                logger.info("job %s: stopping (%s)", self.job_id, reason.value)

    def flush(self) -> None:
        """Persists the latest report if throttling held it back."""
        with self._lock:
            pending, self._pending = self._pending, None
            if pending is None:
                return
            self._last_persisted_at = self._monotonic()
        step, total_steps, loss, message = pending
        self._apply(
            self._queue.report_progress(
                self.job_id,
                self._worker_id,
                step=step,
                total_steps=total_steps,
                loss=loss,
                message=message,
            )
        )

    def __enter__(self) -> JobProgress:
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"lease-{self.job_id}", daemon=True
        )
        self._heartbeat.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._heartbeat_done.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._stop_reason is not StopReason.LEASE_LOST:
            self.flush()

    def _beat(self) -> None:
        interval_s = self._lease_s / 3
        while not self._heartbeat_done.wait(interval_s):
            try:
                self._apply(self._queue.renew_lease(self.job_id, self._worker_id, self._lease_s))
            except Exception:
                # A database hiccup: try again next beat; the lease has two more beats to go.
                logger.exception("job %s: lease renewal failed", self.job_id)

    def _apply(self, state: LeaseState) -> None:
        if not state.held:
            self.request_stop(StopReason.LEASE_LOST)
        elif state.cancel_requested:
            self.request_stop(StopReason.CANCELLED)
