"""Melody-to-vocals end to end: total latency and time to first audio, per stage.

``python -m bench.studio`` starts the whole mesh on free ports and sends a 10 s hum to
``MelodyToVocals`` through Envoy with the local engines (swift, local lyricist, joe).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from bench.pitch import random_melody_hum
from tests.support.mesh import running_mesh

RUNS = 5
HUM_DURATION_S = 10.0
UPLOAD_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Run:
    total_s: float
    first_audio_s: float
    stage_s: dict[str, float]


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


def measure() -> list[Run]:
    wav = random_melody_hum(HUM_DURATION_S)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(["pitch", "lyrics", "synth", "studio"], Path(data_dir)) as mesh,
        grpc.insecure_channel(mesh.gateway_target) as channel,
    ):
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        one_run(stub, wav, seed=1)  # warm-up: voices and dictionaries load on first use
        return [one_run(stub, wav, seed=seed) for seed in range(2, 2 + RUNS)]


def format_table(runs: list[Run]) -> str:
    total_s = statistics.median(run.total_s for run in runs)
    first_audio_s = statistics.median(run.first_audio_s for run in runs)
    lines = [
        f"Median of {len(runs)} runs, 10 s hum, local engines, gRPC through Envoy.\n",
        "| measure | seconds | share of total |",
        "|---|---|---|",
        f"| total (upload to stored take) | {total_s:.3f} | 100% |",
        f"| time to first audio chunk | {first_audio_s:.3f} | {first_audio_s / total_s:.0%} |",
    ]
    for stage in ("pitch", "lyrics", "synth", "store"):
        stage_s = statistics.median(run.stage_s.get(stage, 0.0) for run in runs)
        lines.append(f"| stage: {stage} | {stage_s:.3f} | {stage_s / total_s:.0%} |")
    return "\n".join(lines)


def main() -> None:
    print("## Melody-to-vocals end to end\n")
    print(format_table(measure()))


if __name__ == "__main__":
    main()
