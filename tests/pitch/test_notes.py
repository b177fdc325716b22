"""segment_notes on f0 tracks built by hand: what makes a note and what does not."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.music import PitchTrack, midi_to_hz
from services.pitch.notes import (
    Valley,
    fold_octave_errors,
    loudness_dip_db,
    loudness_reattacks,
    onset_peaks,
    segment_notes,
)

HOP_S = 0.016


def _track(semitones: np.ndarray, voicing: np.ndarray | None = None) -> PitchTrack:
    """A track from fractional MIDI numbers per frame; NaN marks unvoiced frames."""
    voiced = np.isfinite(semitones)
    frequencies_hz = np.where(voiced, 440.0 * 2.0 ** ((np.nan_to_num(semitones) - 69) / 12), 0.0)
    if voicing is None:
        voicing = np.where(voiced, 0.95, 0.02)
    return PitchTrack(
        hop_s=HOP_S,
        times_s=np.arange(len(semitones), dtype=np.float64) * HOP_S,
        frequencies_hz=frequencies_hz,
        voicing_probabilities=voicing,
    )


def _frames(duration_s: float, value: float = np.nan) -> np.ndarray:
    return np.full(round(duration_s / HOP_S), value)


def test_steady_pitches_become_notes_with_their_pitch_and_timing():
    track = _track(
        np.concatenate([_frames(0.2), _frames(0.5, 60.0), _frames(0.5, 64.0), _frames(0.3)])
    )

    notes = segment_notes(track)

    assert [n.midi_pitch for n in notes] == [60, 64]
    assert notes[0].onset_s == pytest.approx(0.2, abs=HOP_S)
    assert notes[1].onset_s == pytest.approx(0.7, abs=HOP_S)
    assert notes[1].offset_s == pytest.approx(1.2, abs=2 * HOP_S)
    assert notes[1].frequency_hz == pytest.approx(midi_to_hz(64), rel=0.01)
    assert notes[0].confidence == pytest.approx(0.95, abs=0.01)


def test_a_detuned_singer_keeps_the_cents_offset():
    notes = segment_notes(_track(_frames(0.6, 62.35)))

    assert [(n.midi_pitch, round(n.cents_offset)) for n in notes] == [(62, 30)]


def test_vibrato_of_a_semitone_is_one_note_at_its_centre():
    t_s = np.arange(round(1.5 / HOP_S)) * HOP_S
    notes = segment_notes(_track(67.0 + 0.5 * np.sin(2 * np.pi * 5.5 * t_s)))

    assert len(notes) == 1
    assert notes[0].midi_pitch == 67 and abs(notes[0].cents_offset) <= 10


def test_a_glide_between_notes_does_not_add_a_note():
    glide = np.linspace(60.0, 65.0, round(0.08 / HOP_S))
    notes = segment_notes(_track(np.concatenate([_frames(0.4, 60.0), glide, _frames(0.4, 65.0)])))

    assert [n.midi_pitch for n in notes] == [60, 65]


def test_octave_errors_inside_a_note_are_ignored():
    semitones = _frames(0.8, 57.0)
    semitones[10:13] = 69.0  # the tracker jumped up an octave for 48 ms
    semitones[30:32] = 45.0  # and down one for 32 ms

    notes = segment_notes(_track(semitones))

    assert [n.midi_pitch for n in notes] == [57]


def test_a_brief_voicing_dropout_inside_a_held_note_does_not_split_it():
    semitones = _frames(1.0, 62.0)
    voicing = np.full(len(semitones), 0.95)
    semitones[30:33] = np.nan  # 48 ms where the tracker was unsure, as on a voiced consonant
    voicing[30:33] = 0.3

    assert len(segment_notes(_track(semitones, voicing))) == 1


def test_a_long_rest_splits_a_held_pitch_into_two_notes():
    semitones = np.concatenate([_frames(0.5, 62.0), _frames(0.25), _frames(0.5, 62.0)])

    assert [n.midi_pitch for n in segment_notes(_track(semitones))] == [62, 62]


def test_a_loudness_valley_splits_repeated_notes_of_one_pitch():
    semitones = _frames(1.0, 62.0)
    loudness_db = np.full(len(semitones), -12.0)
    loudness_db[30:34] = -40.0  # a 64 ms valley between two syllables on one pitch

    assert len(segment_notes(_track(semitones))) == 1
    notes = segment_notes(_track(semitones), loudness_db=loudness_db)
    assert [n.midi_pitch for n in notes] == [62, 62]
    assert notes[1].onset_s == pytest.approx(34 * HOP_S, abs=2 * HOP_S)


def test_an_onset_makes_a_short_neighbour_tone_a_note():
    semitones = np.concatenate([_frames(0.5, 60.0), _frames(0.064, 62.0), _frames(0.5, 60.0)])
    onset = np.zeros(len(semitones))
    onset[round(0.5 / HOP_S)] = 1.0  # the neighbour tone's attack
    onset[round(0.564 / HOP_S)] = 1.0  # and the return's

    assert [n.midi_pitch for n in segment_notes(_track(semitones))] == [60]
    assert [n.midi_pitch for n in segment_notes(_track(semitones), onset_strength=onset)] == [
        60,
        62,
        60,
    ]


def test_notes_shorter_than_the_minimum_duration_are_dropped():
    semitones = np.concatenate(
        [_frames(0.3), _frames(0.12, 60.0), _frames(0.3), _frames(0.5, 64.0)]
    )

    assert len(segment_notes(_track(semitones))) == 2
    assert [n.midi_pitch for n in segment_notes(_track(semitones), min_note_duration_s=0.2)] == [64]


def test_unvoiced_or_empty_tracks_give_no_notes():
    assert segment_notes(_track(_frames(1.0))) == []
    assert segment_notes(_track(np.zeros(0))) == []


def test_fold_octave_errors_moves_only_octave_jumps():
    semitones = np.array([60.0, 60.1, 72.0, 59.9, 60.0, 65.0, 60.0, 48.2, 60.0])

    folded = fold_octave_errors(semitones, window_frames=5)

    np.testing.assert_allclose(folded, [60.0, 60.1, 60.0, 59.9, 60.0, 65.0, 60.0, 60.2, 60.0])


def test_loudness_dip_is_the_depth_below_both_side_peaks_minus_the_margin():
    level_db = np.array([-10.0, -10.0, -20.0, -10.0, -10.0, -25.0, -25.0])

    dip_db = loudness_dip_db(level_db, radius_frames=1, margin_db=3.0)

    np.testing.assert_allclose(dip_db, [0.0, 0.0, 7.0, 0.0, 0.0, 0.0, 0.0])


def test_onset_peaks_keep_only_local_maxima():
    strength = np.array([0.1, 0.5, 0.3, 0.0, 0.0, 0.0, 0.8, 0.9, 0.2])

    np.testing.assert_allclose(
        onset_peaks(strength, radius_frames=1), [0, 0.5, 0, 0, 0, 0, 0, 0.9, 0]
    )


def test_a_scoop_into_a_note_is_its_attack_not_a_note_of_its_own():
    scoop = np.linspace(56.5, 59.0, 5)  # 80 ms sliding up into the note, ~30 semitones/s
    semitones = np.concatenate([_frames(0.2), scoop, _frames(0.5, 60.0)])
    onset = np.zeros(len(semitones))
    onset[round(0.2 / HOP_S)] = 1.0  # the scoop's attack
    onset[round(0.2 / HOP_S) + len(scoop)] = 1.0  # flux as the glide lands on the pitch

    notes = segment_notes(_track(semitones), onset_strength=onset)

    assert [n.midi_pitch for n in notes] == [60]
    assert notes[0].onset_s == pytest.approx(0.2, abs=HOP_S)


def _level_with_valleys(n_frames: int, valleys: dict[int, float]) -> np.ndarray:
    """A steady -12 dB level with a one-frame valley of the given depth at each frame."""
    level_db = np.full(n_frames, -12.0)
    for frame, depth_db in valleys.items():
        level_db[frame] = -12.0 - depth_db
    return level_db


def test_a_re_attack_splits_a_held_pitch_where_the_voice_comes_back():
    semitones = _frames(1.0, 62.0)  # the tracker hears one unbroken pitch
    floor_db = _level_with_valleys(len(semitones), {30: 40.0})  # a 10 ms silence in frame 30

    notes = segment_notes(_track(semitones), floor_db=floor_db)

    assert [n.midi_pitch for n in notes] == [62, 62]
    assert notes[1].onset_s == pytest.approx(31 * HOP_S, abs=HOP_S)
    # The first note ends where the level fell, not where the second begins.
    assert notes[0].offset_s == pytest.approx(30 * HOP_S, abs=HOP_S / 2)


def test_a_wobble_in_level_does_not_split_a_note():
    semitones = _frames(1.0, 62.0)
    floor_db = _level_with_valleys(len(semitones), {20: 3.5, 40: 4.5})  # under 5 dB

    assert len(segment_notes(_track(semitones), floor_db=floor_db)) == 1


def test_a_note_that_fades_out_into_a_valley_is_not_struck_again():
    semitones = np.concatenate([_frames(0.5, 62.0), _frames(0.3)])
    floor_db = np.full(len(semitones), -60.0)
    floor_db[: round(0.5 / HOP_S)] = np.linspace(-12.0, -40.0, round(0.5 / HOP_S))

    assert len(segment_notes(_track(semitones), floor_db=floor_db)) == 1


def test_a_short_note_is_not_merged_into_a_neighbour_across_a_re_attack():
    # Three struck notes of 48 ms each on one pitch, under a 50 ms minimum: dropped, not
    # merged into one 144 ms note.
    semitones = _frames(0.144, 69.0)
    floor_db = _level_with_valleys(len(semitones), {2: 40.0, 5: 40.0})

    assert segment_notes(_track(semitones), floor_db=floor_db, min_note_duration_s=0.05) == []
    short = segment_notes(_track(semitones), floor_db=floor_db, min_note_duration_s=0.03)
    assert [n.midi_pitch for n in short] == [69, 69, 69]


def test_loudness_reattacks_are_valleys_that_rise_again():
    level_db = np.array([-10.0, -10.0, -30.0, -25.0, -12.0, -10.0, -10.0, -20.0, -40.0, -60.0])

    valleys = loudness_reattacks(level_db, radius_frames=2, margin_db=3.0)

    # The valley at frames 2-3 lies 18 dB under the lower of its side peaks (-12 dB), 15 dB
    # beyond the margin; the level is back halfway (-21 dB) at frame 4. The fade at the
    # end never rises again.
    assert valleys == [Valley(start_frame=2, rise_frame=4, depth_db=15.0)]
