"""The training job queue: submission, leases, cancellation, expiry and concurrent claims.

Time is a clock the test moves, so lease expiry needs no sleeping.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from services.common.catalogue.db import Database
from services.common.catalogue.jobs import JobQueue, JobStatus
from services.common.catalogue.models import Engine, ModelKind, ModelRepository
from services.common.errors import InvalidInputError, NotFoundError, PreconditionError
from services.registry.metrics import TrainingQueueCollector

LEASE_S = 30.0


class ManualClock:
    """Unix time that moves only when the test says so."""

    def __init__(self, start_s: float = 1_800_000_000.0) -> None:
        self.now_s = start_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def queue(database: Database, clock: ManualClock) -> JobQueue:
    return JobQueue(database, max_attempts=2, clock=clock)


def submit(queue: JobQueue, dataset_id: str, model_name: str = "telecaster") -> str:
    job = queue.submit(
        dataset_id=dataset_id,
        model_name=model_name,
        backend="local",
        instrument="Telecaster guitar",
        hyperparameters={"steps": 200, "learning_rate": 1e-3},
    )
    return job.id


def test_a_submitted_job_waits_in_the_queue(queue: JobQueue, dataset_id: str) -> None:
    job = queue.get(submit(queue, dataset_id))
    assert job.status is JobStatus.QUEUED
    assert job.hyperparameters == {"steps": 200, "learning_rate": 1e-3}
    assert job.attempts == 0 and job.lease_owner is None
    assert [event.status for event in queue.events(job.id)] == [JobStatus.QUEUED]


def test_submission_checks_what_the_job_refers_to(queue: JobQueue, dataset_id: str) -> None:
    with pytest.raises(NotFoundError):
        queue.submit(dataset_id="ds_0000000000000000", model_name="tele", backend="local")
    with pytest.raises(InvalidInputError, match="base model"):
        queue.submit(dataset_id=dataset_id, model_name="melody", backend="local")
    with pytest.raises(InvalidInputError, match="unknown base model"):
        queue.submit(dataset_id=dataset_id, model_name="t", backend="replicate", base_model="xl")
    with pytest.raises(InvalidInputError):
        queue.submit(dataset_id=dataset_id, model_name="../../etc", backend="local")
    with pytest.raises(InvalidInputError):
        queue.submit(
            dataset_id=dataset_id, model_name="t", backend="local", hyperparameters={"x": [1]}
        )


def test_one_model_name_trains_in_one_job_at_a_time(queue: JobQueue, dataset_id: str) -> None:
    submit(queue, dataset_id)
    with pytest.raises(PreconditionError, match="already training"):
        submit(queue, dataset_id)
    submit(queue, dataset_id, model_name="metro_drums")


def test_a_worker_claims_the_oldest_job_under_a_lease(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    first = submit(queue, dataset_id, "first")
    clock.advance(1)
    submit(queue, dataset_id, "second")
    job = queue.claim("worker-a", LEASE_S)
    assert job is not None and job.id == first
    assert job.status is JobStatus.RUNNING
    assert job.lease_owner == "worker-a" and job.attempts == 1
    assert job.lease_expires_at is not None
    assert job.lease_expires_at.timestamp() == pytest.approx(clock.now_s + LEASE_S)


def test_the_queue_depth_and_running_jobs_are_counted(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    assert queue.counts_by_status() == dict.fromkeys(JobStatus, 0)
    submit(queue, dataset_id, "first")
    submit(queue, dataset_id, "second")
    queue.claim("worker-a", LEASE_S)
    counts = queue.counts_by_status()
    assert (counts[JobStatus.QUEUED], counts[JobStatus.RUNNING]) == (1, 1)
    # A worker that died hands its job back when its lease runs out.
    clock.advance(LEASE_S + 1)
    assert queue.counts_by_status()[JobStatus.QUEUED] == 2

    collector = TrainingQueueCollector()
    collector.queue = queue
    (family,) = collector.collect()
    assert family.name == "training_jobs"
    samples = {sample.labels["status"]: sample.value for sample in family.samples}
    assert samples["queued"] == 2 and samples["running"] == 0


def test_there_is_nothing_to_claim_in_an_empty_queue(queue: JobQueue) -> None:
    assert queue.claim("worker-a", LEASE_S) is None


def test_progress_is_persisted_with_its_history(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    for step, loss in [(10, 2.5), (20, 1.75)]:
        state = queue.report_progress(
            job_id, "worker-a", step=step, total_steps=100, loss=loss, message=f"step {step}"
        )
        assert state.held and not state.cancel_requested
    job = queue.get(job_id)
    assert (job.step, job.total_steps, job.loss, job.message) == (20, 100, 1.75, "step 20")
    events = queue.events(job_id)
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert [(event.status, event.step, event.loss) for event in events[2:]] == [
        (JobStatus.RUNNING, 10, 2.5),
        (JobStatus.RUNNING, 20, 1.75),
    ]
    assert [event.seq for event in queue.events(job_id, after_seq=3)] == [4]


def test_success_registers_the_model_with_its_lineage(
    queue: JobQueue, database: Database, dataset_id: str
) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    job = queue.succeed(job_id, "worker-a", version="models/telecaster/job_1/")
    assert job.status is JobStatus.SUCCEEDED and job.finished_at is not None
    assert job.lease_owner is None
    models = ModelRepository(database)
    model = models.get_by_name("telecaster")
    assert job.result_model_id == model.id
    assert (model.kind, model.engine, model.version) == (
        ModelKind.FINE_TUNED,
        Engine.LOCAL,
        "models/telecaster/job_1/",
    )
    assert (model.dataset_id, model.job_id) == (dataset_id, job_id)
    assert models.summary().fine_tuned == {"telecaster": "models/telecaster/job_1/"}


def test_training_a_name_again_replaces_its_version(
    queue: JobQueue, database: Database, dataset_id: str
) -> None:
    for version in ["v1", "v2"]:
        job_id = submit(queue, dataset_id)
        queue.claim("worker-a", LEASE_S)
        queue.succeed(job_id, "worker-a", version=version)
    models = ModelRepository(database)
    assert models.summary().fine_tuned == {"telecaster": "v2"}
    assert len(models.list_models(ModelKind.FINE_TUNED)) == 1


def test_a_failed_job_keeps_its_reason(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    queue.fail(job_id, "worker-a", "the dataset holds no pitched notes")
    job = queue.get(job_id)
    assert job.status is JobStatus.FAILED
    assert job.message == "the dataset holds no pitched notes"


def test_cancelling_a_queued_job_takes_effect_at_once(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    assert queue.cancel(job_id).status is JobStatus.CANCELLED
    assert queue.claim("worker-a", LEASE_S) is None
    assert queue.cancel(job_id).status is JobStatus.CANCELLED


def test_cancelling_a_running_job_asks_its_worker_to_stop(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    job = queue.cancel(job_id)
    assert job.status is JobStatus.RUNNING and job.cancel_requested
    assert queue.renew_lease(job_id, "worker-a", LEASE_S).cancel_requested
    queue.mark_cancelled(job_id, "worker-a")
    assert queue.get(job_id).status is JobStatus.CANCELLED


def test_a_finished_job_cannot_be_cancelled(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    queue.succeed(job_id, "worker-a", version="v1")
    with pytest.raises(PreconditionError):
        queue.cancel(job_id)


def test_an_expired_lease_puts_the_job_back_for_another_worker(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    clock.advance(LEASE_S - 1)
    assert queue.claim("worker-b", LEASE_S) is None  # still worker-a's
    clock.advance(2)
    assert queue.get(job_id).status is JobStatus.QUEUED
    job = queue.claim("worker-b", LEASE_S)
    assert job is not None and job.id == job_id
    assert job.attempts == 2 and job.lease_owner == "worker-b"
    # worker-a wakes up: it no longer holds the job and cannot finish it.
    assert not queue.report_progress(job_id, "worker-a", step=5, total_steps=9, loss=1.0).held
    assert not queue.renew_lease(job_id, "worker-a", LEASE_S).held
    with pytest.raises(PreconditionError):
        queue.succeed(job_id, "worker-a", version="stale")


def test_renewing_the_lease_keeps_the_job(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    for _ in range(5):
        clock.advance(LEASE_S * 0.5)
        assert queue.renew_lease(job_id, "worker-a", LEASE_S).held
    assert queue.claim("worker-b", LEASE_S) is None
    assert queue.get(job_id).lease_owner == "worker-a"


def test_a_job_fails_with_a_reason_after_its_last_attempt(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    job_id = submit(queue, dataset_id)
    for worker in ["worker-a", "worker-b"]:  # max_attempts=2
        assert queue.claim(worker, LEASE_S) is not None
        clock.advance(LEASE_S + 1)
    job = queue.get(job_id)
    assert job.status is JobStatus.FAILED
    assert "2 times" in job.message and "lease expired" in job.message
    assert queue.claim("worker-c", LEASE_S) is None


def test_a_cancel_pending_when_the_worker_dies_ends_cancelled(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    queue.cancel(job_id)
    clock.advance(LEASE_S + 1)
    assert queue.get(job_id).status is JobStatus.CANCELLED


def test_a_released_job_is_resumed_by_the_next_worker(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    assert queue.release(job_id, "worker-a", "worker shutting down").status is JobStatus.QUEUED
    job = queue.claim("worker-b", LEASE_S)
    assert job is not None and job.attempts == 2 and job.message == "resumed by another worker"


def test_list_shows_newest_first_and_filters_by_status(
    queue: JobQueue, dataset_id: str, clock: ManualClock
) -> None:
    older = submit(queue, dataset_id, "older")
    clock.advance(1)
    newer = submit(queue, dataset_id, "newer")
    queue.cancel(older)
    assert [job.id for job in queue.list_jobs()] == [newer, older]
    assert [job.id for job in queue.list_jobs(JobStatus.CANCELLED)] == [older]


def test_watch_yields_each_change_until_the_job_ends(queue: JobQueue, dataset_id: str) -> None:
    job_id = submit(queue, dataset_id)
    queue.claim("worker-a", LEASE_S)
    watched = queue.watch(job_id, poll_interval_s=0.01)
    assert next(watched).status is JobStatus.RUNNING
    queue.report_progress(job_id, "worker-a", step=1, total_steps=2, loss=0.5)
    assert next(watched).step == 1
    queue.succeed(job_id, "worker-a", version="v1")
    assert next(watched).status is JobStatus.SUCCEEDED
    assert list(watched) == []


def test_concurrent_workers_never_claim_the_same_job(
    database: Database, dataset_id: str, clock: ManualClock
) -> None:
    queue = JobQueue(database, clock=clock)
    job_ids = {submit(queue, dataset_id, f"model_{index}") for index in range(12)}
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(worker_id: str) -> None:
        # Each thread has its own connection (the Database opens one per thread).
        while (job := queue.claim(worker_id, LEASE_S)) is not None:
            with lock:
                claims.append((job.id, worker_id))

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed = Counter(job_id for job_id, _ in claims)
    assert set(claimed) == job_ids
    assert set(claimed.values()) == {1}
