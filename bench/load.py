"""``make load``: the mesh under load, then under faults, through Envoy on loopback.

``python -m bench.load`` starts the whole mesh on free ports and sends

1. 50 melody-to-vocals takes at once, each a real 12 s recording of singing (the first
   12 s of vocadito_1 from ``shared/eval``; a synthesized hum of that length if the clip is
   absent), and checks every take is complete (its record and audio can be fetched);
2. 2,000 ``GET /health``, 32 at a time;

and prints latency percentiles and errors. ``--faults`` (the second run of ``make load``)
keeps takes and every service's own calls coming while it kills (SIGKILL) each service in
turn and waits for the supervisor to restart it: a call may fail only if it was in flight
on the killed service, and then with 503 / UNAVAILABLE naming that service; every take
made and the dataset stored before the kills must still be there afterwards.

Both runs are bounded in count and time; the exit status is 1 if a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import grpc
import numpy as np
import soundfile
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh, pid_of, running_mesh

HUM_SECONDS = 12.0
TAKES = 50
HEALTH_REQUESTS = 2000
HEALTH_CONCURRENCY = 32
TAKE_TIMEOUT_S = 300.0
#: The services the fault run kills, in this order (the gateway is the door, not a service).
SERVICES = ("pitch", "lyrics", "synth", "registry", "studio")
#: Which services a call of the fault run's mix passes through.
CALL_PATHS = {
    "take": ("studio", "pitch", "lyrics", "synth"),
    "extract": ("pitch",),
    "lyrics providers": ("lyrics",),
    "voices": ("synth",),
    "models": ("registry",),
}


# ---- one call ----


@dataclass
class Call:
    """What one request did: when (s since the run began), its status and its answer."""

    kind: str
    started_s: float
    ended_s: float = 0.0
    status: int = 0  # 0: no HTTP answer at all (connection failed or timed out)
    message: str = ""
    take_id: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def duration_s(self) -> float:
        return self.ended_s - self.started_s


class Client:
    """HTTP/1.1 with one kept-alive connection per thread, like a pool of real clients."""

    def __init__(self, base_url: str, started: float) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = threading.local()
        self.started = started

    def _connection(self, timeout_s: float) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)
            self._local.connection = connection
        connection.timeout = timeout_s
        if connection.sock is not None:  # a kept-alive socket keeps its first timeout
            connection.sock.settimeout(timeout_s)
        return connection

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "",
        timeout_s: float = 30.0,
    ) -> tuple[Call, bytes]:
        call = Call(kind, time.monotonic() - self.started)
        headers = {"Content-Type": content_type} if content_type else {}
        answer = b""
        try:
            connection = self._connection(timeout_s)
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            answer = reply.read()
            call.status = reply.status
            if not call.ok:
                call.message = _message_of(answer)
        except (OSError, http.client.HTTPException) as error:
            self._local.connection = None
            call.message = f"{error.__class__.__name__}: {error}"
        call.ended_s = time.monotonic() - self.started
        return call, answer


def _message_of(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return answer[:300].decode(errors="replace")


def post_take(client: Client, wav: bytes) -> Call:
    call, answer = client.call(
        "take", "POST", "/melody-to-vocals", wav, "audio/wav", timeout_s=TAKE_TIMEOUT_S
    )
    if call.ok:
        call.take_id = json.loads(answer)["take_id"]
    return call


def take_is_complete(client: Client, take_id: str) -> bool:
    """Its record and its audio can be fetched."""
    record, _ = client.call("check", "GET", f"/v1/takes/{take_id}")
    audio, data = client.call("check", "GET", f"/v1/takes/{take_id}/audio")
    return record.ok and audio.ok and len(data) > 44


# ---- the recording ----


def real_hum(seconds: float = HUM_SECONDS) -> tuple[bytes, str]:
    """The first ``seconds`` of a real singing recording as WAV, and where it came from."""
    from bench.eval import eval_dir  # here: it imports the pitch engines, heavy to load

    clip = eval_dir() / "vocadito" / "vocadito_1.wav"
    if clip.exists():
        samples, sample_rate_hz = soundfile.read(clip, dtype="int16", frames=int(44_100 * seconds))
        source = f"{clip.name}, first {seconds:.0f} s ({sample_rate_hz} Hz, real singing)"
    else:
        sample_rate_hz = 16_000
        count = int(seconds / 0.5)
        audio = synthesize_hum(hum_notes([60 + (n * 5) % 12 for n in range(count)]), sample_rate_hz)
        samples = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        source = f"a synthesized {seconds:.0f} s hum ({clip} is absent)"
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate_hz, format="WAV", subtype="PCM_16")
    return buffer.getvalue(), source


# ---- run 1: load ----


@dataclass
class LoadReport:
    takes: list[Call]
    health: list[Call]
    takes_incomplete: list[str]
    takes_wall_s: float
    health_wall_s: float

    @property
    def errors(self) -> list[Call]:
        return [call for call in (*self.takes, *self.health) if not call.ok]

    @property
    def passed(self) -> bool:
        return not self.errors and not self.takes_incomplete


def percentiles_s(calls: list[Call]) -> tuple[float, float, float]:
    durations = sorted(call.duration_s for call in calls)
    if len(durations) < 2:
        value = durations[0] if durations else float("nan")
        return value, value, value
    cuts = statistics.quantiles(durations, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def run_load(
    base_url: str,
    wav: bytes,
    takes: int = TAKES,
    health_requests: int = HEALTH_REQUESTS,
    health_concurrency: int = HEALTH_CONCURRENCY,
) -> LoadReport:
    """``takes`` takes all at once, then ``health_requests`` GET /health; every take checked."""
    client = Client(base_url, time.monotonic())
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=takes) as pool:
        take_calls = list(pool.map(lambda _: post_take(client, wav), range(takes)))
    takes_wall_s = time.monotonic() - started
    incomplete = [
        call.take_id
        for call in take_calls
        if call.ok and not take_is_complete(client, call.take_id)
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=health_concurrency) as pool:
        health_calls = list(
            pool.map(lambda _: client.call("health", "GET", "/health")[0], range(health_requests))
        )
    return LoadReport(
        take_calls, health_calls, incomplete, takes_wall_s, time.monotonic() - started
    )


def print_load_report(report: LoadReport, source: str) -> None:
    print(f"Recording: {source}")
    print("\n| calls | count | wall s | p50 s | p95 s | p99 s | errors |")
    print("|---|---|---|---|---|---|---|")
    for name, calls, wall_s in (
        (f"melody-to-vocals, {len(report.takes)} at once", report.takes, report.takes_wall_s),
        ("GET /health", report.health, report.health_wall_s),
    ):
        p50, p95, p99 = percentiles_s(calls)
        errors = sum(not call.ok for call in calls)
        timings = f"{wall_s:.1f} | {p50:.3f} | {p95:.3f} | {p99:.3f}"
        print(f"| {name} | {len(calls)} | {timings} | {errors} |")
    complete = sum(call.ok for call in report.takes) - len(report.takes_incomplete)
    print(f"\nTakes complete (record and audio fetched): {complete} of {len(report.takes)}")
    for call in report.errors[:10]:
        print(f"  error: {call.kind} -> {call.status} {call.message}")


# ---- run 2: faults ----


@dataclass
class Kill:
    service: str
    at_s: float
    back_after_s: float = float("inf")

    @property
    def down_until_s(self) -> float:
        return self.at_s + self.back_after_s


@dataclass
class FaultReport:
    calls: list[Call]
    kills: list[Kill]
    lost: list[str] = field(default_factory=list)

    def kills_during(self, call: Call) -> list[Kill]:
        """Kills of services on this call's path while it was under way: the service died
        while the call was in flight, or the call came while it was down."""
        return [
            kill
            for kill in self.kills
            if kill.service in CALL_PATHS[call.kind]
            and call.started_s < kill.down_until_s
            and call.ended_s > kill.at_s
        ]

    def failures(self) -> tuple[dict[str, list[Call]], list[Call]]:
        """Failures a kill explains (503 naming a service that died or was down while the
        call was under way), by service; and every other failure."""
        explained: dict[str, list[Call]] = {kill.service: [] for kill in self.kills}
        unexplained = []
        for call in self.calls:
            if call.ok:
                continue
            named = [kill for kill in self.kills_during(call) if kill.service in call.message]
            if named and call.status == 503:
                explained[named[0].service].append(call)
            else:
                unexplained.append(call)
        return explained, unexplained

    @property
    def passed(self) -> bool:
        return not self.failures()[1] and not self.lost


def _serving(stub: health_pb2_grpc.HealthStub, service: str) -> bool:
    name = f"expertmusic.{service}.v1.{service.capitalize()}Service"
    try:
        response = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)
    except grpc.RpcError:
        return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def _wait_for(
    stub: health_pb2_grpc.HealthStub, service: str, serving: bool, timeout_s: float
) -> bool:
    """Until the gateway's health shows ``service`` (not) serving; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _serving(stub, service) == serving:
            return True
        time.sleep(0.05)
    return False


def run_faults(mesh: Mesh, wav: bytes, workers: int = 6, steady_s: float = 4.0) -> FaultReport:
    """Kills each service in turn under a steady mix of calls; checks what was stored."""
    client = Client(mesh.base_url, time.monotonic())
    extract_wav, _ = real_hum(4.0)  # plenty for the pitch service alone
    dataset, answer = client.call(
        "dataset",
        "POST",
        "/v1/datasets?name=load-test&instrument=voice",
        extract_wav,
        "audio/wav",
        timeout_s=TAKE_TIMEOUT_S,
    )
    if not dataset.ok:
        raise RuntimeError(f"could not store a dataset before the kills: {dataset.message}")
    dataset_id = json.loads(answer)["dataset"]["id"]

    calls: list[Call] = []
    stop = threading.Event()
    mix: list[Callable[[], Call]] = [
        lambda: post_take(client, wav),
        lambda: client.call("extract", "POST", "/v1/melody:extract", extract_wav, "audio/wav")[0],
        lambda: client.call("lyrics providers", "GET", "/v1/lyrics/providers")[0],
        lambda: client.call("voices", "GET", "/v1/voices")[0],
        lambda: client.call("models", "GET", "/v1/models")[0],
    ]

    def keep_calling(worker: int) -> None:
        turn = worker
        while not stop.is_set():
            calls.append(mix[turn % len(mix)]())
            turn += 1

    kills: list[Kill] = []
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        grpc.insecure_channel(mesh.gateway_target) as channel,
    ):
        stub = health_pb2_grpc.HealthStub(channel)
        for worker in range(workers):
            pool.submit(keep_calling, worker)
        time.sleep(steady_s)
        for service in SERVICES:
            kill = Kill(service, time.monotonic() - client.started)
            os.kill(pid_of(f"services.{service}", mesh), signal.SIGKILL)
            kills.append(kill)
            _wait_for(stub, service, serving=False, timeout_s=5)
            if _wait_for(stub, service, serving=True, timeout_s=60):
                kill.back_after_s = time.monotonic() - client.started - kill.at_s
            time.sleep(steady_s)
        stop.set()

    report = FaultReport(calls, kills)
    for call in calls:
        if call.kind == "take" and call.ok and not take_is_complete(client, call.take_id):
            report.lost.append(f"take {call.take_id}")
    if not client.call("check", "GET", f"/v1/datasets/{dataset_id}")[0].ok:
        report.lost.append(f"dataset {dataset_id}")
    return report


def print_fault_report(report: FaultReport) -> None:
    explained, unexplained = report.failures()
    print(
        "\n| killed (-9) | at s | back after s | calls in flight then | of which failed"
        " | came while down, failed |"
    )
    print("|---|---|---|---|---|---|")
    for kill in report.kills:
        in_flight = [
            call
            for call in report.calls
            if kill.service in CALL_PATHS[call.kind] and call.started_s < kill.at_s < call.ended_s
        ]
        failed_in_flight = [call for call in explained[kill.service] if call.started_s < kill.at_s]
        failed_later = len(explained[kill.service]) - len(failed_in_flight)
        print(
            f"| {kill.service} | {kill.at_s:.1f} | {kill.back_after_s:.1f} | {len(in_flight)} |"
            f" {len(failed_in_flight)} | {failed_later} |"
        )
    ok = sum(call.ok for call in report.calls)
    takes = [call for call in report.calls if call.kind == "take"]
    print(
        f"\nCalls: {len(report.calls)}, succeeded {ok}; takes {len(takes)}, succeeded"
        f" {sum(call.ok for call in takes)}. Failures not explained by a kill: {len(unexplained)}."
    )
    kinds: dict[tuple[str, int, str], list[Call]] = {}
    for call in unexplained:
        kinds.setdefault((call.kind, call.status, call.message[:70]), []).append(call)
    for (kind, status, message), calls in sorted(kinds.items(), key=lambda item: -len(item[1])):
        first = calls[0]
        print(
            f"  unexplained: {len(calls)} x {kind} -> {status} {message}"
            f" (first at {first.started_s:.1f}-{first.ended_s:.1f} s)"
        )
    for kill in report.kills:
        for call in explained[kill.service][:1]:
            print(f"  e.g. {kill.service} killed: {call.kind} -> {call.status} {call.message}")
    print(f"Stored before or during the kills and lost: {len(report.lost)} {report.lost[:5]}")


# ---- make load ----


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faults", action="store_true", help="the second run: kill each service")
    parser.add_argument("--takes", type=int, default=TAKES)
    parser.add_argument("--health", type=int, default=HEALTH_REQUESTS)
    arguments = parser.parse_args(argv)
    wav, source = real_hum()
    load = os.getloadavg()[0]
    print(f"# make load{' --faults' if arguments.faults else ''}\n")
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start; mesh on loopback.\n")
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(list(SERVICES), Path(data_dir)) as mesh,
    ):
        if arguments.faults:
            print(f"Recording: {source}")
            fault_report = run_faults(mesh, wav)
            print_fault_report(fault_report)
            return 0 if fault_report.passed else 1
        load_report = run_load(mesh.base_url, wav, arguments.takes, arguments.health)
        print_load_report(load_report, source)
        return 0 if load_report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
