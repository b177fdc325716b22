"""Words to syllables, stress and phonemes: cmudict first, espeak-ng's rules otherwise."""

from __future__ import annotations

import pytest

from services.lyrics.espeak import ipa_to_arpabet
from services.lyrics.pronunciation import (
    guess_phonemes,
    pronounce,
    rhymes_with,
    split_syllables,
    syllable_counts,
)
from services.lyrics.text import words_of
from services.synth.phonemes import arpabet_to_ipa


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("love", 1), ("river", 2), ("beautiful", 3), ("melody", 3), ("electricity", 5)],
)
def test_dictionary_words_have_their_syllable_counts(word: str, syllables: int) -> None:
    assert pronounce(word).syllable_count == syllables
    assert not pronounce(word).guessed


def test_words_sung_either_way_offer_both_counts_and_prefer_the_shorter() -> None:
    assert syllable_counts("fire") == {1, 2}
    assert pronounce("fire").syllable_count == 1
    assert syllable_counts("every") == {2, 3}


def test_phonemes_are_grouped_by_maximal_onset() -> None:
    assert split_syllables(("AH0", "G", "EH1", "N")) == (("AH0",), ("G", "EH1", "N"))
    assert pronounce("monster").syllables == (("M", "AA1", "N"), ("S", "T", "ER0"))


def test_stress_follows_the_dictionary_and_function_words_are_weak() -> None:
    assert pronounce("again").stresses == (False, True)
    assert pronounce("river").stresses == (True, False)
    assert pronounce("the").stresses == (False,)
    assert pronounce("heart").stresses == (True,)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("zorblax", 2),
        ("flimbertastic", 4),
        ("brr", 1),
        ("snargle", 2),
        ("quizzate", 2),
        ("zoë's", 2),
        ("crème", 1),
        ("brûlée", 2),
        ("naïve", 2),
        ("señor", 2),
        ("dž", 1),
    ],
)
def test_unknown_words_are_said_by_espeak_from_their_spelling(word: str, syllables: int) -> None:
    guessed = pronounce(word)
    assert guessed.guessed
    assert guessed.syllable_count == syllables
    assert sum(p.endswith("1") for p in guessed.phonemes) == 1


def test_a_guess_never_lacks_a_vowel() -> None:
    assert any(p[-1].isdigit() for p in guess_phonemes("xkcd"))
    assert any(p[-1].isdigit() for p in guess_phonemes("shh"))


def test_accented_words_sound_as_in_english() -> None:
    assert pronounce("zoë's").phonemes == ("Z", "OW1", "IY0", "Z")
    assert pronounce("crème").phonemes == ("K", "R", "EH1", "M")
    assert pronounce("brûlée").phonemes[-1] == "EY1"


def test_every_arpabet_phoneme_survives_the_trip_through_espeaks_ipa() -> None:
    # The synth maps ARPAbet to espeak-ng's IPA; espeak's IPA maps back to the same sound.
    for phoneme in [
        "AA",
        "AE",
        "AH",
        "AO",
        "AW",
        "AY",
        "EH",
        "ER",
        "EY",
        "IH",
        "IY",
        "OW",
        "OY",
        "UH",
        "UW",
    ]:
        for stress in "120":
            assert ipa_to_arpabet("".join(arpabet_to_ipa((phoneme + stress,)))) == (
                phoneme + stress,
            )
    consonants = [
        "B",
        "CH",
        "D",
        "DH",
        "F",
        "G",
        "HH",
        "JH",
        "K",
        "L",
        "M",
        "N",
        "NG",
        "P",
        "R",
        "S",
        "SH",
        "T",
        "TH",
        "V",
        "W",
        "Y",
        "Z",
        "ZH",
    ]
    for consonant in consonants:
        assert ipa_to_arpabet("".join(arpabet_to_ipa((consonant,)))) == (consonant,)


def test_rhymes_share_the_last_stressed_vowel_onwards() -> None:
    assert rhymes_with("fire", "desire")
    assert rhymes_with("night", "light")
    assert not rhymes_with("night", "moon")
    assert not rhymes_with("night", "night")


def test_text_is_split_into_sung_words() -> None:
    assert words_of("Rock'n'roll, 2 hearts -- barbed-wire!") == [
        "rock'n'roll",
        "two",
        "hearts",
        "barbed",
        "wire",
    ]
