"""Why a job asks its backend to stop, where the job queue's progress says so.

``TrainingProgress.should_stop()`` only says *that* a backend must stop. How to stop
depends on why: a cancelled job's remote work is cancelled too; a worker that shuts down
saves what it can so the next worker resumes; a worker that lost its lease touches
nothing more, since another worker may own the job now. The job queue's progress
(services.trainer.progress.JobProgress) exposes ``stop_reason``; any other progress is
taken to mean a cancel.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from services.trainer.base import TrainingProgress

CANCELLED = "cancelled"
LEASE_LOST = "lease_lost"
SHUTDOWN = "shutdown"


@runtime_checkable
class ReportsStopReason(Protocol):
    """A TrainingProgress that says why it wants to stop."""

    @property
    def stop_reason(self) -> str | None: ...


def stop_reason(progress: TrainingProgress) -> str:
    """CANCELLED, LEASE_LOST or SHUTDOWN; CANCELLED when ``progress`` does not say."""
    if isinstance(progress, ReportsStopReason) and progress.stop_reason is not None:
        return str(progress.stop_reason)
    return CANCELLED
