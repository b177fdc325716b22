"""Pitch speed: seconds and x realtime per engine, as a library call and through REST.

``python -m bench.pitch`` starts its own mesh (pitch + studio + Envoy) on free ports.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.common.audio import decode_audio, encode_wav
from services.pitch.melody import extract_melody
from tests.support.hums import HumNote, synthesize_hum
from tests.support.mesh import running_mesh

SAMPLE_RATE_HZ = 22_050
#: engine -> input lengths it is measured on (crepe-full is ~0.2x realtime on 2 cores).
ENGINE_DURATIONS_S: dict[str, tuple[float, ...]] = {
    "swift": (10.0, 60.0),
    "crepe-tiny": (10.0, 60.0),
    "crepe-full": (10.0,),
}


@dataclass(frozen=True)
class SpeedRow:
    engine: str
    audio_s: float
    path: str  # "library" or "REST"
    seconds: float

    @property
    def times_realtime(self) -> float:
        return self.audio_s / self.seconds


def random_melody_hum(duration_s: float, seed: int = 7) -> bytes:
    """A hummed random walk in C major with phrase breaks, as a WAV file."""
    rng = np.random.default_rng(seed)
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74]
    notes: list[HumNote] = []
    onset_s, degree = 0.2, 4
    while onset_s < duration_s - 0.6:
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, len(scale) - 1))
        note_s = float(rng.choice([0.25, 0.4, 0.5, 0.8]))
        notes.append(HumNote(scale[degree], onset_s, note_s))
        onset_s += note_s + (0.5 if rng.random() < 0.12 else 0.03)
    samples = synthesize_hum(notes, SAMPLE_RATE_HZ)
    padded = np.zeros(int(duration_s * SAMPLE_RATE_HZ), dtype=np.float32)
    padded[: min(len(samples), len(padded))] = samples[: len(padded)]
    return encode_wav(padded, SAMPLE_RATE_HZ)


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: model loading is not what we measure
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def library_call(wav: bytes, engine: str) -> None:
    audio = decode_audio(wav)
    extract_melody(audio.samples, audio.sample_rate_hz, engine=engine)


def rest_call(base_url: str, wav: bytes, engine: str) -> None:
    request = urllib.request.Request(
        f"{base_url}/v1/melody:extract?engine={engine}",
        data=wav,
        headers={"Content-Type": "audio/wav"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as reply:
        reply.read()


def measure() -> list[SpeedRow]:
    rows: list[SpeedRow] = []
    hums = {
        duration_s: random_melody_hum(duration_s)
        for duration_s in sorted({d for ds in ENGINE_DURATIONS_S.values() for d in ds})
    }
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(["pitch", "studio"], Path(data_dir)) as mesh,
    ):
        for engine, durations_s in ENGINE_DURATIONS_S.items():
            for duration_s in durations_s:
                wav = hums[duration_s]
                repeats = 5 if engine == "swift" else 1
                rows.append(
                    SpeedRow(
                        engine,
                        duration_s,
                        "library",
                        median_seconds(lambda: library_call(wav, engine), repeats),  # noqa: B023
                    )
                )
                rows.append(
                    SpeedRow(
                        engine,
                        duration_s,
                        "REST",
                        median_seconds(lambda: rest_call(mesh.base_url, wav, engine), repeats),  # noqa: B023
                    )
                )
    return rows


def format_table(rows: list[SpeedRow]) -> str:
    lines = [
        "| engine | audio | path | seconds | x realtime |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.engine} | {row.audio_s:.0f} s | {row.path} | {row.seconds:.3f} "
            f"| {row.times_realtime:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    print("## Pitch: speed (decode + track + notes; REST = through Envoy)\n")
    print(format_table(measure()))


if __name__ == "__main__":
    main()
