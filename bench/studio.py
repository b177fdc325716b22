"""Melody-to-vocals end to end: latency, time to first audio, per stage, and throughput.

``python -m bench.studio`` starts the whole mesh on free ports and sends hums to
``MelodyToVocals`` through Envoy with the local engines (swift, local lyricist, joe): a
synthesized 10 s and 12 s hum and 12 s of real singing (bench.recordings), one at a time,
then from 4 clients at once, all in the same run so that the figures compare.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from bench.recordings import TAKE_SECONDS, Recording, real_singing, synthetic_hum
from tests.support.mesh import Mesh, pid_of, running_mesh

RUNS = 5
UPLOAD_CHUNK_BYTES = 64 * 1024
CLIENTS = 4
TAKES_PER_CLIENT = 4
#: The services whose CPU time a take is charged (Envoy's is under 1 % of it).
SERVICES = ("pitch", "lyrics", "synth", "studio")


@dataclass(frozen=True)
class Run:
    total_s: float
    first_audio_s: float
    stage_s: dict[str, float]


@dataclass(frozen=True)
class Throughput:
    recording: str
    takes: int
    errors: list[str]
    wall_s: float
    latencies_s: list[float]

    @property
    def takes_per_s(self) -> float:
        return (self.takes - len(self.errors)) / self.wall_s


def requests(wav: bytes, seed: int) -> Iterator[studio_pb2.MelodyToVocalsRequest]:
    yield studio_pb2.MelodyToVocalsRequest(options=studio_pb2.VocalsOptions(seed=seed))
    for start in range(0, len(wav), UPLOAD_CHUNK_BYTES):
        yield studio_pb2.MelodyToVocalsRequest(audio_chunk=wav[start : start + UPLOAD_CHUNK_BYTES])


def one_run(stub: studio_pb2_grpc.StudioServiceStub, wav: bytes, seed: int) -> Run:
    started = time.perf_counter()
    first_audio_s = 0.0
    take = studio_pb2.Take()
    for event in stub.MelodyToVocals(requests(wav, seed), timeout=300):
        kind = event.WhichOneof("event")
        if kind == "audio_chunk" and not first_audio_s:
            first_audio_s = time.perf_counter() - started
        elif kind == "take":
            take = event.take
    total_s = time.perf_counter() - started
    return Run(total_s, first_audio_s, dict(take.timings_s))


def concurrent_takes(stub: studio_pb2_grpc.StudioServiceStub, recording: Recording) -> Throughput:
    """CLIENTS clients, each sending TAKES_PER_CLIENT takes one after another."""
    errors: list[str] = []
    latencies_s: list[float] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        for number in range(TAKES_PER_CLIENT):
            started = time.perf_counter()
            try:
                one_run(stub, recording.wav, seed=100 + index * TAKES_PER_CLIENT + number)
            except grpc.RpcError as error:
                with lock:
                    errors.append(f"{error.code().name}: {error.details()}")  # type: ignore[attr-defined]
                continue
            with lock:
                latencies_s.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    return Throughput(recording.name, CLIENTS * TAKES_PER_CLIENT, errors, wall_s, latencies_s)


def cpu_seconds(mesh: Mesh) -> dict[str, float]:
    """CPU seconds (user + system, with the children it waited for, e.g. Festival) that
    each service's process has used so far; empty where /proc cannot be read."""
    used: dict[str, float] = {}
    for service in SERVICES:
        try:
            fields = (
                Path(f"/proc/{pid_of(f'services.{service}', mesh)}/stat")
                .read_text()
                .rsplit(")", 1)[1]
                .split()
            )
        except (LookupError, OSError):
            return {}
        # Fields 14-17 of proc(5) (utime, stime, cutime, cstime), counted after the name.
        ticks = sum(int(value) for value in fields[11:15])
        used[service] = ticks / os.sysconf("SC_CLK_TCK")
    return used


def recordings() -> list[Recording]:
    real = real_singing()
    return [synthetic_hum(10.0), synthetic_hum(TAKE_SECONDS), *([real] if real else [])]


def measure() -> tuple[dict[str, list[Run]], list[Throughput], dict[str, dict[str, float]]]:
    """Runs one at a time, throughput, and the CPU seconds per take of each service
    (by recording, over its runs one at a time)."""
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(["pitch", "lyrics", "synth", "studio"], Path(data_dir)) as mesh,
        grpc.insecure_channel(mesh.gateway_target) as channel,
    ):
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        sent = recordings()
        one_run(stub, sent[0].wav, seed=1)  # warm-up: voices and dictionaries load on first use
        runs: dict[str, list[Run]] = {}
        cpu_per_take: dict[str, dict[str, float]] = {}
        for recording in sent:
            before = cpu_seconds(mesh)
            runs[recording.name] = [
                one_run(stub, recording.wav, seed=seed) for seed in range(2, 2 + RUNS)
            ]
            after = cpu_seconds(mesh)
            if before and after:
                cpu_per_take[recording.name] = {
                    service: (after[service] - before[service]) / RUNS for service in SERVICES
                }
        throughput = [concurrent_takes(stub, recording) for recording in sent[1:]]
    return runs, throughput, cpu_per_take


def format_runs(runs: dict[str, list[Run]]) -> str:
    names = list(runs)
    lines = [
        f"Median of {RUNS} runs each, one at a time, local engines, gRPC through Envoy.\n",
        "| measure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]

    def row(label: str, value_of: object) -> str:
        cells = []
        for name in names:
            values = [value_of(run) for run in runs[name]]  # type: ignore[operator]
            total = statistics.median(run.total_s for run in runs[name])
            median = statistics.median(values)
            cells.append(f"{median:.3f} s ({median / total:.0%})")
        return f"| {label} | " + " | ".join(cells) + " |"

    lines.append(row("total (upload to stored take)", lambda run: run.total_s))
    lines.append(row("time to first audio chunk", lambda run: run.first_audio_s))
    for stage in ("pitch", "lyrics", "synth", "store"):
        lines.append(row(f"stage: {stage}", lambda run, s=stage: run.stage_s.get(s, 0.0)))
    return "\n".join(lines)


def format_cpu(cpu_per_take: dict[str, dict[str, float]]) -> str:
    """What bounds throughput: CPU seconds per take, by service; a machine of N cores
    cannot finish more than N / total takes a second."""
    if not cpu_per_take:
        return "(CPU per take not measured: /proc is not readable here)"
    names = list(cpu_per_take)
    lines = [
        "CPU seconds per take, by service (the runs one at a time; user + system, "
        "Festival's processes included):\n",
        "| service | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for service in SERVICES:
        cells = [f"{cpu_per_take[name][service]:.3f}" for name in names]
        lines.append(f"| {service} | " + " | ".join(cells) + " |")
    totals = [sum(cpu_per_take[name].values()) for name in names]
    lines.append("| **total** | " + " | ".join(f"**{total:.3f}**" for total in totals) + " |")
    cores = os.cpu_count() or 1
    bounds = " | ".join(f"{cores / total:.2f}" for total in totals)
    lines.append(f"| at most, takes a second on {cores} cores | {bounds} |")
    return "\n".join(lines)


def format_throughput(results: list[Throughput]) -> str:
    lines = [
        f"{CLIENTS} clients at once, {TAKES_PER_CLIENT} takes each, one after another.\n",
        "| recording | takes | errors | takes per second | median latency | slowest |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        median = statistics.median(result.latencies_s) if result.latencies_s else 0.0
        slowest = max(result.latencies_s, default=0.0)
        lines.append(
            f"| {result.recording} | {result.takes} | {len(result.errors)} "
            f"| {result.takes_per_s:.2f} | {median:.2f} s | {slowest:.2f} s |"
        )
    errors = sorted({e for result in results for e in result.errors})
    return "\n".join(lines + [f"\nerror: {e}" for e in errors])


def main() -> None:
    print("## Melody-to-vocals end to end\n")
    print(f"Load average {os.getloadavg()[0]:.1f} at the start of this section.\n")
    runs, throughput, cpu_per_take = measure()
    print(format_runs(runs))
    print()
    print(format_cpu(cpu_per_take))
    print()
    print(format_throughput(throughput))


if __name__ == "__main__":
    main()
