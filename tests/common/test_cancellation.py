"""Work stops when its caller leaves, and costly jobs take turns: cancellation and job slots."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from services.common.cancellation import (
    JobSlots,
    OverloadedError,
    WorkCancelledError,
    raise_if_cancelled,
)
from services.common.errors import status_for
from services.common.server import cancellation_of


def test_raise_if_cancelled_names_what_was_stopped() -> None:
    raise_if_cancelled(None, "anything")
    cancelled = threading.Event()
    raise_if_cancelled(cancelled, "tracking pitch")

    cancelled.set()
    with pytest.raises(WorkCancelledError, match="stopped tracking pitch"):
        raise_if_cancelled(cancelled, "tracking pitch")


def test_cancelled_work_and_full_slots_have_their_own_statuses() -> None:
    assert status_for(WorkCancelledError("x")) is grpc.StatusCode.CANCELLED
    assert status_for(OverloadedError("x")) is grpc.StatusCode.RESOURCE_EXHAUSTED


def _hold(slots: JobSlots, release: threading.Event, started: threading.Event) -> None:
    with slots.slot():
        started.set()
        release.wait(5)


def test_slots_run_so_many_at_once_and_the_next_waits_its_turn() -> None:
    slots = JobSlots("crepe-full", max_running=1, max_waiting=1)
    release, started = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(slots, release, started))
    holder.start()
    started.wait(5)

    order: list[str] = []

    def second() -> None:
        with slots.slot():
            order.append("second ran")

    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.2)
    assert (slots.running, slots.waiting, order) == (1, 1, [])
    release.set()
    waiter.join(5)
    holder.join(5)
    assert order == ["second ran"]
    assert (slots.running, slots.waiting) == (0, 0)


def test_slots_refuse_a_job_when_too_many_wait_already() -> None:
    slots = JobSlots("crepe-full", max_running=1, max_waiting=0)
    release, started = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(slots, release, started))
    holder.start()
    started.wait(5)
    try:
        with (
            pytest.raises(OverloadedError, match="too many crepe-full jobs: 1 running"),
            slots.slot(),
        ):
            pass
    finally:
        release.set()
        holder.join(5)


def test_a_job_whose_caller_leaves_stops_waiting_for_a_slot() -> None:
    slots = JobSlots("crepe-full", max_running=1, max_waiting=4)
    release, started = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(slots, release, started))
    holder.start()
    started.wait(5)
    caller_left = threading.Event()
    threading.Timer(0.1, caller_left.set).start()
    try:
        with (
            pytest.raises(WorkCancelledError, match=r"waiting .* for a crepe-full slot"),
            slots.slot(caller_left),
        ):
            pass
        assert slots.waiting == 0
    finally:
        release.set()
        holder.join(5)


def test_no_limit_when_at_once_is_zero() -> None:
    slots = JobSlots("swift", max_running=0, max_waiting=0)
    with slots.slot(), slots.slot():
        assert slots.running == 0


# ---- a gRPC call's end reaches the work it started ----


@pytest.fixture
def slow_server() -> Iterator[tuple[grpc.Channel, list[threading.Event]]]:
    """A server whose one method works (up to 5 s) until its cancellation is set."""
    seen: list[threading.Event] = []

    def work(request: bytes, context: grpc.ServicerContext) -> bytes:
        cancelled = cancellation_of(context)
        seen.append(cancelled)
        cancelled.wait(5)
        return b"done"

    server = grpc.server(futures.ThreadPoolExecutor(2))
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "test.Slow", {"Work": grpc.unary_unary_rpc_method_handler(work)}
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield channel, seen
    channel.close()
    server.stop(0)


def _call(channel: grpc.Channel) -> grpc.UnaryUnaryMultiCallable:
    # Raw bytes in and out: the test server's handler takes and returns bytes.
    return channel.unary_unary(
        "/test.Slow/Work", request_serializer=None, response_deserializer=None
    )


def test_a_passed_deadline_sets_the_calls_cancellation(slow_server) -> None:
    channel, seen = slow_server
    started = time.monotonic()

    with pytest.raises(grpc.RpcError) as failed:
        _call(channel)(b"", timeout=0.3)

    assert failed.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
    assert seen[0].wait(2)
    assert time.monotonic() - started < 2


def test_a_client_that_cancels_sets_the_calls_cancellation(slow_server) -> None:
    channel, seen = slow_server
    call = _call(channel).future(b"")
    deadline = time.monotonic() + 2
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)

    call.cancel()

    assert seen[0].wait(2)
