"""Takes in progress: a few at once, a bounded queue in arrival order, the rest refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from services.common.cancellation import OverloadedError
from services.studio.admission import TakeAdmission


def forever() -> float | None:
    return None


def present() -> bool:
    return True


class Take(threading.Thread):
    """A take that holds its slot until released; records when it got in."""

    def __init__(
        self,
        admission: TakeAdmission,
        name: str,
        entered: list[str],
        time_remaining_s: Callable[[], float | None] = forever,
        caller_active: Callable[[], bool] = present,
    ) -> None:
        super().__init__(name=name)
        self.admission = admission
        self.entered = entered
        self.release = threading.Event()
        self.time_remaining_s = time_remaining_s
        self.caller_active = caller_active
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.admission.slot(self.time_remaining_s, self.caller_active):
                self.entered.append(self.name)
                self.release.wait(10)
        except BaseException as error:
            self.error = error


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_takes_beyond_the_queue_are_refused_at_once_with_a_retry_after() -> None:
    admission = TakeAdmission(running=2, waiting=1)
    entered: list[str] = []
    takes = [Take(admission, f"take-{n}", entered) for n in range(3)]
    for take in takes:
        take.start()
    wait_for(lambda: len(entered) == 2)

    started = time.monotonic()
    with pytest.raises(OverloadedError) as refused, admission.slot(forever, present):
        pass
    assert time.monotonic() - started < 0.1
    retry_after_s = refused.value.retry_after_s
    assert retry_after_s is not None and retry_after_s >= 1
    assert "2 takes are being made and 1 wait" in str(refused.value)

    takes[0].release.set()
    wait_for(lambda: len(entered) == 3)  # the waiting take goes in
    for take in takes:
        take.release.set()
        take.join()
    assert all(take.error is None for take in takes)


def test_waiting_takes_go_in_in_the_order_they_came() -> None:
    admission = TakeAdmission(running=1, waiting=3)
    entered: list[str] = []
    first = Take(admission, "first", entered)
    first.start()
    wait_for(lambda: entered == ["first"])
    queued = []
    for name in ("second", "third", "fourth"):
        take = Take(admission, name, entered)
        take.start()
        queued.append(take)
        time.sleep(0.05)  # arrival order
    for take in (first, *queued):
        take.release.set()
        take.join()
    assert entered == ["first", "second", "third", "fourth"]


def test_a_caller_whose_deadline_passes_or_who_leaves_quits_the_queue() -> None:
    admission = TakeAdmission(running=1, waiting=2)
    entered: list[str] = []
    holder = Take(admission, "holder", entered)
    holder.start()
    wait_for(lambda: entered == ["holder"])
    deadline = time.monotonic() + 0.3
    late = Take(admission, "late", entered, time_remaining_s=lambda: deadline - time.monotonic())
    gone = threading.Event()
    leaver = Take(admission, "leaver", entered, caller_active=lambda: not gone.is_set())
    late.start()
    leaver.start()
    gone.set()
    late.join(5)
    leaver.join(5)
    assert isinstance(late.error, TimeoutError)
    assert "queue" in str(late.error)
    assert isinstance(leaver.error, ConnectionAbortedError)
    # Their places are free again.
    holder.release.set()
    holder.join()
    with admission.slot(forever, present):
        pass


def test_the_retry_after_follows_the_pace_of_recent_takes() -> None:
    admission = TakeAdmission(running=1, waiting=0)
    for _ in range(20):
        with admission.slot(forever, present):
            time.sleep(0.01)
    assert admission.retry_after_s() == 1  # takes of 10 ms: try again in a second
