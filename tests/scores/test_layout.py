"""The grid, syllable and key layout every score format shares."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInputError
from services.common.music import KeyEstimate, Note, Syllable
from services.common.scores.layout import (
    NoteLyric,
    bars_end_16,
    key_signature_fifths,
    lyrics_by_note,
    major_tonic_pitch_class,
    quantise_to_sixteenths,
    score_tempo_bpm,
)
from tests.scores.takes import GRID_16, NOTES, SYLLABIC, SYLLABLES


def test_no_tempo_means_120_bpm_and_a_found_tempo_is_kept() -> None:
    assert score_tempo_bpm(0.0) == 120.0
    assert score_tempo_bpm(97.4) == 97.4
    assert score_tempo_bpm(101.23456) == 101.23


def test_onsets_and_ends_round_to_the_nearest_sixteenth() -> None:
    grid = quantise_to_sixteenths(NOTES, 120.0)
    assert [(note.start_16, note.end_16) for note in grid] == GRID_16
    assert [note.midi_pitch for note in grid] == [note.midi_pitch for note in NOTES]


def test_a_note_too_short_for_the_grid_keeps_one_sixteenth() -> None:
    (grid_note,) = quantise_to_sixteenths([Note(onset_s=1.0, duration_s=0.01, midi_pitch=60)], 120)
    assert (grid_note.start_16, grid_note.end_16) == (8, 9)


def test_notes_that_round_onto_one_sixteenth_are_played_one_after_the_other() -> None:
    notes = [
        Note(onset_s=1.00, duration_s=0.02, midi_pitch=60),
        Note(onset_s=1.03, duration_s=0.02, midi_pitch=62),
        Note(onset_s=1.05, duration_s=0.50, midi_pitch=64),
    ]
    grid = quantise_to_sixteenths(notes, 120)
    assert [(note.start_16, note.end_16) for note in grid] == [(8, 9), (9, 10), (10, 12)]


def test_a_note_that_would_overlap_the_next_ends_where_it_begins() -> None:
    notes = [
        Note(onset_s=0.0, duration_s=0.60, midi_pitch=60),
        Note(onset_s=0.5, duration_s=0.25, midi_pitch=62),
    ]
    grid = quantise_to_sixteenths(notes, 120)
    assert [(note.start_16, note.end_16) for note in grid] == [(0, 4), (4, 6)]


def test_the_grid_follows_the_tempo() -> None:
    (grid_note,) = quantise_to_sixteenths([Note(onset_s=1.0, duration_s=1.0, midi_pitch=60)], 60)
    assert (grid_note.start_16, grid_note.end_16) == (4, 8)


def test_a_score_ends_on_a_bar_line() -> None:
    assert [bars_end_16(end) for end in (0, 1, 16, 17, 41)] == [16, 16, 16, 32, 48]


def test_syllabic_comes_from_where_words_start() -> None:
    lyrics = lyrics_by_note(SYLLABLES, len(NOTES))
    sung = [lyric for lyric in lyrics if lyric is not None and lyric.text]
    assert [lyric.text for lyric in sung] == [syllable.text for syllable in SYLLABLES]
    assert [lyric.syllabic for lyric in sung] == SYLLABIC


def test_a_melisma_sings_its_syllable_on_the_first_note_and_holds_it_on_the_rest() -> None:
    lyrics = lyrics_by_note([Syllable("oh", 1, note_count=3)], 5)
    assert lyrics == [
        None,
        NoteLyric("oh", "single", melisma_continues=True),
        NoteLyric("", "single", melisma_continues=True, continues_melisma=True),
        NoteLyric("", "single", continues_melisma=True),
        None,
    ]


def test_syllables_are_laid_out_in_note_order_whatever_their_order() -> None:
    lyrics = lyrics_by_note([Syllable("py", 1, starts_word=False), Syllable("hap", 0)], 2)
    assert lyrics == [NoteLyric("hap", "begin"), NoteLyric("py", "end")]


def test_blank_syllables_are_left_out() -> None:
    assert lyrics_by_note([Syllable(" ", 0), Syllable("la", 1)], 2) == [
        None,
        NoteLyric("la", "single"),
    ]


@pytest.mark.parametrize(
    ("syllable", "message"),
    [
        # Notes counted from 1; the note_index sent, as sent.
        (Syllable("la", 3), r"notes 4\.\.4 \(note_index 3\), but the melody has 3 notes"),
        (Syllable("la", -1), r"notes 0\.\.0 \(note_index -1\)"),
        (Syllable("la", 2, note_count=2), r"notes 3\.\.4 \(note_index 2\)"),
        (Syllable("la", 0, note_count=0), "spans 0 notes"),
        (Syllable("la", 1), "note 2, which already carries another syllable"),
    ],
)
def test_syllables_that_do_not_fit_the_melody_are_refused(syllable: Syllable, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        lyrics_by_note([Syllable("oh", 0, note_count=2), syllable], 3)


@pytest.mark.parametrize(
    ("tonic", "mode", "fifths", "major_tonic"),
    [
        ("C", "major", 0, 0),
        ("A", "minor", 0, 0),
        ("E", "minor", 1, 7),
        ("D", "major", 2, 2),
        ("F", "major", -1, 5),
        ("A#", "major", -2, 10),  # written B-flat major, not ten sharps
        ("C#", "major", -5, 1),  # D-flat major
        ("F#", "major", 6, 6),
        ("D#", "minor", 6, 6),
        ("C", "minor", -3, 3),
        ("G#", "minor", 5, 11),
    ],
)
def test_key_signatures_use_the_fewest_accidentals(
    tonic: str, mode: str, fifths: int, major_tonic: int
) -> None:
    key = KeyEstimate(tonic=tonic, mode=mode)
    assert key_signature_fifths(key) == fifths
    assert major_tonic_pitch_class(key) == major_tonic


@pytest.mark.parametrize(("tonic", "mode"), [("", ""), ("C", ""), ("", "major"), ("H", "major")])
def test_an_unknown_key_has_no_signature(tonic: str, mode: str) -> None:
    key = KeyEstimate(tonic=tonic, mode=mode)
    assert key_signature_fifths(key) is None
    assert major_tonic_pitch_class(key) is None
