"""Stopping work that nobody waits for any more, and limiting how much runs at once.

A caller that goes away, or whose deadline passes, cancels what it started. Servers turn
their call context into a ``threading.Event`` that is set at that moment
(``services.common.server.cancellation_of``); domain code takes that event as a plain
``cancelled`` argument, looks at it between steps (:func:`raise_if_cancelled`) and sleeps
on it (``cancelled.wait(seconds)`` wakes early when it is set). Nothing here knows gRPC.

:class:`JobSlots` caps how many costly jobs of one kind run at once in a process: the
rest wait their turn (while their caller still waits) or, when too many already wait,
are refused at once with :class:`OverloadedError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: How often a wait for a job slot looks at its caller's cancellation, in seconds.
_WAIT_CHECK_S = 0.05


class WorkCancelledError(Exception):
    """The caller cancelled, or its deadline passed, so the work stopped (CANCELLED)."""


class OverloadedError(Exception):
    """Too much work is in progress to take more now (RESOURCE_EXHAUSTED / HTTP 429).

    The one refusal for every limit on work at once (takes in a studio, crepe-full jobs
    in a pitch replica, a busy service behind the studio). ``retry_after_s``, when known,
    goes to the caller as ``retry-after`` metadata (an HTTP header through the gateway):
    when trying again is worth it.
    """

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def raise_if_cancelled(cancelled: threading.Event | None, doing: str) -> None:
    """Raise WorkCancelledError if ``cancelled`` is set.

    Args:
        cancelled: The caller's cancellation; None means the work cannot be cancelled.
        doing: What was under way, for the message and logs ("tracking pitch").
    """
    if cancelled is not None and cancelled.is_set():
        raise WorkCancelledError(f"stopped {doing}: the caller cancelled or its deadline passed")


class JobSlots:
    """At most ``max_running`` jobs at once; at most ``max_waiting`` more wait for a slot.

    Thread-safe. ``max_running`` < 1 means no limit.
    """

    def __init__(self, kind: str, max_running: int, max_waiting: int) -> None:
        self.kind = kind
        self.max_running = max_running
        self.max_waiting = max(0, max_waiting)
        self._running = 0
        self._waiting = 0
        self._changed = threading.Condition()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def slot(self, cancelled: threading.Event | None = None) -> Iterator[None]:
        """Hold a slot for the ``with`` body, waiting for one first if all are taken.

        Raises:
            OverloadedError: All slots are taken and ``max_waiting`` jobs already wait.
            WorkCancelledError: ``cancelled`` was set while waiting.
        """
        if self.max_running < 1:
            yield
            return
        self._acquire(cancelled)
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()

    def _acquire(self, cancelled: threading.Event | None) -> None:
        with self._changed:
            if self._running < self.max_running and self._waiting == 0:
                self._running += 1
                return
            if self._waiting >= self.max_waiting:
                raise OverloadedError(
                    f"too many {self.kind} jobs: {self._running} running and "
                    f"{self._waiting} waiting on this server; try again later"
                )
            self._waiting += 1
            started = time.monotonic()
            try:
                while self._running >= self.max_running:
                    raise_if_cancelled(
                        cancelled,
                        f"waiting {time.monotonic() - started:.1f} s for a {self.kind} slot",
                    )
                    self._changed.wait(_WAIT_CHECK_S)
            finally:
                self._waiting -= 1
            self._running += 1
