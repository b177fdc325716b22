"""How a written word breaks into the syllables a score prints under its notes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.lyrics.syllables import spell_syllables


@pytest.mark.parametrize(
    ("word", "count", "pieces"),
    [
        # where a dictionary breaks the word, not where its letters happen to spell words
        ("another", 3, "an-oth-er"),
        ("together", 3, "to-geth-er"),
        ("nothing", 2, "noth-ing"),
        ("somewhere", 2, "some-where"),
        ("people", 2, "peo-ple"),
        ("forever", 3, "for-ev-er"),
        ("different", 3, "dif-fer-ent"),
        ("nineteen", 2, "nine-teen"),
        # the usual cuts stay where the dictionary has no other
        ("happy", 2, "hap-py"),
        ("window", 2, "win-dow"),
        ("moment", 2, "mo-ment"),
        ("melody", 3, "me-lo-dy"),
        # more syllables than vowel groups: the groups split between their letters
        ("idea", 3, "i-de-a"),
        ("piano", 3, "pi-a-no"),
        ("fire", 2, "fi-re"),
        # a silent "e" inside the word stays with the syllable before it
        ("nineties", 2, "nine-ties"),
        ("evening", 2, "eve-ning"),
        ("homeless", 2, "home-less"),
        ("different", 2, "dif-ferent"),
        # a sung "m" or "n" after the last vowel is a syllable of its own
        ("prism", 2, "pri-sm"),
        ("rhythm", 2, "rhy-thm"),
        # contractions: "n't" after a consonant and "'ve" are syllables of their own
        ("couldn't", 2, "could-n't"),
        ("doesn’t", 2, "does-n’t"),
        ("mustn't", 2, "must-n't"),
        ("wouldn't've", 3, "would-n't-'ve"),
        ("would've", 2, "would-'ve"),
        ("y'all'd've", 2, "y'all'd-'ve"),
        ("haven't", 2, "ha-ven't"),
        ("heaven's", 2, "heav-en's"),
        # compounds part by part
        ("ninety-nine", 3, "nine-ty--nine"),
        ("well-known", 2, "well--known"),
        ("rock'n'roll", 3, "rock-'n'-roll"),
        # letters outside ASCII
        ("brûlée", 2, "brû-lée"),
        ("naïve", 2, "na-ïve"),
        ("Zoë", 2, "Zo-ë"),
        ("café", 2, "ca-fé"),
        ("Øresund", 2, "Øre-sund"),
    ],
)
def test_a_word_breaks_where_a_score_would_print_it(word: str, count: int, pieces: str) -> None:
    assert "-".join(spell_syllables(word, count)) == pieces


def test_a_word_shorter_than_its_syllables_is_held() -> None:
    assert spell_syllables("I", 2) == ["I", "-"]


@given(
    word=st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzéüø'-"), min_size=1, max_size=14),
    count=st.integers(1, 6),
)
def test_the_pieces_spell_the_word_one_per_syllable(word: str, count: int) -> None:
    pieces = spell_syllables(word, count)
    assert len(pieces) == count
    # the word's pieces in order, then a held "-" for each syllable it has no letters for
    assert any(
        "".join(pieces[:spelled]) == word and all(piece == "-" for piece in pieces[spelled:])
        for spelled in range(1, count + 1)
    )
    assert all(pieces)
