"""The training job queue: durable jobs in the registry's database, taken by workers
under leases.

A job's life::

    queued ──claim──▶ running ──▶ succeeded | failed | cancelled
      ▲                  │
      └── lease expired ─┘   (attempts < max_attempts; else failed with the reason)

A worker claims the oldest queued job and holds it under a lease (``lease_owner``,
``lease_expires_at``) that it renews while training (a heartbeat). When a worker dies, its
lease runs out and the job goes back to the queue, to resume from its last checkpoint on
another worker; after ``max_attempts`` claims it fails with a reason instead, so no job
stays "running" for ever. Claiming is atomic: ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL lets several workers claim at once without waiting on each other, and SQLite's
single writer (every transaction starts with BEGIN IMMEDIATE) makes the same UPDATE atomic
there. Every state change and progress report is also appended to ``job_events``.

Times are Unix seconds from the workers' clocks, which are assumed to agree to well
within a lease (NTP); ``clock`` is injectable for that reason and for tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from services.common.catalogue.db import Database, Row, Transaction
from services.common.catalogue.models import Engine, ModelKind, ModelRepository
from services.common.catalogue.validation import (
    DATASET_ID_PREFIX,
    JOB_ID_PREFIX,
    new_id,
    validate_id,
    validate_name,
    validate_text,
)
from services.common.errors import InvalidInputError, NotFoundError, PreconditionError

#: The serialized hyper-parameters may be at most this long, in bytes of JSON.
MAX_HYPERPARAMETERS_BYTES = 4096
MAX_LISTED_JOBS = 1000


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class TrainingJob:
    id: str
    dataset_id: str
    #: The name the trained model is registered under.
    model_name: str
    #: A base model's name ("melody") or "" when the backend trains from scratch.
    base_model: str
    instrument: str
    #: The training backend's name ("local", "replicate").
    backend: str
    hyperparameters: dict[str, Any]
    status: JobStatus
    step: int
    total_steps: int
    loss: float | None
    #: The latest word on the job: progress text, or why it failed.
    message: str
    cancel_requested: bool
    lease_owner: str | None
    lease_expires_at: datetime | None
    #: How many times a worker claimed the job.
    attempts: int
    max_attempts: int
    #: The model registered when the job succeeded.
    result_model_id: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class JobEvent:
    """One entry of a job's history: a state change or a progress report."""

    job_id: str
    #: 1, 2, 3... per job, in order.
    seq: int
    created_at: datetime
    status: JobStatus
    step: int
    total_steps: int
    loss: float | None
    message: str


@dataclass(frozen=True)
class LeaseState:
    """What a worker learns when it renews its lease or reports progress."""

    #: False when the job is no longer this worker's (lease lost, job finished elsewhere).
    held: bool
    cancel_requested: bool


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _job_from_row(row: Row) -> TrainingJob:
    return TrainingJob(
        id=row["id"],
        dataset_id=row["dataset_id"],
        model_name=row["model_name"],
        base_model=row["base_model"],
        instrument=row["instrument"],
        backend=row["backend"],
        hyperparameters=json.loads(row["hyperparameters"]),
        status=JobStatus(row["status"]),
        step=int(row["step"]),
        total_steps=int(row["total_steps"]),
        loss=None if row["loss"] is None else float(row["loss"]),
        message=row["message"],
        cancel_requested=bool(row["cancel_requested"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=_time(row["lease_expires_at"]),
        attempts=int(row["attempts"]),
        max_attempts=int(row["max_attempts"]),
        result_model_id=row["result_model_id"],
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        updated_at=datetime.fromtimestamp(row["updated_at"], UTC),
        started_at=_time(row["started_at"]),
        finished_at=_time(row["finished_at"]),
    )


def _event_from_row(row: Row) -> JobEvent:
    return JobEvent(
        job_id=row["job_id"],
        seq=int(row["seq"]),
        created_at=datetime.fromtimestamp(row["created_at"], UTC),
        status=JobStatus(row["status"]),
        step=int(row["step"]),
        total_steps=int(row["total_steps"]),
        loss=None if row["loss"] is None else float(row["loss"]),
        message=row["message"],
    )


#: The training backends the trainer runs (``services.trainer.backends``); the registry
#: queues jobs only for these names.
TRAINING_BACKENDS: tuple[str, ...] = ("local", "replicate")


def engine_of_backend(backend: str) -> Engine:
    """Where a model trained by ``backend`` runs."""
    return Engine.REPLICATE if backend == Engine.REPLICATE.value else Engine.LOCAL


def validate_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Flat JSON: string keys, number/string/bool values, at most 4 KiB serialized."""
    checked: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidInputError(f"hyper-parameter names must be identifiers, got {key!r}")
        if isinstance(value, float) and value != value:  # NaN cannot be stored as JSON
            raise InvalidInputError(f"hyper-parameter {key!r} is NaN")
        if not isinstance(value, bool | int | float | str):
            raise InvalidInputError(
                f"hyper-parameter {key!r} must be a number, string or boolean, "
                f"got {type(value).__name__}"
            )
        checked[key] = value
    if len(json.dumps(checked)) > MAX_HYPERPARAMETERS_BYTES:
        raise InvalidInputError(f"the hyper-parameters exceed {MAX_HYPERPARAMETERS_BYTES} bytes")
    return checked


class JobQueue:
    """Submits, lists, cancels and hands out training jobs."""

    def __init__(
        self,
        database: Database,
        *,
        max_attempts: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        Args:
            database: The registry's database, migrated.
            max_attempts: Claims a job gets before a lost lease fails it.
            clock: Unix time in seconds.
        """
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self._database = database
        self._models = ModelRepository(database)
        self._max_attempts = max_attempts
        self._clock = clock

    # --- callers (the registry service) ---------------------------------------------

    def submit(
        self,
        *,
        dataset_id: str,
        model_name: str,
        backend: str,
        base_model: str = "",
        instrument: str = "",
        hyperparameters: Mapping[str, Any] | None = None,
    ) -> TrainingJob:
        """Queues a job after checking what it refers to.

        Raises:
            InvalidInputError: A malformed name, a base model's name as model_name, an
                unknown base model, or bad hyper-parameters.
            NotFoundError: No such dataset.
            PreconditionError: Another job is already queued or running for model_name.
        """
        validate_id(dataset_id, DATASET_ID_PREFIX, "dataset")
        validate_name(model_name, "model name")
        validate_name(backend, "backend")
        if base_model:
            validate_name(base_model, "base model")
        instrument = validate_text(instrument, "instrument", max_length=200)
        parameters_json = json.dumps(validate_hyperparameters(hyperparameters or {}))
        job_id = new_id(JOB_ID_PREFIX)
        now = self._clock()
        with self._database.transaction() as tx:
            if tx.fetch_one("SELECT id FROM datasets WHERE id = ?", (dataset_id,)) is None:
                raise NotFoundError(f"no dataset with id {dataset_id!r}")
            taken = tx.fetch_one("SELECT kind FROM models WHERE name = ?", (model_name,))
            if taken is not None and taken["kind"] == ModelKind.BASE.value:
                raise InvalidInputError(f"{model_name!r} is a base model's name; choose another")
            if base_model and not tx.fetch_one(
                "SELECT id FROM models WHERE name = ? AND kind = ?",
                (base_model, ModelKind.BASE.value),
            ):
                raise InvalidInputError(f"unknown base model {base_model!r}")
            active = tx.fetch_one(
                "SELECT id FROM training_jobs WHERE model_name = ? AND status IN (?, ?)",
                (model_name, JobStatus.QUEUED.value, JobStatus.RUNNING.value),
            )
            if active is not None:
                raise PreconditionError(
                    f"job {active['id']} is already training {model_name!r}; "
                    "wait for it or cancel it first"
                )
            tx.execute(
                "INSERT INTO training_jobs (id, dataset_id, model_name, base_model, instrument,"
                " backend, hyperparameters, status, message, max_attempts, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    dataset_id,
                    model_name,
                    base_model,
                    instrument,
                    backend,
                    parameters_json,
                    JobStatus.QUEUED.value,
                    "waiting for a worker",
                    self._max_attempts,
                    now,
                    now,
                ),
            )
            self._add_event(tx, job_id, now)
        return self.get(job_id)

    def get(self, job_id: str) -> TrainingJob:
        validate_id(job_id, JOB_ID_PREFIX, "training job")
        self.requeue_expired()
        with self._database.transaction(readonly=True) as tx:
            row = tx.fetch_one("SELECT * FROM training_jobs WHERE id = ?", (job_id,))
        if row is None:
            raise NotFoundError(f"no training job with id {job_id!r}")
        return _job_from_row(row)

    def list_jobs(
        self, status: JobStatus | None = None, limit: int = MAX_LISTED_JOBS
    ) -> list[TrainingJob]:
        """Jobs, newest first, optionally of one status."""
        self.requeue_expired()
        limit = max(1, min(limit, MAX_LISTED_JOBS))
        sql = "SELECT * FROM training_jobs"
        params: list[Any] = []
        if status is not None:
            sql += " WHERE status = ?"
            params.append(status.value)
        with self._database.transaction(readonly=True) as tx:
            rows = tx.fetch_all(sql + " ORDER BY created_at DESC, id LIMIT ?", (*params, limit))
        return [_job_from_row(row) for row in rows]

    def counts_by_status(self) -> dict[JobStatus, int]:
        """How many jobs are in each status now (every status present, 0 if none)."""
        self.requeue_expired()
        with self._database.transaction(readonly=True) as tx:
            rows = tx.fetch_all(
                "SELECT status, COUNT(*) AS jobs FROM training_jobs GROUP BY status"
            )
        counts = dict.fromkeys(JobStatus, 0)
        for row in rows:
            counts[JobStatus(row["status"])] = int(row["jobs"])
        return counts

    def events(self, job_id: str, after_seq: int = 0) -> list[JobEvent]:
        """The job's history after event ``after_seq``, oldest first."""
        validate_id(job_id, JOB_ID_PREFIX, "training job")
        with self._database.transaction(readonly=True) as tx:
            rows = tx.fetch_all(
                "SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq",
                (job_id, after_seq),
            )
        return [_event_from_row(row) for row in rows]

    def cancel(self, job_id: str) -> TrainingJob:
        """Cancels a job: a queued one at once; a running one is asked to stop (its worker
        sees ``cancel_requested`` at its next heartbeat and marks it cancelled). Cancelling
        a cancelled job changes nothing; a finished one cannot be cancelled."""
        job = self.get(job_id)
        now = self._clock()
        with self._database.transaction() as tx:
            changed = tx.execute(
                "UPDATE training_jobs SET status = ?, message = ?, finished_at = ?,"
                " updated_at = ? WHERE id = ? AND status = ?",
                (
                    JobStatus.CANCELLED.value,
                    "cancelled before it started",
                    now,
                    now,
                    job_id,
                    JobStatus.QUEUED.value,
                ),
            ) or tx.execute(
                "UPDATE training_jobs SET cancel_requested = 1, message = ?, updated_at = ?"
                " WHERE id = ? AND status = ? AND cancel_requested = 0",
                (
                    "cancel requested; waiting for the worker to stop",
                    now,
                    job_id,
                    JobStatus.RUNNING.value,
                ),
            )
            if changed:
                self._add_event(tx, job_id, now)
        job = self.get(job_id)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            raise PreconditionError(f"job {job_id} already {job.status.value}; nothing to cancel")
        return job

    def watch(
        self,
        job_id: str,
        *,
        poll_interval_s: float = 0.5,
        is_active: Callable[[], bool] = lambda: True,
    ) -> Iterator[TrainingJob]:
        """Yields the job now and after every change, until it finishes (the last one
        yielded is terminal) or ``is_active()`` turns false (the watcher left)."""
        last_seen: tuple[Any, ...] | None = None
        while is_active():
            job = self.get(job_id)
            state = (job.status, job.step, job.total_steps, job.loss, job.message)
            if state != last_seen:
                last_seen = state
                yield job
            if job.status.is_terminal:
                return
            time.sleep(poll_interval_s)

    # --- workers -------------------------------------------------------------------

    def claim(self, worker_id: str, lease_s: float) -> TrainingJob | None:
        """Takes the oldest queued job for ``worker_id`` under a lease of ``lease_s``
        seconds, or returns None when there is none."""
        self.requeue_expired()
        now = self._clock()
        # PostgreSQL: lock the chosen row and skip rows other workers are claiming now.
        # SQLite: the transaction already holds the database's only write lock.
        lock_clause = " FOR UPDATE SKIP LOCKED" if self._database.dialect == "postgresql" else ""
        with self._database.transaction() as tx:
            row = tx.fetch_one(
                "UPDATE training_jobs SET status = ?, lease_owner = ?, lease_expires_at = ?,"
                " attempts = attempts + 1, started_at = COALESCE(started_at, ?),"
                " updated_at = ?, message = CASE WHEN attempts > 0"
                " THEN 'resumed by another worker' ELSE 'started' END"
                " WHERE id = (SELECT id FROM training_jobs WHERE status = ?"
                f" ORDER BY created_at, id LIMIT 1{lock_clause})"
                # Checked again on the row itself: never take a job another worker holds.
                " AND status = ?"
                " RETURNING *",
                (
                    JobStatus.RUNNING.value,
                    worker_id,
                    now + lease_s,
                    now,
                    now,
                    JobStatus.QUEUED.value,
                    JobStatus.QUEUED.value,
                ),
            )
            if row is not None:
                self._add_event(tx, row["id"], now)
        return None if row is None else _job_from_row(row)

    def renew_lease(self, job_id: str, worker_id: str, lease_s: float) -> LeaseState:
        """Extends the worker's lease by ``lease_s`` seconds from now, if it still holds it."""
        now = self._clock()
        with self._database.transaction() as tx:
            row = tx.fetch_one(
                "UPDATE training_jobs SET lease_expires_at = ?, updated_at = ?"
                " WHERE id = ? AND lease_owner = ? AND status = ? RETURNING cancel_requested",
                (now + lease_s, now, job_id, worker_id, JobStatus.RUNNING.value),
            )
        if row is None:
            return LeaseState(held=False, cancel_requested=False)
        return LeaseState(held=True, cancel_requested=bool(row["cancel_requested"]))

    def report_progress(
        self,
        job_id: str,
        worker_id: str,
        *,
        step: int,
        total_steps: int,
        loss: float,
        message: str = "",
    ) -> LeaseState:
        """Records a step (and an event) if the worker still holds the job."""
        now = self._clock()
        stored_loss = loss if loss == loss else None  # NaN: "no loss yet"
        with self._database.transaction() as tx:
            row = tx.fetch_one(
                "UPDATE training_jobs SET step = ?, total_steps = ?, loss = ?, message = ?,"
                " updated_at = ? WHERE id = ? AND lease_owner = ? AND status = ?"
                " RETURNING cancel_requested",
                (
                    max(0, step),
                    max(0, total_steps),
                    stored_loss,
                    message[:1000],
                    now,
                    job_id,
                    worker_id,
                    JobStatus.RUNNING.value,
                ),
            )
            if row is None:
                return LeaseState(held=False, cancel_requested=False)
            self._add_event(tx, job_id, now)
        return LeaseState(held=True, cancel_requested=bool(row["cancel_requested"]))

    def succeed(
        self,
        job_id: str,
        worker_id: str,
        *,
        version: str,
        engine: Engine | None = None,
        description: str = "",
    ) -> TrainingJob:
        """Registers the trained model (name, version, lineage) and finishes the job, in one
        transaction. Raises PreconditionError when the worker no longer holds the job.

        ``engine`` defaults to the one the job's backend implies: Replicate models for the
        "replicate" backend, local models (files in the artifact store) for any other.
        """
        now = self._clock()
        with self._database.transaction() as tx:
            row = self._owned_row(tx, job_id, worker_id)
            model_id = self._models.register_fine_tuned(
                tx,
                name=row["model_name"],
                engine=engine or engine_of_backend(row["backend"]),
                version=version,
                instrument=row["instrument"],
                description=description,
                dataset_id=row["dataset_id"],
                job_id=job_id,
            )
            self._finish(tx, job_id, JobStatus.SUCCEEDED, f"registered as {version}", now, model_id)
        return self.get(job_id)

    def fail(self, job_id: str, worker_id: str, reason: str) -> None:
        """Finishes the job as failed with ``reason`` (shown to the person who asked)."""
        now = self._clock()
        with self._database.transaction() as tx:
            self._owned_row(tx, job_id, worker_id)
            self._finish(tx, job_id, JobStatus.FAILED, reason, now)

    def mark_cancelled(self, job_id: str, worker_id: str) -> None:
        """Finishes a running job whose cancellation the worker honoured."""
        now = self._clock()
        with self._database.transaction() as tx:
            self._owned_row(tx, job_id, worker_id)
            self._finish(tx, job_id, JobStatus.CANCELLED, "cancelled while training", now)

    def release(self, job_id: str, worker_id: str, reason: str) -> TrainingJob:
        """Gives a job back to the queue (worker shutting down, a dependency unavailable):
        another worker resumes it, unless it has used all its attempts, then it fails."""
        now = self._clock()
        with self._database.transaction() as tx:
            row = self._owned_row(tx, job_id, worker_id)
            if row["attempts"] >= row["max_attempts"]:
                self._finish(
                    tx,
                    job_id,
                    JobStatus.FAILED,
                    f"{reason} (after {row['attempts']} attempts)",
                    now,
                )
            else:
                tx.execute(
                    "UPDATE training_jobs SET status = ?, lease_owner = NULL,"
                    " lease_expires_at = NULL, message = ?, updated_at = ? WHERE id = ?",
                    (JobStatus.QUEUED.value, f"requeued: {reason}", now, job_id),
                )
                self._add_event(tx, job_id, now)
        return self.get(job_id)

    def requeue_expired(self) -> int:
        """Settles running jobs whose lease ran out: cancelled if a cancel was pending,
        failed after ``max_attempts`` claims, else queued again. Returns how many.

        Workers call this before claiming, and reads call it too, so a job whose worker
        died shows as queued (or failed) even while no other worker runs.
        """
        now = self._clock()
        with self._database.transaction(readonly=True) as tx:
            # The common case, nothing expired, costs one read and no write lock.
            if not tx.fetch_one(
                "SELECT id FROM training_jobs WHERE status = ? AND lease_expires_at < ? LIMIT 1",
                (JobStatus.RUNNING.value, now),
            ):
                return 0
        settled = 0
        with self._database.transaction() as tx:
            expired = tx.fetch_all(
                "SELECT id, attempts, max_attempts, cancel_requested FROM training_jobs"
                " WHERE status = ? AND lease_expires_at < ?",
                (JobStatus.RUNNING.value, now),
            )
            for row in expired:
                if row["cancel_requested"]:
                    status, message = JobStatus.CANCELLED, "cancelled (its worker stopped)"
                elif row["attempts"] >= row["max_attempts"]:
                    status = JobStatus.FAILED
                    message = (
                        f"its worker stopped responding {row['attempts']} times "
                        "(lease expired); giving up"
                    )
                else:
                    status = JobStatus.QUEUED
                    message = "its worker stopped responding (lease expired); requeued"
                # Re-checking the lease in the UPDATE keeps a concurrent renewal safe.
                changed = tx.execute(
                    "UPDATE training_jobs SET status = ?, message = ?, lease_owner = NULL,"
                    " lease_expires_at = NULL, updated_at = ?, finished_at = ?"
                    " WHERE id = ? AND status = ? AND lease_expires_at < ?",
                    (
                        status.value,
                        message,
                        now,
                        now if status.is_terminal else None,
                        row["id"],
                        JobStatus.RUNNING.value,
                        now,
                    ),
                )
                if changed:
                    self._add_event(tx, row["id"], now)
                    settled += 1
        return settled

    # --- helpers -------------------------------------------------------------------

    def _owned_row(self, tx: Transaction, job_id: str, worker_id: str) -> Row:
        row = tx.fetch_one(
            "SELECT * FROM training_jobs WHERE id = ? AND lease_owner = ? AND status = ?",
            (job_id, worker_id, JobStatus.RUNNING.value),
        )
        if row is None:
            raise PreconditionError(f"worker {worker_id} no longer holds job {job_id}")
        return row

    def _finish(
        self,
        tx: Transaction,
        job_id: str,
        status: JobStatus,
        message: str,
        now: float,
        result_model_id: str | None = None,
    ) -> None:
        tx.execute(
            "UPDATE training_jobs SET status = ?, message = ?, lease_owner = NULL,"
            " lease_expires_at = NULL, finished_at = ?, updated_at = ?,"
            " result_model_id = COALESCE(?, result_model_id) WHERE id = ?",
            (status.value, message[:1000], now, now, result_model_id, job_id),
        )
        self._add_event(tx, job_id, now)

    @staticmethod
    def _add_event(tx: Transaction, job_id: str, now: float) -> None:
        # Called after the job's row was written in the same transaction: that row lock
        # serializes writers of one job, so MAX(seq) + 1 cannot collide.
        tx.execute(
            "INSERT INTO job_events (job_id, seq, created_at, status, step, total_steps, loss,"
            " message) SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events"
            " WHERE job_id = ?), ?, status, step, total_steps, loss, message"
            " FROM training_jobs WHERE id = ?",
            (job_id, now, job_id),
        )
