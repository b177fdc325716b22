"""A smoke run of ``make load`` on the test mesh: takes at once and /health, no errors."""

from __future__ import annotations

from bench.load import run_load
from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh


def test_a_small_load_has_no_errors_and_every_take_is_complete(mesh: Mesh) -> None:
    hum = encode(synthesize_hum(hum_notes([60, 64, 67, 72, 67, 64]), 16_000), 16_000, "wav")
    report = run_load(mesh.base_url, hum, takes=3, health_requests=100, health_concurrency=8)
    assert [call.status for call in report.takes] == [200, 200, 200]
    assert report.takes_incomplete == []
    assert {call.status for call in report.health} == {200}
    assert report.passed
