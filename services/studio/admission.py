"""How many takes a studio works on at once, how many may wait, and refusing the rest.

A take holds pitch, lyrics and synth for a second or more of CPU each. Beyond a few at
once they only slow each other down (and the services' own concurrency limits would start
refusing calls in the middle of takes), so the studio runs at most ``running`` takes and
lets at most ``waiting`` more queue, in arrival order. A take that finds the queue full is
refused at once with :class:`OverloadedError` (RESOURCE_EXHAUSTED, HTTP 429) and the
seconds after which trying again is worth it; the queue never grows without bound, and a
caller never waits for a timeout to learn that the studio is full.

A caller whose deadline passes, or who goes away, while waiting leaves the queue.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge

from services.common.cancellation import OverloadedError

TAKES_IN_PROGRESS = Gauge(
    "studio_takes_in_progress",
    "Takes the studio is working on (running) or holding in its queue (waiting).",
    ["state"],
)
TAKES_REFUSED = Counter(
    "studio_takes_refused_total", "Takes refused because the studio's queue was full."
)
#: How often a waiting take checks its caller's deadline and connection, in seconds.
WAIT_CHECK_S = 0.1
#: The first estimate of a take's length, before any has finished, in seconds.
FIRST_TAKE_ESTIMATE_S = 5.0
#: Weight of the newest take in the running estimate of a take's length.
ESTIMATE_WEIGHT = 0.2


class TakeAdmission:
    """At most ``running`` takes at once, ``waiting`` more queued, the rest refused."""

    def __init__(self, running: int, waiting: int) -> None:
        if running < 1 or waiting < 0:
            raise ValueError(f"need running >= 1 and waiting >= 0, got {running}, {waiting}")
        self._capacity = running
        self._limit = running + waiting
        self._lock = threading.Condition()
        self._running = 0
        self._queue: list[object] = []  # tickets, first come first served
        self._take_s = FIRST_TAKE_ESTIMATE_S

    def retry_after_s(self) -> int:
        """Whole seconds until a place is likely free: the takes ahead, at the recent pace."""
        with self._lock:
            return self._retry_after_locked()

    @contextmanager
    def slot(
        self,
        time_remaining_s: Callable[[], float | None],
        caller_active: Callable[[], bool],
    ) -> Iterator[None]:
        """Holds a place for one take while the block runs.

        Raises:
            OverloadedError: ``running`` takes run and ``waiting`` wait already.
            TimeoutError: the caller's deadline passed in the queue.
            ConnectionAbortedError: the caller went away while waiting.
        """
        ticket = object()
        with self._lock:
            if self._running + len(self._queue) >= self._limit:
                TAKES_REFUSED.inc()
                raise OverloadedError(
                    f"the studio is busy: {self._running} takes are being made and"
                    f" {len(self._queue)} wait; try again in a few seconds",
                    retry_after_s=self._retry_after_locked(),
                )
            self._queue.append(ticket)
            self._publish()
            waited_since = time.monotonic()
            try:
                while self._queue[0] is not ticket or self._running >= self._capacity:
                    remaining_s = time_remaining_s()
                    if remaining_s is not None and remaining_s <= 0:
                        raise TimeoutError(
                            f"the take waited {time.monotonic() - waited_since:.0f} s in the"
                            " studio's queue and the caller's deadline passed"
                        )
                    if not caller_active():
                        raise ConnectionAbortedError("the caller left the studio's queue")
                    self._lock.wait(WAIT_CHECK_S)
            finally:
                self._queue.remove(ticket)
                self._lock.notify_all()
                self._publish()
            self._running += 1
            self._publish()
        started = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._take_s += ESTIMATE_WEIGHT * (time.monotonic() - started - self._take_s)
                self._lock.notify_all()
                self._publish()

    def _retry_after_locked(self) -> int:
        ahead = self._running + len(self._queue) - self._capacity + 1
        return max(1, math.ceil(self._take_s * max(ahead, 1) / self._capacity))

    def _publish(self) -> None:
        TAKES_IN_PROGRESS.labels("running").set(self._running)
        TAKES_IN_PROGRESS.labels("waiting").set(len(self._queue))
