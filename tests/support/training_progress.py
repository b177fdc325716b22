"""An in-memory TrainingProgress for backend tests: records reports, keeps checkpoints,
and stops when the test says so (like the job queue's JobProgress, without a database).

    progress = RecordedProgress(stop_after_reports=3, stop_reason="cancelled")
    with pytest.raises(TrainingCancelledError):
        backend.train(spec, dataset_dir, progress)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    step: int
    total_steps: int
    loss: float
    message: str


@dataclass
class RecordedProgress:
    #: should_stop() turns true once this many reports were made (None: never).
    stop_after_reports: int | None = None
    #: Why it stops: "cancelled", "lease_lost" or "shutdown" (as the job queue says).
    stop_reason_when_stopping: str = "cancelled"
    reports: list[Report] = field(default_factory=list)
    checkpoints: dict[str, bytes] = field(default_factory=dict)
    saved_checkpoint_names: list[str] = field(default_factory=list)

    def report(self, step: int, total_steps: int, loss: float, message: str = "") -> None:
        self.reports.append(Report(step, total_steps, loss, message))

    def should_stop(self) -> bool:
        return self.stop_reason is not None

    @property
    def stop_reason(self) -> str | None:
        if self.stop_after_reports is not None and len(self.reports) >= self.stop_after_reports:
            return self.stop_reason_when_stopping
        return None

    def save_checkpoint(self, name: str, data: bytes) -> None:
        self.checkpoints[name] = data
        self.saved_checkpoint_names.append(name)

    def load_checkpoint(self, name: str) -> bytes | None:
        return self.checkpoints.get(name)

    def resume(self) -> None:
        """Lets a later train() call run to the end, as a new worker would."""
        self.stop_after_reports = None
