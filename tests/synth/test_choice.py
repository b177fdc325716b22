"""voice=auto: the voice whose measured range holds the melody as hummed; a named voice wins."""

from __future__ import annotations

import pytest

from services.common.music import Melody, Note, Syllable
from services.synth.choice import (
    candidate_voices,
    choose_voice,
    note_name,
    transposition_reason,
)
from services.synth.engines import festival
from services.synth.render import sing
from services.synth.types import Engine, RangePolicy, SingOptions, SingRequest, SingSummary
from services.synth.voices import VoiceInfo, VoiceUnavailableError

needs_festival = pytest.mark.skipif(
    festival.unavailable_reason(festival.SLT) is not None, reason="slt not installed"
)


def voice(voice_id: str, lowest_midi: int, highest_midi: int) -> VoiceInfo:
    return VoiceInfo(voice_id, voice_id, Engine.LOCAL, lowest_midi, highest_midi, 22050, "", "")


LOW, HIGH = voice("low", 40, 67), voice("high", 55, 81)


def test_a_hum_around_a4_is_given_the_high_voice() -> None:
    choice = choose_voice([64, 67, 69, 71, 72, 69], [LOW, HIGH])
    assert choice.voice_id == "high"
    assert "high holds 6 of 6 notes as hummed (median A4)" in choice.reason
    assert "low 2" in choice.reason  # what the other voice would have held


def test_a_hum_around_a2_is_given_the_low_voice() -> None:
    assert choose_voice([43, 45, 47, 45, 41], [LOW, HIGH]).voice_id == "low"


def test_the_voice_holding_more_notes_wins_over_the_nearer_centre() -> None:
    # Median 66 is nearer HIGH's centre (68) but LOW holds all five notes, HIGH only three.
    assert choose_voice([50, 52, 66, 66, 67], [LOW, HIGH]).voice_id == "low"


def test_a_melody_inside_both_ranges_goes_to_the_range_it_is_nearest_the_middle_of() -> None:
    assert choose_voice([57, 59, 60], [LOW, HIGH]).voice_id == "low"
    assert choose_voice([62, 64, 65, 67], [LOW, HIGH]).voice_id == "high"


def test_an_exact_tie_goes_to_the_first_candidate() -> None:
    assert choose_voice([60], [voice("a", 50, 70), voice("b", 50, 70)]).voice_id == "a"


def test_with_no_candidate_the_choice_says_so() -> None:
    with pytest.raises(VoiceUnavailableError, match="no local voice"):
        choose_voice([60], [])


def test_note_names_are_scientific_pitch_notation() -> None:
    assert [note_name(p) for p in (21, 45, 60, 69, 81)] == ["A0", "A2", "C4", "A4", "A5"]


def test_the_transposition_is_explained() -> None:
    pitches = [45, 47, 48]
    fit = transposition_reason(
        pitches,
        HIGH,
        applied_semitones=12,
        requested_semitones=0,
        range_policy=RangePolicy.FIT_OCTAVES,
    )
    assert fit == "moved up 1 octave to fit (3 of 3 notes in range)"
    kept = transposition_reason(
        [60, 62], LOW, applied_semitones=2, requested_semitones=2, range_policy=RangePolicy.KEEP
    )
    assert kept == "pitches kept as given, then +2 semitones as asked (2 of 2 notes in range)"


def test_only_the_two_genuine_voices_are_chosen_and_joe_alone_without_festival(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if festival.unavailable_reason(festival.SLT) is None:
        assert [info.voice_id for info in candidate_voices()] == ["joe", "slt"]
    monkeypatch.setattr(festival.shutil, "which", lambda name: None)
    assert [info.voice_id for info in candidate_voices()] == ["joe"]
    assert choose_voice([69, 71], candidate_voices()).voice_id == "joe"


def _summary(request: SingRequest) -> SingSummary:
    events = list(sing(request))
    assert isinstance(events[-1], SingSummary)
    return events[-1]


def _two_notes(pitch: int) -> tuple[Melody, list[Syllable]]:
    melody = Melody([Note(0.0, 0.4, pitch), Note(0.4, 0.6, pitch + 2)], [], 1.0, "test")
    return melody, [Syllable("la", 0), Syllable("la", 1)]


@needs_festival
def test_no_voice_means_auto_and_the_summary_says_which_and_why() -> None:
    melody, syllables = _two_notes(69)  # A4, B4: a high voice's notes
    summary = _summary(SingRequest(melody, syllables))
    assert summary.voice_id == "slt"
    assert summary.applied_transpose_semitones == 0
    assert summary.voice_reason.startswith("voice auto: slt holds 2 of 2 notes as hummed")
    assert summary.transposition_reason == "not transposed to fit (2 of 2 notes in range)"
    low = _summary(SingRequest(*_two_notes(43), voice_id="auto"))  # G2, A2
    assert (low.voice_id, low.applied_transpose_semitones) == ("joe", 0)


def test_a_named_voice_always_wins_and_is_moved_into_its_range() -> None:
    melody, syllables = _two_notes(72)
    summary = _summary(
        SingRequest(melody, syllables, voice_id="joe", options=SingOptions(tempo_scale=2.0))
    )
    assert summary.voice_id == "joe"
    assert summary.voice_reason == "voice joe as asked"
    assert summary.applied_transpose_semitones == -12
    assert summary.transposition_reason.startswith("moved down 1 octave to fit")


def test_the_users_transposition_moves_the_song_within_the_chosen_voice() -> None:
    # Chosen as hummed (A2, B2: the low voice), then moved up the octave asked for.
    melody, syllables = _two_notes(45)
    summary = _summary(SingRequest(melody, syllables, options=SingOptions(transpose_semitones=12)))
    assert summary.voice_id == "joe"
    assert summary.applied_transpose_semitones == 12
    assert summary.transposition_reason == (
        "not transposed to fit, then +12 semitones as asked (2 of 2 notes in range)"
    )
