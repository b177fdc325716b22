"""extract_melody: a hummed melody becomes exactly its notes, phrases, tempo and key."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.f0.engines import UnknownEngineError
from services.pitch.melody import (
    MIN_DURATION_S,
    NO_MELODY_WARNING,
    SILENT_WARNING,
    RecordingTooShortError,
    extract_melody,
)
from tests.support.hums import C_MAJOR_PITCHES, C_MAJOR_SCALE_WITH_REST, hum_notes, synthesize_hum

SAMPLE_RATE_HZ = 16_000
ONSET_TOLERANCE_S = 0.05


def test_hummed_scale_with_a_rest_becomes_eight_notes_in_two_phrases():
    audio = synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ, vibrato_cents=40, noise_db=-30)

    melody = extract_melody(audio, SAMPLE_RATE_HZ)

    assert [note.midi_pitch for note in melody.notes] == list(C_MAJOR_PITCHES)
    for found, sung in zip(melody.notes, C_MAJOR_SCALE_WITH_REST, strict=True):
        assert found.onset_s == pytest.approx(sung.onset_s, abs=ONSET_TOLERANCE_S)
        assert found.duration_s == pytest.approx(sung.duration_s, abs=0.08)
        assert abs(found.cents_offset) <= 20
    assert [(p.first_note_index, p.note_count) for p in melody.phrases] == [(0, 4), (4, 4)]
    assert (melody.key.tonic, melody.key.mode) == ("C", "major")
    assert melody.engine == "swift"
    assert melody.warnings == []
    assert melody.contour is None


def test_44_1_khz_input_gives_the_same_notes_as_16_khz():
    notes = hum_notes([57, 60, 64, 62])
    at_16k = extract_melody(synthesize_hum(notes, 16_000), 16_000)
    at_44k = extract_melody(synthesize_hum(notes, 44_100), 44_100)

    assert (
        [n.midi_pitch for n in at_44k.notes]
        == [n.midi_pitch for n in at_16k.notes]
        == [57, 60, 64, 62]
    )


def test_repeated_notes_of_one_pitch_are_split_at_their_onsets():
    # Four notes on A3 broken only by 30 ms catches, as in "hm-hm-hm-hm".
    notes = hum_notes([57, 57, 57, 57], note_duration_s=0.45, gap_s=0.03)

    melody = extract_melody(synthesize_hum(notes, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ)

    assert [n.midi_pitch for n in melody.notes] == [57, 57, 57, 57]
    for found, sung in zip(melody.notes, notes, strict=True):
        assert found.onset_s == pytest.approx(sung.onset_s, abs=ONSET_TOLERANCE_S)


def test_wide_vibrato_on_a_held_note_stays_one_note():
    melody = extract_melody(
        synthesize_hum(hum_notes([64], note_duration_s=2.0), SAMPLE_RATE_HZ, vibrato_cents=80),
        SAMPLE_RATE_HZ,
    )

    assert [n.midi_pitch for n in melody.notes] == [64]
    assert melody.notes[0].duration_s == pytest.approx(2.0, abs=0.1)


def test_min_note_duration_drops_short_notes():
    notes = hum_notes([60, 67, 60], note_duration_s=0.12, gap_s=0.3)
    audio = synthesize_hum(notes, SAMPLE_RATE_HZ)

    assert len(extract_melody(audio, SAMPLE_RATE_HZ).notes) == 3
    assert extract_melody(audio, SAMPLE_RATE_HZ, min_note_duration_s=0.2).notes == []


def test_include_contour_returns_the_pitch_track():
    audio = synthesize_hum(hum_notes([69], note_duration_s=1.0), SAMPLE_RATE_HZ, vibrato_cents=0)

    contour = extract_melody(audio, SAMPLE_RATE_HZ, include_contour=True).contour

    assert contour is not None
    held = (contour.times_s > 0.45) & (contour.times_s < 1.15)
    assert np.median(contour.frequencies_hz[held]) == pytest.approx(440.0, rel=0.01)


def at_peak_dbfs(audio: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """The audio scaled to a peak level and stored as 16-bit PCM is."""
    scaled = audio / np.max(np.abs(audio)) * 10 ** (peak_dbfs / 20)
    return (np.round(scaled * 32767) / 32767).astype(np.float32)


@pytest.mark.parametrize("peak_dbfs", [-45.0, -60.0, -70.0])
def test_a_quiet_recording_gives_the_notes_of_a_loud_one_and_says_it_is_quiet(
    peak_dbfs: float,
) -> None:
    hum = synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ, noise_db=-30)

    loud = extract_melody(at_peak_dbfs(hum, -6.0), SAMPLE_RATE_HZ)
    quiet = extract_melody(at_peak_dbfs(hum, peak_dbfs), SAMPLE_RATE_HZ)

    assert [n.midi_pitch for n in quiet.notes] == [n.midi_pitch for n in loud.notes]
    assert [n.midi_pitch for n in loud.notes] == list(C_MAJOR_PITCHES)
    assert loud.warnings == []
    assert quiet.warnings == [
        f"the recording is very quiet (its loudest moment is {peak_dbfs:.0f} dBFS), so it was "
        "amplified to find the notes: sing closer to the microphone or raise its input level"
    ]


def test_a_recording_below_minus_80_dbfs_is_silent() -> None:
    hum = synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ)
    melody = extract_melody(hum / np.max(np.abs(hum)) * 10 ** (-85 / 20), SAMPLE_RATE_HZ)
    assert melody.notes == [] and melody.warnings == [SILENT_WARNING]


def test_silence_gives_zero_notes_and_a_warning():
    melody = extract_melody(np.zeros(SAMPLE_RATE_HZ * 2, dtype=np.float32), SAMPLE_RATE_HZ)

    assert melody.notes == [] and melody.phrases == []
    assert melody.warnings == [SILENT_WARNING]
    assert melody.duration_s == pytest.approx(2.0)
    assert melody.tempo_bpm == 0.0


def test_noise_without_a_melody_gives_zero_notes_and_a_warning():
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE_HZ * 2).astype(np.float32) * 0.1

    melody = extract_melody(noise, SAMPLE_RATE_HZ)

    assert melody.notes == []
    assert melody.warnings == [NO_MELODY_WARNING]


@pytest.mark.parametrize("engine", ["swift", "crepe-tiny"])
@pytest.mark.parametrize("duration_s", [1 / SAMPLE_RATE_HZ, 0.005, 0.02, 0.1, 0.24])
def test_a_clip_too_short_for_a_melody_is_refused_with_the_minimum(engine, duration_s):
    hum = synthesize_hum(hum_notes([64], note_duration_s=1.0, lead_in_s=0.0), SAMPLE_RATE_HZ)
    clip = hum[: max(1, round(duration_s * SAMPLE_RATE_HZ))]

    with pytest.raises(RecordingTooShortError, match=r"too short.*at least 0\.25 s") as refused:
        extract_melody(clip, SAMPLE_RATE_HZ, engine=engine)

    assert refused.value.duration_s == pytest.approx(len(clip) / SAMPLE_RATE_HZ)
    assert refused.value.min_duration_s == MIN_DURATION_S


def test_a_short_silent_clip_is_called_too_short_not_silent():
    with pytest.raises(RecordingTooShortError, match="20 ms long"):
        extract_melody(np.zeros(round(0.02 * 44_100), dtype=np.float32), 44_100)


def test_a_clip_just_over_the_minimum_is_transcribed():
    hum = synthesize_hum(hum_notes([67], note_duration_s=0.2, lead_in_s=0.03), SAMPLE_RATE_HZ)
    clip = hum[: round(0.26 * SAMPLE_RATE_HZ)]

    assert [n.midi_pitch for n in extract_melody(clip, SAMPLE_RATE_HZ).notes] == [67]


def test_unknown_engine_is_refused_with_the_valid_names():
    with pytest.raises(UnknownEngineError, match="swift, crepe-tiny, crepe-full"):
        extract_melody(np.zeros(1600, dtype=np.float32), SAMPLE_RATE_HZ, engine="yin")


def test_stereo_array_is_refused():
    with pytest.raises(ValueError, match="mono"):
        extract_melody(np.zeros((1600, 2), dtype=np.float32), SAMPLE_RATE_HZ)


@pytest.mark.parametrize("min_note_duration_s", [-1.0, float("nan"), float("inf"), 0.0, 3.0])
def test_a_shortest_note_that_is_no_duration_is_refused(min_note_duration_s: float) -> None:
    audio = synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ)
    with pytest.raises(ValueError, match=r"min_note_duration_s is .*; it must be a number of"):
        extract_melody(audio, SAMPLE_RATE_HZ, min_note_duration_s=min_note_duration_s)
