"""voice=auto through Envoy, as a new user meets it: hum high or low, choose nothing, and
hear the song back in a voice of that height, at the octave that was hummed."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile

from services.synth.engines import festival
from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http, post_json
from tests.support.sung_pitch import track_pitch

pytestmark = pytest.mark.skipif(
    festival.unavailable_reason(festival.SLT) is not None, reason="slt is not installed"
)

SAMPLE_RATE_HZ = 22_050
AROUND_A4 = (67, 69, 71, 72, 71, 69)  # G4..C5: a woman's or a child's hum
AROUND_A2 = (43, 45, 47, 48, 47, 45)  # G2..C3: a low man's hum


def hum(pitches: tuple[int, ...]) -> bytes:
    notes = hum_notes(pitches, note_duration_s=0.5)
    return encode(synthesize_hum(notes, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


def make_take(mesh: Mesh, pitches: tuple[int, ...], query: str = "") -> dict:
    status, _, body = http(
        mesh,
        "POST",
        "/melody-to-vocals?seed=5" + query,
        body=hum(pitches),
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200, body[:300]
    take = json.loads(body)
    assert [n["midi_pitch"] for n in take["melody"]["notes"]] == list(pitches)
    return take


def sung_midi(mesh: Mesh, take: dict) -> list[float]:
    """Praat's median pitch over the middle half of every note, as MIDI numbers."""
    status, _, body = http(mesh, "GET", "/v1/" + take["audio_url"].split("/v1/", 1)[1])
    assert status == 200
    samples, sample_rate_hz = soundfile.read(io.BytesIO(body), dtype="float32")
    track = track_pitch(samples, sample_rate_hz, floor_hz=60.0, ceiling_hz=1200.0)
    sung = []
    for note in take["melody"]["notes"]:
        onset_s, length_s = note["onset_s"], note["duration_s"]
        middle = (track.times_s >= onset_s + length_s / 4) & (
            track.times_s <= onset_s + 3 * length_s / 4
        )
        voiced = track.frequencies_hz[middle & (track.frequencies_hz > 0)]
        assert voiced.size, f"note at {onset_s:.2f} s is not voiced"
        sung.append(float(69 + 12 * np.log2(np.median(voiced) / 440.0)))
    return sung


@pytest.fixture(scope="module")
def high_take(mesh: Mesh) -> dict:
    return make_take(mesh, AROUND_A4)


def test_a_hum_around_a4_comes_back_in_the_high_voice_at_the_hummed_octave(
    mesh: Mesh, high_take: dict
) -> None:
    assert high_take["engines"]["voice"] == "slt"
    assert high_take.get("applied_transpose_semitones", 0) == 0
    assert high_take["voice_choice"].startswith("voice auto: slt holds 6 of 6 notes as hummed")
    assert "not transposed" in high_take["voice_choice"]
    assert np.allclose(sung_midi(mesh, high_take), AROUND_A4, atol=0.5)


def test_a_hum_around_a2_comes_back_in_the_low_voice_at_the_hummed_octave(mesh: Mesh) -> None:
    take = make_take(mesh, AROUND_A2, "&voice=auto")
    assert take["engines"]["voice"] == "joe"
    assert take.get("applied_transpose_semitones", 0) == 0
    assert take["voice_choice"].startswith("voice auto: joe holds 6 of 6 notes as hummed")
    assert np.allclose(sung_midi(mesh, take), AROUND_A2, atol=0.5)


def test_a_named_voice_wins_over_the_hum(mesh: Mesh) -> None:
    take = make_take(mesh, AROUND_A4, "&voice=joe")
    assert take["engines"]["voice"] == "joe"
    assert take["applied_transpose_semitones"] == -12
    assert take["voice_choice"].startswith("voice joe as asked; moved down 1 octave")


def test_a_revision_keeps_the_voice_chosen_for_its_take(mesh: Mesh, high_take: dict) -> None:
    # Moved an octave down the notes would suit the low voice, but the take's voice stays.
    melody = json.loads(json.dumps(high_take["melody"]))
    for note in melody["notes"]:
        note["midi_pitch"] -= 12
    status, revised = post_json(
        mesh, f"/v1/takes/{high_take['take_id']}:revise", {"melody": melody}
    )
    assert status == 200, revised
    assert revised["engines"]["voice"] == "slt"
    assert revised["voice_choice"].startswith(f"voice slt kept from take {high_take['take_id']}")
    assert np.allclose(sung_midi(mesh, revised), np.array(AROUND_A4) - 12, atol=0.5)
