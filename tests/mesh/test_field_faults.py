"""Real-world faults of the audio kinds, through Envoy as a user meets them.

The field inputs in ../shared/field (skipped when absent) and inputs of the same kinds
made here: stereo whose channels cancel, clips too short for a melody, notes struck again
on one pitch; and a caller who leaves, or whose time runs out, stops the work it started.
"""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import mido
import numpy as np
import pytest

from tests.support.encoding import encode
from tests.support.field import field_file
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh, pid_of
from tests.support.rest import http

SAMPLE_RATE_HZ = 22_050


def extract(mesh: Mesh, body: bytes, query: str = "") -> tuple[int, dict]:
    status, _, reply = http(
        mesh, "POST", "/v1/melody:extract" + query, body=body, headers={"Content-Type": "audio/wav"}
    )
    return status, json.loads(reply)


def take(mesh: Mesh, body: bytes, query: str = "") -> tuple[int, dict]:
    status, _, reply = http(
        mesh, "POST", "/melody-to-vocals" + query, body=body, headers={"Content-Type": "audio/wav"}
    )
    return status, json.loads(reply)


# ---- stereo that cancels ----


def test_phase_inverted_stereo_field_input_gives_its_five_notes(mesh: Mesh) -> None:
    status, answer = extract(mesh, field_file("F09_stereo_phase_inverted.wav"))

    assert status == 200, answer
    melody = answer["melody"]
    assert [n["midi_pitch"] for n in melody["notes"]] == [60, 62, 64, 67, 64]
    assert [n["onset_s"] for n in melody["notes"]] == pytest.approx(
        [0.30, 0.90, 1.50, 2.10, 2.70], abs=0.05
    )
    assert any("cancel each other out" in w for w in melody["warnings"])
    assert not any("silent" in w for w in melody["warnings"])


@pytest.mark.parametrize("file_format", ["flac", "ogg"])
def test_any_stereo_upload_in_opposite_phase_sings_its_tune(mesh: Mesh, file_format: str) -> None:
    hum = synthesize_hum(hum_notes([57, 62, 65]), SAMPLE_RATE_HZ)
    stereo = np.stack([-0.7 * hum, hum])  # the left is quieter and inverted

    status, answer = extract(mesh, encode(stereo, SAMPLE_RATE_HZ, file_format))

    assert status == 200, answer
    assert [n["midi_pitch"] for n in answer["melody"]["notes"]] == [57, 62, 65]
    assert "only the right channel" in " ".join(answer["melody"]["warnings"])


# ---- clips too short for a melody ----


def test_the_20_ms_field_clip_is_refused_as_too_short_by_both_endpoints(mesh: Mesh) -> None:
    clip = field_file("F10a_20ms.wav")
    for status, answer in (extract(mesh, clip), take(mesh, clip)):
        assert status == 400, answer
        assert "too short" in answer["message"] and "0.25 s" in answer["message"]


@pytest.mark.parametrize("duration_s", [0.001, 0.05, 0.2])
def test_short_clips_of_any_length_name_the_minimum(mesh: Mesh, duration_s: float) -> None:
    hum = synthesize_hum(hum_notes([64], note_duration_s=1.0, lead_in_s=0.0), SAMPLE_RATE_HZ)
    clip = encode(hum[: max(1, round(duration_s * SAMPLE_RATE_HZ))], SAMPLE_RATE_HZ, "wav")

    status, answer = take(mesh, clip)

    assert status == 400, answer
    assert "too short" in answer["message"] and "at least 0.25 s" in answer["message"]


def test_a_file_cut_short_to_a_few_samples_says_both_that_it_is_short_and_cut(
    mesh: Mesh,
) -> None:
    hum = synthesize_hum(hum_notes([64, 67], note_duration_s=1.0), SAMPLE_RATE_HZ)
    whole = encode(hum, SAMPLE_RATE_HZ, "wav")

    status, answer = take(mesh, whole[:400])  # its header promises 2 s or more

    assert status == 400, answer
    assert "too short" in answer["message"] and "at least 0.25 s" in answer["message"]
    assert "The file is cut short: its header promises" in answer["message"]


# ---- notes struck again ----


def _notes_of(midi_file: bytes) -> list[tuple[int, int, int]]:
    """(pitch, start tick, end tick) of every note; asserts each is closed, never re-struck."""
    sounding: dict[int, int] = {}
    notes = []
    tick = 0
    for message in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(midi_file)).tracks):
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            assert message.note not in sounding
            sounding[message.note] = tick
        elif message.type in ("note_on", "note_off"):
            notes.append((message.note, sounding.pop(message.note), tick))
    assert not sounding
    return notes


def test_quickly_re_struck_field_notes_stay_separate_in_the_midi(mesh: Mesh) -> None:
    status, _, midi_file = http(
        mesh,
        "POST",
        "/v1/melody:midi",
        body=field_file("F17_staccato_short_notes.wav"),
        headers={"Content-Type": "audio/wav"},
    )

    assert status == 200
    score = mido.MidiFile(file=io.BytesIO(midi_file))
    tempo = next(m.tempo for t in score.tracks for m in t if m.type == "set_tempo")
    notes = _notes_of(midi_file)
    seconds = [
        mido.tick2second(end - start, score.ticks_per_beat, tempo) for _, start, end in notes
    ]
    assert [pitch for pitch, _, _ in notes].count(71) == 2  # B4, a blip, B4 again
    assert min(seconds) > 0 and max(seconds) <= 0.85


def test_a_takes_midi_keeps_re_struck_notes_apart(mesh: Mesh) -> None:
    sung = hum_notes([62, 62, 62, 65], note_duration_s=0.3, gap_s=0.01)
    status, made = take(mesh, encode(synthesize_hum(sung, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav"))
    assert status == 200, made

    status, _, midi_file = http(mesh, "GET", f"/v1/takes/{made['take_id']}/midi")

    assert status == 200
    assert [pitch for pitch, _, _ in _notes_of(midi_file)] == [62, 62, 62, 65]


# ---- the work stops with its caller ----


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy_hum() -> bytes:
    """Long enough that crepe-full needs minutes for it."""
    notes = hum_notes([57, 60, 64, 62, 60] * 6, note_duration_s=0.5)
    return encode(synthesize_hum(notes, 16_000), 16_000, "wav")


def _becomes_idle(pid: int, within_s: float = 20.0, window_s: float = 2.0) -> bool:
    """Whether the process spends under 0.3 s of CPU in some ``window_s`` within ``within_s``.

    crepe-full on _busy_hum needs minutes of CPU, so a process still working on it never
    goes idle this soon; one that stopped does, once a model load or batch under way ends.
    """
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        before = _cpu_s(pid)
        time.sleep(window_s)
        if _cpu_s(pid) - before < 0.3:
            return True
    return False


def test_a_client_that_hangs_up_stops_the_pitch_work(mesh: Mesh) -> None:
    pitch_pid = pid_of("services.pitch", mesh)
    body = _busy_hum()
    address = urlsplit(mesh.base_url)
    with socket.create_connection((address.hostname, address.port)) as connection:
        connection.sendall(
            b"POST /v1/melody:extract?engine=crepe-full HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: audio/wav\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        time.sleep(4.0)  # the model is loading or working

    assert _becomes_idle(pitch_pid)  # minutes of work were dropped


def test_a_take_that_runs_out_of_its_own_time_says_so_and_stops(mesh: Mesh) -> None:
    started = time.monotonic()

    status, answer = take(mesh, _busy_hum(), "?pitch_engine=crepe-full&timeout_s=2")

    assert status == 504, answer
    assert "pitch stage did not finish" in answer["message"]
    assert time.monotonic() - started < 10
    assert _becomes_idle(pid_of("services.pitch", mesh))


def test_a_job_time_beyond_the_gateways_is_refused(mesh: Mesh) -> None:
    hum = encode(synthesize_hum(hum_notes([60, 64]), SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")

    status, answer = take(mesh, hum, "?timeout_s=100000")

    assert status == 400
    assert "timeout_s must be between 0 and 330" in answer["message"]
