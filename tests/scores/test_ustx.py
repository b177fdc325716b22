"""OpenUtau export: YAML that has the structure of a project OpenUtau saved, with the
take's tempo, key, notes (ticks of 480 a quarter, MIDI tones) and lyrics."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.errors import InvalidInputError
from services.common.music import Melody, Note, Syllable
from services.common.scores.ustx import melody_to_ustx
from tests.scores.takes import GRID_16, MELODY, NOTES, SYLLABLES, long_melody, with_key

DATA = Path(__file__).parents[1] / "data"
SAVED_BY_OPENUTAU = DATA / "openutau" / "doremi-saved-by-openutau.ustx"


def load(document: bytes) -> dict[str, Any]:
    project = yaml.safe_load(document.decode("utf-8"))
    assert isinstance(project, dict)
    return project


@pytest.fixture(scope="module")
def saved() -> dict[str, Any]:
    return load(SAVED_BY_OPENUTAU.read_bytes().removeprefix(b"\xef\xbb\xbf"))


def part_notes() -> list[dict[str, Any]]:
    return load(melody_to_ustx(MELODY, SYLLABLES))["voice_parts"][0]["notes"]


def shapes(mapping: dict[str, Any]) -> dict[str, str]:
    """Each key's kind of value: mapping, sequence, flag, number or text."""

    def shape(value: Any) -> str:
        if isinstance(value, dict):
            return "mapping"
        if isinstance(value, list):
            return "sequence"
        if isinstance(value, bool):
            return "flag"
        return "number" if isinstance(value, int | float) else "text"

    return {name: shape(value) for name, value in mapping.items()}


def test_the_project_has_the_structure_of_one_openutau_saved(saved: dict[str, Any]) -> None:
    ours = load(melody_to_ustx(MELODY, SYLLABLES, title="Crème brûlée"))
    assert shapes(ours) == shapes(saved)
    for name in ("time_signatures", "tempos"):
        assert shapes(ours[name][0]) == shapes(saved[name][0])
    # OpenUtau leaves out null fields: a project with no singer chosen has no "singer".
    saved_track = {name: value for name, value in saved["tracks"][0].items() if name != "singer"}
    assert shapes(ours["tracks"][0]) == shapes(saved_track)
    ours_part, saved_part = ours["voice_parts"][0], saved["voice_parts"][0]
    assert shapes(ours_part) == shapes(saved_part)
    for ours_note, saved_note in zip(ours_part["notes"], saved_part["notes"], strict=False):
        # "tuning" (cents, UNote.tuning) came after ustx 0.6.
        assert shapes(ours_note) == shapes(saved_note) | {"tuning": "number"}
        assert shapes(ours_note["pitch"]) == shapes(saved_note["pitch"])
        assert [shapes(point) for point in ours_note["pitch"]["data"]] == [
            shapes(point) for point in saved_note["pitch"]["data"]
        ]
        assert shapes(ours_note["vibrato"]) == shapes(saved_note["vibrato"])


def test_header_names_version_resolution_tempo_and_time() -> None:
    project = load(melody_to_ustx(MELODY, SYLLABLES, title="Zoë’s song"))
    assert project["name"] == "Zoë’s song"
    assert project["ustx_version"] == "0.9"
    assert project["resolution"] == 480
    assert project["tempos"] == [{"position": 0, "bpm": 120.0}]  # no tempo found: 120
    assert project["bpm"] == 120.0
    assert project["time_signatures"] == [{"bar_position": 0, "beat_per_bar": 4, "beat_unit": 4}]
    assert len(project["tracks"]) == 1 and len(project["voice_parts"]) == 1
    assert project["voice_parts"][0]["track_no"] == 0


def test_a_found_tempo_is_the_projects_tempo() -> None:
    project = load(melody_to_ustx(replace(MELODY, tempo_bpm=97.4), SYLLABLES))
    assert project["tempos"] == [{"position": 0, "bpm": 97.4}]


def test_notes_are_on_the_sixteenth_grid_in_ticks_with_their_midi_tones() -> None:
    notes = part_notes()
    assert [note["tone"] for note in notes] == [note.midi_pitch for note in NOTES]
    assert [note["position"] for note in notes] == [start * 120 for start, _ in GRID_16]
    assert [note["duration"] for note in notes] == [(end - start) * 120 for start, end in GRID_16]


def test_lyrics_are_the_syllables_with_plus_on_a_melismas_held_notes() -> None:
    assert [note["lyric"] for note in part_notes()] == [
        "Don’t",
        "touch",
        "Zoë’s",
        "crè",
        "+",
        "me",
        "brû",
        "lée",
        "a",
    ]


def test_a_melisma_note_after_a_gap_is_joined_to_the_note_before() -> None:
    # OpenUtau only extends a syllable with "+" when the note starts where the last ended.
    melody = replace(
        MELODY,
        notes=[
            Note(onset_s=0.0, duration_s=0.25, midi_pitch=60),
            Note(onset_s=0.5, duration_s=0.25, midi_pitch=62),
        ],
    )
    notes = load(melody_to_ustx(melody, [Syllable("oh", 0, note_count=2)]))["voice_parts"][0][
        "notes"
    ]
    assert [(n["position"], n["duration"], n["lyric"]) for n in notes] == [
        (0, 480, "oh"),
        (480, 240, "+"),
    ]


def test_the_part_lasts_whole_bars_past_the_last_note() -> None:
    part = load(melody_to_ustx(MELODY, SYLLABLES))["voice_parts"][0]
    last = part["notes"][-1]
    assert part["duration"] == 3 * 1920 >= last["position"] + last["duration"]


@pytest.mark.parametrize(
    ("tonic", "mode", "project_key"),
    [("A", "minor", 0), ("E", "minor", 7), ("D", "major", 2), ("A#", "major", 10), ("", "", 0)],
)
def test_the_project_key_is_the_major_tonic_of_the_takes_key(
    tonic: str, mode: str, project_key: int
) -> None:
    assert load(melody_to_ustx(with_key(MELODY, tonic, mode)))["key"] == project_key


def test_every_note_has_the_pitch_points_and_vibrato_openutau_needs_to_open_it() -> None:
    for note in part_notes():
        assert len(note["pitch"]["data"]) >= 1 and note["pitch"]["snap_first"] is True
        assert note["vibrato"]["length"] == 0  # no vibrato added
        assert note["tuning"] == 0


def test_words_survive_as_utf8_text_and_never_turn_into_yaml_booleans() -> None:
    melody = replace(MELODY, notes=NOTES[:4])
    syllables = [Syllable("yes", 0), Syllable("no", 1), Syllable("on", 2), Syllable("Zoë’s", 3)]
    document = melody_to_ustx(melody, syllables)
    assert "Zoë’s".encode() in document
    assert [note["lyric"] for note in load(document)["voice_parts"][0]["notes"]] == [
        "yes",
        "no",
        "on",
        "Zoë’s",
    ]


def test_a_hyphenated_words_joining_hyphen_is_not_sung() -> None:
    melody = replace(MELODY, notes=NOTES[:3])
    syllables = [
        Syllable("twen", 0, starts_word=True),
        Syllable("ty-", 1, starts_word=False),
        Syllable("four", 2, starts_word=False),
    ]
    lyrics = [
        note["lyric"] for note in load(melody_to_ustx(melody, syllables))["voice_parts"][0]["notes"]
    ]
    assert lyrics == ["twen", "ty", "four"]


def test_the_same_take_always_gives_the_same_file() -> None:
    assert melody_to_ustx(MELODY, SYLLABLES) == melody_to_ustx(MELODY, SYLLABLES)


def test_notes_never_overlap_in_a_long_take() -> None:
    melody, syllables = long_melody()
    notes = load(melody_to_ustx(melody, syllables))["voice_parts"][0]["notes"]
    assert len(notes) == len(melody.notes)
    for before, after in itertools.pairwise(notes):
        assert before["position"] + before["duration"] <= after["position"]
        if after["lyric"] == "+":
            assert before["position"] + before["duration"] == after["position"]


def test_an_empty_melody_is_a_project_with_an_empty_bar() -> None:
    empty = Melody(notes=[], phrases=[], duration_s=1.0, engine="test")
    part = load(melody_to_ustx(empty))["voice_parts"][0]
    assert part["notes"] == [] and part["duration"] == 1920


def test_syllables_that_do_not_fit_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="already carries another syllable"):
        melody_to_ustx(MELODY, [*SYLLABLES, Syllable("encore", 4)])
