"""Notes struck again on the same pitch stay separate notes, however quickly they follow.

A singer who re-strikes a pitch (staccato, a new syllable after a catch of breath, a
quick neighbour tone in between) sings several notes, not one long one: each re-attack
(the level falls and comes back) starts a note, and ``min_note_duration_s`` decides
which short ones are kept.
"""

from __future__ import annotations

import itertools

import pytest

from services.common.music import Note
from services.pitch.melody import extract_melody
from tests.support.hums import HumNote, hum_notes, synthesize_hum

SAMPLE_RATE_HZ = 16_000
ONSET_TOLERANCE_S = 0.05


def _assert_sung_as(found: list[Note], sung: list[HumNote]) -> None:
    assert [n.midi_pitch for n in found] == [round(n.midi_pitch) for n in sung], found
    for note, expected in zip(found, sung, strict=True):
        assert note.onset_s == pytest.approx(expected.onset_s, abs=ONSET_TOLERANCE_S)
        assert 0 < note.duration_s <= expected.duration_s + 0.05


def _assert_well_formed(notes: list[Note]) -> None:
    for note in notes:
        assert note.duration_s > 0
    for before, after in itertools.pairwise(notes):
        assert before.offset_s <= after.onset_s + 1e-9


@pytest.mark.parametrize("engine", ["swift", "crepe-tiny"])
@pytest.mark.parametrize(
    ("midi_pitch", "note_duration_s", "gap_s"),
    [
        (57, 0.35, 0.0),  # legato re-strikes: each note's own attack, no silence at all
        (64, 0.2, 0.005),
        (71, 0.12, 0.012),
        (62, 0.25, 0.02),
        (76, 0.15, 0.0),
    ],
)
def test_a_pitch_struck_four_times_is_four_notes(engine, midi_pitch, note_duration_s, gap_s):
    sung = hum_notes([midi_pitch] * 4, note_duration_s=note_duration_s, gap_s=gap_s)

    melody = extract_melody(
        synthesize_hum(sung, SAMPLE_RATE_HZ, seed=midi_pitch), SAMPLE_RATE_HZ, engine=engine
    )

    _assert_sung_as(melody.notes, sung)
    _assert_well_formed(melody.notes)


@pytest.mark.parametrize(
    ("midi_pitch", "blip_s", "step_semitones"),
    [(71, 0.012, 1), (59, 0.02, -1), (66, 0.03, 2), (64, 0.012, -2)],
)
def test_a_short_neighbour_between_two_notes_of_one_pitch_keeps_them_apart(
    midi_pitch, blip_s, step_semitones
):
    first = HumNote(midi_pitch, 0.3, 0.6)
    blip = HumNote(midi_pitch + step_semitones, first.offset_s, blip_s)
    second = HumNote(midi_pitch, blip.offset_s, 0.6)

    melody = extract_melody(
        synthesize_hum([first, blip, second], SAMPLE_RATE_HZ, seed=midi_pitch), SAMPLE_RATE_HZ
    )

    # The blip is shorter than any note worth keeping; the notes around it are two notes.
    _assert_sung_as(melody.notes, [first, second])
    _assert_well_formed(melody.notes)


def test_staccato_notes_shorter_than_the_minimum_are_dropped_never_merged():
    sung = hum_notes([69] * 6, note_duration_s=0.045, gap_s=0.015)
    audio = synthesize_hum(sung, SAMPLE_RATE_HZ)

    by_default = extract_melody(audio, SAMPLE_RATE_HZ).notes
    allowing_short = extract_melody(audio, SAMPLE_RATE_HZ, min_note_duration_s=0.03).notes

    # 45 ms notes are under the default 50 ms minimum: none may swell into a long note.
    assert all(note.duration_s <= 0.08 for note in by_default)
    # With a lower minimum every struck note is there, each as short as it was sung.
    assert len(allowing_short) == 6
    for note, expected in zip(allowing_short, sung, strict=True):
        assert note.onset_s == pytest.approx(expected.onset_s, abs=0.03)
        assert note.duration_s <= 0.07
    _assert_well_formed(allowing_short)


def test_staccato_notes_longer_than_the_minimum_are_each_a_note():
    sung = hum_notes([62] * 6, note_duration_s=0.1, gap_s=0.01)

    melody = extract_melody(synthesize_hum(sung, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ)

    _assert_sung_as(melody.notes, sung)
    _assert_well_formed(melody.notes)
