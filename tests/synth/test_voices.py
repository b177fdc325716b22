"""The voice registry, pronunciation, and a voice whose software is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from services.common.music import Melody, Note, Syllable
from services.synth.engines import festival
from services.synth.phonemes import arpabet_to_ipa, split_syllable, split_word_into_syllables
from services.synth.render import sing
from services.synth.types import Engine, SingRequest, SynthInputError
from services.synth.voices import (
    LOCAL_VOICES,
    RANGES_PATH,
    VoiceUnavailableError,
    all_voices,
    measured_range,
    unavailable_reason,
    voice_info,
)


def test_every_voice_has_a_range_a_rate_and_a_licence() -> None:
    voices = all_voices()
    assert {v.voice_id for v in voices if v.engine is Engine.LOCAL} == {
        "joe",
        "slt",
        "joe-high",
        "festival",
    }
    for voice in voices:
        assert voice.lowest_midi + 12 <= voice.highest_midi
        assert voice.sample_rate_hz >= 16000
        assert voice.licence
    assert "CC0" in voice_info(Engine.LOCAL, "joe").licence
    assert "EST-2003" in voice_info(Engine.LOCAL, "slt").licence


def test_local_ranges_are_the_measured_ones_and_every_pitch_swept_inside_passed() -> None:
    stored = json.loads(RANGES_PATH.read_text(encoding="utf-8"))
    bar = stored["bar"]
    for voice_id, voice in LOCAL_VOICES.items():
        measured = stored["voices"][voice_id]
        assert (voice.info.lowest_midi, voice.info.highest_midi) == (
            measured["lowest_midi"],
            measured["highest_midi"],
        )
        span_low, span_high = measured["natural_span_midi"]
        assert span_low <= voice.info.lowest_midi <= voice.info.highest_midi <= span_high
        swept = {figure["midi_pitch"]: figure for figure in measured["pitches"]}
        assert voice.info.lowest_midi in swept and voice.info.highest_midi in swept
        for midi_pitch, figure in swept.items():
            if voice.info.lowest_midi <= midi_pitch <= voice.info.highest_midi:
                assert figure["median_cents"] <= bar["max_median_cents"]
                assert figure["voiced_share"] >= bar["min_voiced_share"]
                assert figure["word_error_rate"] <= bar["max_word_error_rate"]
        # Each end is the last pitch that passed: the next one out failed or ends the span.
        below, above = voice.info.lowest_midi - 1, voice.info.highest_midi + 1
        assert below < span_low or not _passed(swept[below], bar)
        assert above > span_high or not _passed(swept[above], bar)


def _passed(figure: dict[str, float | None], bar: dict[str, float]) -> bool:
    wer = figure["word_error_rate"]
    return (
        (figure["median_cents"] or 0.0) <= bar["max_median_cents"]
        and (figure["voiced_share"] or 0.0) >= bar["min_voiced_share"]
        and wer is not None
        and wer <= bar["max_word_error_rate"]
    )


def test_the_womans_voice_sings_higher_than_the_mans() -> None:
    joe, slt = voice_info(Engine.LOCAL, "joe"), voice_info(Engine.LOCAL, "slt")
    assert slt.lowest_midi >= joe.lowest_midi + 7
    assert slt.highest_midi >= joe.highest_midi + 7
    assert slt.highest_midi >= 76  # E5: a hum around A4 fits without moving an octave


def test_a_range_that_was_never_measured_is_refused_with_the_command(tmp_path: Path) -> None:
    path = tmp_path / "ranges.json"
    path.write_text('{"voices": {}}', encoding="utf-8")
    with pytest.raises(RuntimeError, match=re.escape("python -m bench.voice_ranges --write slt")):
        measured_range("slt", path)


def test_replicate_voices_are_unavailable_without_a_token() -> None:
    bark = voice_info(Engine.BARK, "")
    assert "set REPLICATE_API_TOKEN" in (unavailable_reason(bark, replicate_configured=False) or "")
    assert unavailable_reason(bark, replicate_configured=True) is None


def test_festival_reports_itself_missing_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(festival.shutil, "which", lambda name: None)
    info = voice_info(Engine.LOCAL, "festival")
    assert "apt-get install festival" in (
        unavailable_reason(info, replicate_configured=False) or ""
    )
    melody = Melody([Note(0.0, 0.5, 50)], [], 0.5, "test")
    with pytest.raises(VoiceUnavailableError, match="available voices: joe, joe-high"):
        sing(SingRequest(melody, [Syllable("la", 0)], voice_id="festival"))


def _phone(name: str, start_s: float, end_s: float, syllable: int, token: int) -> festival.Phone:
    vowel = name in {"ax", "ih", "ay"}
    return festival.Phone(name, start_s, end_s, vowel, name != "t", syllable, token)


def test_festival_syllables_are_matched_to_ours_by_vowels() -> None:
    # "lit-tle" as Festival's two syllables, "fire" as one sung on two notes.
    phones = [
        _phone("pau", 0.0, 0.2, 0, 0),
        _phone("l", 0.2, 0.3, 1, 1),
        _phone("ih", 0.3, 0.4, 1, 1),
        _phone("t", 0.4, 0.5, 2, 1),
        _phone("ax", 0.5, 0.6, 2, 1),
        _phone("l", 0.6, 0.7, 2, 1),
        _phone("f", 0.7, 0.8, 3, 3),
        _phone("ay", 0.8, 1.1, 3, 3),
        _phone("r", 1.1, 1.2, 3, 3),
    ]
    # Words agree, syllables differ: "little" is one syllable of ours, "fire" two.
    assigned = festival.assign_syllables(phones, [1, 2])
    assert [[p.name for p in s] for s in assigned] == [
        ["l", "ih", "t", "ax", "l"],
        ["f", "ay"],
        ["ay", "r"],
    ]
    assert assigned[1][1].end_s == pytest.approx(0.95) == assigned[2][0].start_s
    # Words disagree (one word of ours): matched over the phrase, extras merged.
    merged = festival.assign_syllables(phones, [2])
    assert [[p.name for p in s] for s in merged] == [
        ["l", "ih"],
        ["t", "ax", "l", "f", "ay", "r"],
    ]


def test_arpabet_becomes_the_voice_symbols() -> None:
    assert arpabet_to_ipa(["HH", "AE1", "P"]) == ["h", "ˈ", "æ", "p"]
    assert arpabet_to_ipa(["S", "T", "AA1", "R"]) == ["s", "t", "ˈ", "ɑ", "ː", "ɹ"]
    assert arpabet_to_ipa(["D", "ER0"]) == ["d", "ɚ"]


def test_a_syllable_splits_into_onset_nucleus_and_coda() -> None:
    parts = split_syllable(arpabet_to_ipa(["S", "T", "AY1", "L"]))
    assert parts.onset == ("s", "t")
    assert parts.nucleus == ("ˈ", "a", "ɪ")
    assert parts.coda == ("l",)


def test_a_word_is_divided_with_the_consonant_on_the_later_syllable() -> None:
    symbols = list("hˈæpi")
    assert split_word_into_syllables(symbols, 2, "happy") == [list("hˈæ"), list("pi")]
    with pytest.raises(SynthInputError, match="'happy' has 2 syllable"):
        split_word_into_syllables(symbols, 3, "happy")


@pytest.mark.skipif(festival.unavailable_reason() is not None, reason="Festival not installed")
def test_festival_sings_words_it_syllabifies_itself() -> None:
    # No ARPAbet: Festival's own lexicon; a quote in the text must not break its script.
    melody = Melody([Note(0.0, 0.5, 55), Note(0.5, 0.5, 57), Note(1.0, 1.0, 59)], [], 2.0, "t")
    syllables = [
        Syllable('"fire', 0),
        Syllable("fly", 1, starts_word=False),
        Syllable('light"', 2, starts_word=False),
    ]
    events = list(sing(SingRequest(melody, syllables, voice_id="festival")))
    assert any(getattr(event, "data", b"") for event in events)


@pytest.mark.skipif(festival.unavailable_reason() is not None, reason="Festival not installed")
@pytest.mark.parametrize("voice_id", ["festival", "slt"])
@pytest.mark.parametrize("texts", [("при", "вет"), ("你", "好"), ("🎵", "-")])
def test_festival_voices_sing_any_spelling_whose_phonemes_are_given(
    voice_id: str, texts: tuple[str, str]
) -> None:
    """Festival fails on letters it cannot read; a word with phonemes needs no reading."""
    melody = Melody([Note(0.0, 0.5, 60), Note(0.5, 0.5, 62)], [], 1.0, "t")
    syllables = [
        Syllable(texts[0], 0, phonemes=("P", "R", "IY1")),
        Syllable(texts[1], 1, phonemes=("V", "EH1", "T")),
    ]
    events = list(sing(SingRequest(melody, syllables, voice_id=voice_id)))
    assert any(getattr(event, "data", b"") for event in events)
