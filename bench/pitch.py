"""Pitch speed: seconds and x realtime per engine, on a synthesized hum and on real singing.

``python -m bench.pitch`` starts its own mesh (pitch + studio + Envoy) on free ports and
measures each engine as a library call and through REST, on the synthesized hums and the
real clips of bench.recordings in the same run; then sends every field input through REST
and prints what came back.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.recordings import Recording, field_inputs, real_clips, real_singing, synthetic_hum
from services.common.audio import decode_audio
from services.pitch.melody import extract_melody
from tests.support.mesh import running_mesh

#: engine -> synthesized hum lengths it is measured on; every engine also gets the real
#: 12 s clip, swift and crepe-tiny every real clip (crepe-full takes seconds per second).
SYNTHETIC_DURATIONS_S: dict[str, tuple[float, ...]] = {
    "swift": (10.0, 60.0),
    "crepe-tiny": (10.0, 60.0),
    "crepe-full": (10.0,),
}


@dataclass(frozen=True)
class SpeedRow:
    engine: str
    recording: str
    audio_s: float
    path: str  # "library" or "REST"
    seconds: float

    @property
    def times_realtime(self) -> float:
        return self.audio_s / self.seconds


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


def rest_extract(base_url: str, wav: bytes, engine: str) -> tuple[int, dict]:
    """POST /v1/melody:extract; the HTTP status and the JSON answer."""
    request = urllib.request.Request(
        f"{base_url}/v1/melody:extract?engine={engine}",
        data=wav,
        headers={"Content-Type": "audio/wav"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def recordings_for(engine: str) -> list[Recording]:
    synthetic = [synthetic_hum(d) for d in SYNTHETIC_DURATIONS_S[engine]]
    if engine == "crepe-full":
        real = [clip for clip in [real_singing()] if clip is not None]
    else:
        real = real_clips()
    return synthetic + real


def measure(base_url: str) -> list[SpeedRow]:
    rows: list[SpeedRow] = []
    for engine in SYNTHETIC_DURATIONS_S:
        for recording in recordings_for(engine):
            repeats = 5 if engine == "swift" else 1
            for path, run in (
                ("library", lambda: library_call(recording.wav, engine)),  # noqa: B023
                ("REST", lambda: rest_extract(base_url, recording.wav, engine)),  # noqa: B023
            ):
                seconds = median_seconds(run, repeats)
                rows.append(SpeedRow(engine, recording.name, recording.duration_s, path, seconds))
    return rows


def format_table(rows: list[SpeedRow]) -> str:
    lines = [
        "| engine | recording | audio | path | seconds | x realtime |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.engine} | {row.recording} | {row.audio_s:.1f} s | {row.path} "
            f"| {row.seconds:.3f} | {row.times_realtime:.1f}x |"
        )
    return "\n".join(lines)


def field_table(base_url: str) -> str:
    """Each field input through REST (swift): status, notes, warnings, seconds."""
    lines = [
        "| field input | audio | HTTP | notes (MIDI) | warnings or error | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for recording in field_inputs():
        started = time.perf_counter()
        status, answer = rest_extract(base_url, recording.wav, "swift")
        seconds = time.perf_counter() - started
        melody = answer.get("melody", {})
        pitches = " ".join(str(note["midi_pitch"]) for note in melody.get("notes", []))
        said = "; ".join(melody.get("warnings", [])) or answer.get("message", "")
        lines.append(
            f"| {recording.name} | {recording.duration_s:.2f} s | {status} | {pitches or '-'} "
            f"| {said or '-'} | {seconds:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    print("## Pitch: speed (decode + track + notes; REST = through Envoy)\n")
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(["pitch", "studio"], Path(data_dir)) as mesh,
    ):
        print(format_table(measure(mesh.base_url)))
        print("\n## Pitch: the field inputs through REST (swift)\n")
        print(field_table(mesh.base_url))


if __name__ == "__main__":
    main()
