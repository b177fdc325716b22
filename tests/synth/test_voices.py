"""The voice registry, pronunciation, and a voice whose software is missing."""

from __future__ import annotations

import pytest

from services.common.music import Melody, Note
from services.synth import festival
from services.synth.phonemes import arpabet_to_ipa, split_syllable, split_word_into_syllables
from services.synth.render import sing
from services.synth.types import Engine, SingRequest, SungSyllable, SynthInputError
from services.synth.voices import (
    VoiceUnavailableError,
    all_voices,
    unavailable_reason,
    voice_info,
)


def test_every_voice_has_a_range_a_rate_and_a_licence() -> None:
    voices = all_voices()
    assert {v.voice_id for v in voices if v.engine is Engine.LOCAL} == {
        "joe",
        "joe-high",
        "festival",
    }
    for voice in voices:
        assert voice.lowest_midi + 12 <= voice.highest_midi
        assert voice.sample_rate_hz >= 16000
        assert voice.licence
    assert "CC0" in voice_info(Engine.LOCAL, "joe").licence


def test_the_higher_voice_sings_higher() -> None:
    joe, high = voice_info(Engine.LOCAL, "joe"), voice_info(Engine.LOCAL, "joe-high")
    assert high.lowest_midi >= joe.lowest_midi + 7
    assert high.highest_midi >= joe.highest_midi + 7


def test_replicate_voices_are_unavailable_without_a_token() -> None:
    bark = voice_info(Engine.BARK, "")
    assert unavailable_reason(bark, replicate_configured=False) == "REPLICATE_API_TOKEN is not set"
    assert unavailable_reason(bark, replicate_configured=True) is None


def test_festival_reports_itself_missing_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(festival.shutil, "which", lambda name: None)
    info = voice_info(Engine.LOCAL, "festival")
    assert "apt-get install festival" in (
        unavailable_reason(info, replicate_configured=False) or ""
    )
    melody = Melody([Note(0.0, 0.5, 50)], [], 0.5, "test")
    with pytest.raises(VoiceUnavailableError, match="available voices: joe, joe-high"):
        sing(SingRequest(melody, [SungSyllable("la", 0)], voice_id="festival"))


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
