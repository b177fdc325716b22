"""Takes you can correct, through Envoy as a REST client uses them: list, revise, export."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile
import yaml
from music21 import converter, stream
from music21 import note as m21_note

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.recognizer import heard_words
from tests.support.rest import http, http_json, post_json
from tests.support.sung_pitch import track_pitch

SAMPLE_RATE_HZ = 22_050
# Two phrases of four long notes: long enough for a tracker and a recogniser to judge.
PITCHES = (57, 59, 60, 62, 60, 59, 57, 55)
NEW_LINE = "hello my friend"  # four syllables for the four notes of the second phrase


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    notes = hum_notes(PITCHES, note_duration_s=0.6, rests_s={3: 0.8})
    return encode(synthesize_hum(notes, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


@pytest.fixture(scope="module")
def take(mesh: Mesh, hum_wav: bytes) -> dict:
    status, _, body = http(
        mesh,
        "POST",
        "/melody-to-vocals?seed=3&theme=harbour",
        body=hum_wav,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200, body[:300]
    made = json.loads(body)
    assert [n["midi_pitch"] for n in made["melody"]["notes"]] == list(PITCHES)
    assert len(made["lyrics"]["lines"]) == 2
    return made


@pytest.fixture(scope="module")
def revised(mesh: Mesh, take: dict) -> dict:
    melody = json.loads(json.dumps(take["melody"]))
    melody["notes"][1]["midi_pitch"] += 2
    status, reply = post_json(
        mesh,
        f"/v1/takes/{take['take_id']}:revise",
        {"melody": melody, "line_texts": {"1": NEW_LINE}},
    )
    assert status == 200, reply
    return reply


def path_of(url: str) -> str:
    """Take URLs name the public gateway; the test mesh runs on another port."""
    return "/v1/" + url.split("/v1/", 1)[1]


def audio_of(mesh: Mesh, take: dict) -> tuple[np.ndarray, int]:
    status, _, body = http(mesh, "GET", path_of(take["audio_url"]))
    assert status == 200
    samples, sample_rate_hz = soundfile.read(io.BytesIO(body), dtype="float32")
    return samples, sample_rate_hz


def median_midi(samples: np.ndarray, sample_rate_hz: int, onset_s: float, offset_s: float) -> float:
    """Praat's median pitch over the middle half of a note, as a MIDI number."""
    track = track_pitch(samples, sample_rate_hz)
    length = offset_s - onset_s
    middle = (track.times_s >= onset_s + length / 4) & (track.times_s <= offset_s - length / 4)
    voiced = track.frequencies_hz[middle & (track.frequencies_hz > 0)]
    assert voiced.size, "no voiced frames in the note"
    return float(69 + 12 * np.log2(np.median(voiced) / 440.0))


def test_a_take_keeps_its_recording_byte_for_byte(mesh: Mesh, take: dict, hum_wav: bytes) -> None:
    status, headers, body = http(mesh, "GET", path_of(take["recording_url"]))
    assert status == 200
    assert body == hum_wav
    assert "wav" in headers["content-type"]


def test_a_revision_is_a_new_take_whose_parent_is_kept(
    mesh: Mesh, take: dict, revised: dict
) -> None:
    assert revised["take_id"] != take["take_id"]
    assert revised["parent_take_id"] == take["take_id"]
    status, original = http_json(mesh, "GET", f"/v1/takes/{take['take_id']}")
    assert status == 200
    assert original["melody"] == take["melody"]
    assert revised["lyrics"]["lines"][0] == take["lyrics"]["lines"][0]
    assert revised["lyrics"]["lines"][1]["text"] == NEW_LINE
    assert revised["lyrics"]["provider"] == "user"
    assert "pitch" not in revised["timings_s"]  # the recording was not transcribed again


def test_the_moved_note_is_heard_two_semitones_higher(
    mesh: Mesh, take: dict, revised: dict
) -> None:
    note = revised["melody"]["notes"][1]
    onset_s, offset_s = note["onset_s"], note["onset_s"] + note["duration_s"]
    before = median_midi(*audio_of(mesh, take), onset_s, offset_s)
    after = median_midi(*audio_of(mesh, revised), onset_s, offset_s)
    assert after - before == pytest.approx(2.0, abs=0.5)
    # A note that was not edited sounds as before.
    other = revised["melody"]["notes"][5]
    still = (other["onset_s"], other["onset_s"] + other["duration_s"])
    assert median_midi(*audio_of(mesh, revised), *still) == pytest.approx(
        median_midi(*audio_of(mesh, take), *still), abs=0.3
    )


def test_the_new_words_are_heard_in_the_revised_take(mesh: Mesh, revised: dict) -> None:
    status, _, wav = http(mesh, "GET", path_of(revised["audio_url"]))
    assert status == 200
    phrase = revised["melody"]["phrases"][1]
    words = heard_words(wav, start_s=phrase["onset_s"] - 0.3)
    assert {"hello", "friend"} & set(words), words


def test_takes_are_listed_newest_first_a_page_at_a_time(
    mesh: Mesh, take: dict, revised: dict
) -> None:
    status, page = http_json(mesh, "GET", "/v1/takes?page_size=1")
    assert status == 200, page
    assert [t["take_id"] for t in page["takes"]] == [revised["take_id"]]
    status, following = http_json(
        mesh, "GET", f"/v1/takes?page_size=1&page_token={page['next_page_token']}"
    )
    assert status == 200, following
    assert [t["take_id"] for t in following["takes"]] == [take["take_id"]]


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        ({"line_texts": {"7": "la la"}}, 'line_texts key "7" names no line'),
        ({"melody": {"notes": [{"onset_s": 0.0, "duration_s": 0.5, "midi_pitch": 130}]}}, "130"),
        (
            {
                "melody": {
                    "notes": [
                        {"onset_s": 0.0, "duration_s": 1.0, "midi_pitch": 60},
                        {"onset_s": 0.5, "duration_s": 1.0, "midi_pitch": 62},
                    ]
                }
            },
            "overlap",
        ),
        ({"melody": {"notes": [{"onset_s": 0.0, "duration_s": 0, "midi_pitch": 60}]}}, "0 s"),
        (
            {"lyrics": {"lines": [{"syllables": [{"text": "la", "note_index": 40}]}]}},
            "note_index 40",
        ),
    ],
)
def test_edits_that_cannot_be_sung_are_a_clear_400(
    mesh: Mesh, take: dict, edit: dict, complaint: str
) -> None:
    status, error = post_json(mesh, f"/v1/takes/{take['take_id']}:revise", edit)
    assert status == 400, error
    assert complaint in error["message"]


def test_revising_a_take_that_does_not_exist_is_404(mesh: Mesh) -> None:
    status, error = post_json(mesh, f"/v1/takes/{'0' * 32}:revise", {"line_texts": {"0": "x"}})
    assert status == 404, error


def test_a_streamed_revision_sends_audio_before_the_take(mesh: Mesh, take: dict) -> None:
    status, _, body = http(
        mesh,
        "POST",
        f"/v1/takes/{take['take_id']}:streamRevise",
        body=json.dumps({"options": {"transpose_semitones": 1}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body[:300]
    events = [json.loads(line) for line in body.splitlines() if line.strip()]
    kinds = [next(iter(event)) for event in events]
    assert kinds.index("audio_chunk") < kinds.index("take") == len(kinds) - 1
    new_take = events[-1]["take"]
    assert new_take["options"]["transpose_semitones"] == 1
    assert new_take["applied_transpose_semitones"] == take.get("applied_transpose_semitones", 0) + 1


@pytest.mark.parametrize("which", ["original", "revision"])
def test_both_takes_load_back_from_musicxml_and_openutau_with_their_notes_and_words(
    mesh: Mesh, take: dict, revised: dict, which: str
) -> None:
    chosen = take if which == "original" else revised
    pitches = [note["midi_pitch"] for note in chosen["melody"]["notes"]]
    words = [s["text"] for line in chosen["lyrics"]["lines"] for s in line["syllables"]]

    status, _, document = http(mesh, "GET", path_of(chosen["musicxml_url"]))
    assert status == 200
    score = converter.parseData(document, format="musicxml")
    assert isinstance(score, stream.Score)
    notes = list(score.parts[0].stripTies().flatten().getElementsByClass(m21_note.Note))
    assert [sung.pitch.midi for sung in notes] == pitches
    assert [sung.lyric for sung in notes if sung.lyric] == words

    status, _, project = http(mesh, "GET", path_of(chosen["ustx_url"]))
    assert status == 200
    ustx_notes = yaml.safe_load(project.decode("utf-8"))["voice_parts"][0]["notes"]
    assert [note["tone"] for note in ustx_notes] == pitches
    assert [note["lyric"] for note in ustx_notes if note["lyric"] != "+"] == words


@pytest.mark.parametrize("body", [{}, {"line_txts": {"0": "hello"}}, {"options": {}}])
def test_a_revision_that_changes_nothing_or_only_misspelled_fields_is_a_400(
    mesh: Mesh, take: dict, body: dict
) -> None:
    status, error = post_json(mesh, f"/v1/takes/{take['take_id']}:revise", body)
    assert status == 400, error
    assert error["message"].startswith("the revision changes nothing: give the edited melody")
