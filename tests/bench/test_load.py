"""``make load``'s bookkeeping: percentiles, and which failures a killed service explains."""

from __future__ import annotations

import pytest

from bench.load import Call, FaultReport, Kill, percentiles_s


def call(kind: str, started_s: float, ended_s: float, status: int = 200, message: str = "") -> Call:
    return Call(kind, started_s, ended_s, status, message)


def test_percentiles_are_of_the_durations() -> None:
    calls = [call("health", 0.0, duration / 100) for duration in range(1, 101)]
    p50, p95, p99 = percentiles_s(calls)
    assert p50 == pytest.approx(0.505)
    assert p95 == pytest.approx(0.9505)
    assert p99 == pytest.approx(0.9901)


def test_only_calls_in_flight_on_the_killed_service_may_fail_and_must_name_it() -> None:
    kills = [Kill("pitch", at_s=10.0, back_after_s=0.4), Kill("synth", at_s=20.0)]
    unavailable = "the pitch service is unavailable (UNAVAILABLE: Socket closed)"
    calls = [
        call("take", 9.0, 11.0, 503, unavailable),  # in flight through pitch: explained
        call("extract", 9.5, 10.5, 503, "the pitch service is unavailable (reset)"),  # same
        call("voices", 9.5, 10.5, 503, "the synth service is unavailable"),  # synth alive then
        call("extract", 10.5, 11.0, 503, "the pitch service is unavailable"),  # pitch was back
        call("take", 19.0, 21.0, 500, "internal error"),  # in flight, but not a 503
        call("models", 19.0, 21.0, 200),
        # Through both kills, failed on the second: synth explains it, pitch does not.
        call("take", 9.0, 20.5, 503, "the synth service is unavailable (Socket closed)"),
        # Came while pitch was down and waited in vain: explained too.
        call("extract", 10.2, 10.3, 503, "the pitch service is unavailable (refused)"),
    ]
    explained, unexplained = FaultReport(calls, kills).failures()
    assert explained == {"pitch": [calls[0], calls[1], calls[7]], "synth": [calls[6]]}
    assert unexplained == [calls[2], calls[3], calls[4]]
    assert not FaultReport(calls, kills).passed
    assert FaultReport(calls[:2] + calls[5:], kills).passed


def test_anything_stored_and_lost_fails_the_run() -> None:
    report = FaultReport([call("take", 0.0, 1.0)], [Kill("studio", 5.0)], lost=["take 12ab"])
    assert not report.passed
