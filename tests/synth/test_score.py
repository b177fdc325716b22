"""Requests that cannot be sung are refused before any audio work, with clear messages."""

from __future__ import annotations

import pytest

from services.common.music import Melody, Note, Syllable
from services.synth.render import sing
from services.synth.score import make_score
from services.synth.types import (
    Engine,
    RangePolicy,
    SingOptions,
    SingRequest,
    SynthInputError,
)
from tests.support.songs import TWINKLE, song


def _three_notes(*pitches: int, duration_s: float = 0.5) -> Melody:
    notes = [Note(0.5 * i, duration_s, p) for i, p in enumerate(pitches)]
    return Melody(notes=notes, phrases=[], duration_s=1.5, engine="test")


def _la(count: int) -> list[Syllable]:
    return [Syllable("la", i, phonemes=("L", "AA1")) for i in range(count)]


def _score(melody: Melody, syllables: list[Syllable], **options: object):
    return make_score(
        melody,
        syllables,
        SingOptions(**options),  # type: ignore[arg-type]
        voice_range_midi=(45, 69),
        max_duration_s=300.0,
    )


def test_unknown_voice_lists_the_valid_ones() -> None:
    melody, syllables = song(TWINKLE)
    with pytest.raises(SynthInputError, match=r"unknown voice 'nobody'.*festival, joe, joe-high"):
        sing(SingRequest(melody, syllables, voice_id="nobody"))


def test_empty_lyrics_are_refused() -> None:
    with pytest.raises(SynthInputError, match="lyrics are empty"):
        _score(_three_notes(60, 62, 64), [])


def test_fewer_syllables_than_notes_is_a_mismatch() -> None:
    with pytest.raises(
        SynthInputError, match=r"2 syllable\(s\) cover 2 note\(s\) but the melody has 3"
    ):
        _score(_three_notes(60, 62, 64), _la(2))


def test_syllables_out_of_order_name_the_note() -> None:
    syllables = [Syllable("la", 0), Syllable("la", 2), Syllable("la", 1)]
    with pytest.raises(
        SynthInputError,
        match=r"^syllable 2 \('la'\) is on note 3 \(note_index 2\) but note 2 comes",
    ):
        _score(_three_notes(60, 62, 64), syllables)


@pytest.mark.parametrize(
    ("texts", "named"),
    [
        (("при", "вет", "мир"), "'при', 'вет', 'мир'"),
        (("😀", "東", "la"), "'😀', '東'"),
        (("١٢", "la", "-"), "'١٢', '-'"),
    ],
)
def test_syllables_no_voice_can_say_from_their_spelling_are_refused_by_name(
    texts: tuple[str, ...], named: str
) -> None:
    """Festival failed on them (a 500); piper spelled them out letter by letter."""
    syllables = [Syllable(text, index) for index, text in enumerate(texts)]
    with pytest.raises(SynthInputError, match=f"cannot be sung: {named}.*ARPAbet phonemes"):
        _score(_three_notes(60, 62, 64), syllables)


def test_any_spelling_is_sung_when_its_phonemes_are_given() -> None:
    syllables = [Syllable(text, index, phonemes=("M", "IY1")) for index, text in enumerate("😀東-")]
    assert _score(_three_notes(60, 62, 64), syllables).phrases


def test_latin_letters_with_accents_and_digits_are_said_from_their_spelling() -> None:
    syllables = [Syllable(text, index) for index, text in enumerate(("Zoë", "naïve", "2"))]
    assert _score(_three_notes(60, 62, 64), syllables).phrases


@pytest.mark.parametrize("midi_pitch", [0, 127])
def test_absurd_pitches_are_refused(midi_pitch: int) -> None:
    with pytest.raises(SynthInputError, match=f"MIDI pitch {midi_pitch}, outside"):
        _score(_three_notes(60, midi_pitch, 64), _la(3))


@pytest.mark.parametrize("duration_s", [0.0, -0.2])
def test_notes_without_duration_are_refused(duration_s: float) -> None:
    melody = _three_notes(60, 62, 64, duration_s=duration_s)
    with pytest.raises(SynthInputError, match="needs a positive duration"):
        _score(melody, _la(3))


def test_bad_arpabet_is_refused_when_sung() -> None:
    melody = _three_notes(60, 62, 64)
    syllables = [*_la(2), Syllable("la", 2, phonemes=("L", "QQ1"))]
    with pytest.raises(SynthInputError, match="'QQ1' is not an ARPAbet phoneme"):
        list(sing(SingRequest(melody, syllables)))


def test_errors_come_before_the_first_event() -> None:
    # sing() validates eagerly, so a server can refuse before it starts streaming.
    with pytest.raises(SynthInputError):
        sing(SingRequest(_three_notes(60, 62, 64), _la(3), engine=Engine.BARK, voice_id="joe"))


def test_out_of_range_options_are_refused() -> None:
    with pytest.raises(SynthInputError, match=r"^tempo_scale must be within 0\.25\.\.4, not 10$"):
        _score(_three_notes(60, 62, 64), _la(3), tempo_scale=10.0)
    with pytest.raises(SynthInputError, match=r"transpose_semitones must be .*, not -30$"):
        _score(_three_notes(60, 62, 64), _la(3), transpose_semitones=-30)
    with pytest.raises(SynthInputError, match="breathiness"):
        _score(_three_notes(60, 62, 64), _la(3), breathiness=2.0)


def test_melody_in_range_is_not_moved() -> None:
    score = _score(_three_notes(57, 60, 64), _la(3))
    assert score.applied_transpose_semitones == 0


def test_high_melody_moves_down_by_octaves_and_keeps_its_key() -> None:
    score = _score(_three_notes(76, 79, 81), _la(3))
    assert score.applied_transpose_semitones == -12
    assert [n.midi_pitch for n in score.phrases[0].notes] == [64, 67, 69]


def test_fit_semitones_centres_the_melody_and_transpose_adds_on_top() -> None:
    score = _score(
        _three_notes(76, 79, 81),
        _la(3),
        range_policy=RangePolicy.FIT_SEMITONES,
        transpose_semitones=2,
    )
    # Range centre 57, melody centre 78.5 -> -22 (rounded), then +2.
    assert score.applied_transpose_semitones == -20


def test_tempo_scale_shortens_the_timeline() -> None:
    score = _score(_three_notes(60, 62, 64), _la(3), tempo_scale=2.0)
    assert [n.onset_s for n in score.phrases[0].notes] == pytest.approx([0.0, 0.25, 0.5])


def test_rests_split_phrases_and_notes_are_legato_inside_one() -> None:
    notes = [Note(0.0, 0.4, 60), Note(0.45, 0.4, 62), Note(1.5, 0.5, 64)]
    score = _score(Melody(notes, [], 2.0, "test"), _la(3))
    assert [len(p.notes) for p in score.phrases] == [2, 1]
    first = score.phrases[0].notes[0]
    assert first.offset_s == pytest.approx(0.45)  # held until the next note, no gap


def test_a_word_split_over_notes_stays_one_word() -> None:
    melody, syllables = song(TWINKLE)
    score = _score(melody, syllables)
    assert score.phrases[0].lyrics_text() == "twinkle twinkle little star"
