"""Phrases, tempo and key of known melodies."""

from __future__ import annotations

import pytest

from services.common.music import Note
from services.common.phrases import group_phrases
from services.pitch.key import estimate_key
from services.pitch.tempo import estimate_tempo_bpm


def _notes(pitches, *, beat_s=0.5, note_fraction=0.9, rests_after=()):
    notes, onset_s = [], 0.2
    for i, midi_pitch in enumerate(pitches):
        notes.append(
            Note(onset_s=onset_s, duration_s=beat_s * note_fraction, midi_pitch=midi_pitch)
        )
        onset_s += beat_s * (2 if i in rests_after else 1)
    return notes


def test_a_rest_of_at_least_the_threshold_starts_a_new_phrase():
    notes = _notes([60, 62, 64, 65, 67, 69], beat_s=0.4, note_fraction=0.9, rests_after={2})

    phrases = group_phrases(notes)

    assert [(p.first_note_index, p.note_count) for p in phrases] == [(0, 3), (3, 3)]
    assert phrases[1].onset_s == notes[3].onset_s
    assert phrases[0].duration_s == pytest.approx(notes[2].offset_s - notes[0].onset_s)


def test_short_gaps_between_notes_keep_one_phrase():
    assert len(group_phrases(_notes([60, 62, 64, 65], beat_s=0.5, note_fraction=0.7))) == 1


def test_a_very_long_run_is_split_at_its_widest_gap():
    notes = _notes(list(range(60, 90)), beat_s=0.5, note_fraction=0.9)
    notes[16] = Note(onset_s=notes[16].onset_s + 0.1, duration_s=0.35, midi_pitch=76)

    phrases = group_phrases(notes, max_phrase_duration_s=12.0)

    assert [(p.first_note_index, p.note_count) for p in phrases] == [(0, 16), (16, 14)]


def test_no_notes_no_phrases():
    assert group_phrases([]) == []


@pytest.mark.parametrize("bpm", [84.0, 100.0, 120.0, 140.0])
def test_tempo_of_evenly_spaced_notes(bpm):
    # Evenly spaced notes fit bpm/2 and bpm*2 as well; between 78 and 155 BPM they read as bpm.
    notes = _notes([60, 62, 64, 65] * 4, beat_s=60.0 / bpm)

    assert estimate_tempo_bpm(notes) == pytest.approx(bpm, rel=0.03)


def test_tempo_of_a_rhythm_with_eighths_and_halves_is_the_beat():
    onsets_s = [0.0, 0.5, 0.75, 1.0, 2.0, 2.5, 2.75, 3.0, 4.0, 4.5, 5.0, 5.5]  # 120 BPM
    notes = [Note(onset_s=t, duration_s=0.2, midi_pitch=60) for t in onsets_s]

    assert estimate_tempo_bpm(notes) == pytest.approx(120.0, rel=0.03)


def test_tempo_is_zero_with_too_few_notes():
    assert estimate_tempo_bpm(_notes([60, 62, 64])) == 0.0


def test_key_of_a_c_major_scale():
    key = estimate_key(_notes([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]))

    assert (key.tonic, key.mode) == ("C", "major")
    assert key.confidence > 0.7


def test_key_of_an_a_minor_melody_weighted_by_duration():
    pitches = [57, 60, 64, 57, 59, 60, 62, 64, 57, 56, 57]
    notes = [
        Note(onset_s=i * 0.5, duration_s=1.0 if p == 57 else 0.3, midi_pitch=p)
        for i, p in enumerate(pitches)
    ]

    key = estimate_key(notes)

    assert (key.tonic, key.mode) == ("A", "minor")


def test_key_is_unknown_without_notes_or_with_one_pitch_class():
    assert estimate_key([]).tonic == ""
    assert estimate_key(_notes([60, 72, 60])).mode == ""
