"""Revising a take beside making it: a 12 s real recording through the mesh.

``python -m bench.revise`` starts the mesh on free ports, makes a take from the first
12 s of a real singing recording (vocadito 1, ../shared/eval) with ``MelodyToVocals``
through Envoy, then revises it with ``ReviseTake``: one line of words replaced, and one
note moved up two semitones. Each figure is from the request until the new take's audio
is complete and stored, median of a few runs, all in the same run of the mesh.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import soundfile
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from bench.eval import eval_dir
from services.common.audio import encode_wav
from tests.support.mesh import running_mesh

RUNS = 3
CLIP_S = 12.0
UPLOAD_CHUNK_BYTES = 64 * 1024
NEW_LINES = ("over the water", "carry me home", "shadows are falling")


def real_hum() -> bytes:
    """The first 12 s of vocadito 1 as WAV."""
    samples, sample_rate_hz = soundfile.read(eval_dir() / "vocadito" / "vocadito_1.wav")
    clip = np.asarray(samples, dtype=np.float32)[: int(CLIP_S * sample_rate_hz)]
    return encode_wav(clip, sample_rate_hz)


def requests(wav: bytes, seed: int) -> Iterator[studio_pb2.MelodyToVocalsRequest]:
    yield studio_pb2.MelodyToVocalsRequest(options=studio_pb2.VocalsOptions(seed=seed))
    for start in range(0, len(wav), UPLOAD_CHUNK_BYTES):
        yield studio_pb2.MelodyToVocalsRequest(audio_chunk=wav[start : start + UPLOAD_CHUNK_BYTES])


def make_take(stub: studio_pb2_grpc.StudioServiceStub, wav: bytes, seed: int) -> studio_pb2.Take:
    take = studio_pb2.Take()
    for event in stub.MelodyToVocals(requests(wav, seed), timeout=300):
        if event.HasField("take"):
            take = event.take
    return take


def one_line_revision(take: studio_pb2.Take, run: int) -> studio_pb2.ReviseTakeRequest:
    """New words for the take's longest line, which every NEW_LINES entry fits (7 syllables
    at most: fewer syllables than notes are sung as melismas, more are refused)."""
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    longest = max(
        range(len(take.lyrics.lines)),
        key=lambda i: sum(s.note_count or 1 for s in take.lyrics.lines[i].syllables),
    )
    request.line_texts[longest] = NEW_LINES[run % len(NEW_LINES)]
    return request


def moved_note_revision(take: studio_pb2.Take) -> studio_pb2.ReviseTakeRequest:
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(take.melody)
    request.melody.notes[len(take.melody.notes) // 2].midi_pitch += 2
    return request


def measure() -> dict[str, list[float]]:
    wav = real_hum()
    figures: dict[str, list[float]] = {"full": [], "line": [], "note": []}
    with (
        tempfile.TemporaryDirectory() as data_dir,
        running_mesh(["pitch", "lyrics", "synth", "studio"], Path(data_dir)) as mesh,
        grpc.insecure_channel(mesh.gateway_target) as channel,
    ):
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        make_take(stub, wav, seed=1)  # warm-up: voices and dictionaries load on first use
        for run in range(RUNS):
            started = time.perf_counter()
            take = make_take(stub, wav, seed=2 + run)
            figures["full"].append(time.perf_counter() - started)
            for name, revision in (
                ("line", one_line_revision(take, run)),
                ("note", moved_note_revision(take)),
            ):
                started = time.perf_counter()
                stub.ReviseTake(revision, timeout=300)
                figures[name].append(time.perf_counter() - started)
    return figures


def format_table(figures: dict[str, list[float]]) -> str:
    full_s = statistics.median(figures["full"])
    rows = [
        ("melody-to-vocals (new take)", full_s),
        ("revise: one line of words replaced", statistics.median(figures["line"])),
        ("revise: one note moved up 2 semitones", statistics.median(figures["note"])),
    ]
    lines = [
        f"Median of {RUNS} runs, first {CLIP_S:g} s of vocadito 1 (real singing), local "
        "engines, gRPC through Envoy; request until the take's audio is stored.\n",
        "| job | seconds | share of the new take's time |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {seconds:.3f} | {seconds / full_s:.0%} |" for name, seconds in rows]
    return "\n".join(lines)


def main() -> None:
    print("## Revising a take\n")
    print(format_table(measure()))


if __name__ == "__main__":
    main()
