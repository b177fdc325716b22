"""The training queue as Prometheus metrics: how many jobs wait, run, ended.

``training_jobs{status="queued"}`` is the queue's depth, read from the database at each
scrape, so every registry replica reports the same shared queue (alert on ``max``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.catalogue.jobs import JobQueue

logger = logging.getLogger(__name__)


class TrainingQueueCollector(Collector):
    """Collects ``training_jobs`` by status from a job queue (none: nothing to collect)."""

    def __init__(self) -> None:
        self.queue: JobQueue | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = self.queue
        if queue is None:
            return
        family = GaugeMetricFamily(
            "training_jobs",
            "Training jobs by status (queued = the queue's depth).",
            labels=["status"],
        )
        try:
            counts = queue.counts_by_status()
        except Exception:
            # A scrape must not fail because the database is away; the gap shows it.
            logger.warning("could not count training jobs", exc_info=True)
            return
        for status, jobs in counts.items():
            family.add_metric([status.value], jobs)
        yield family


_COLLECTOR = TrainingQueueCollector()
_REGISTERED = threading.Lock()


def expose_training_queue(queue: JobQueue) -> None:
    """Reports ``queue`` on the process's /metrics (a server started again replaces it)."""
    with _REGISTERED:
        first = _COLLECTOR.queue is None
        _COLLECTOR.queue = queue
        if first:
            REGISTRY.register(_COLLECTOR)
