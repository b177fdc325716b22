"""Words to syllables, stress and phonemes: cmudict first, letter-to-sound otherwise."""

from __future__ import annotations

import pytest

from services.lyrics.pronunciation import (
    guess_phonemes,
    pronounce,
    rhymes_with,
    split_syllables,
    syllable_counts,
    words_of,
)


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
    [("zorblax", 2), ("flimbertastic", 4), ("brr", 1), ("snargle", 2), ("quizzate", 2)],
)
def test_unknown_words_are_guessed_from_their_spelling(word: str, syllables: int) -> None:
    guessed = pronounce(word)
    assert guessed.guessed
    assert guessed.syllable_count == syllables
    assert sum(p.endswith("1") for p in guessed.phonemes) == 1


def test_a_guess_never_lacks_a_vowel() -> None:
    assert any(p[-1].isdigit() for p in guess_phonemes("xkcd"))


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
