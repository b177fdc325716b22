"""Rhyme schemes: which lines must rhyme, and counting the rhymes achieved."""

from __future__ import annotations

import pytest

from services.lyrics.errors import LyricsInputError
from services.lyrics.rhyme import count_rhymes, rhyme_labels


def test_a_scheme_repeats_with_fresh_letters_per_stanza() -> None:
    assert rhyme_labels("AABB", 8) == ("A", "A", "B", "B", "C", "C", "D", "D")
    assert rhyme_labels("abab", 4) == ("A", "B", "A", "B")


def test_x_lines_and_single_letters_need_no_rhyme() -> None:
    assert rhyme_labels("XAXA", 4) == ("", "A", "", "A")
    assert rhyme_labels("ABCB", 4) == ("", "A", "", "A")


def test_none_means_no_rhymes() -> None:
    assert rhyme_labels("none", 3) == ("", "", "")


@pytest.mark.parametrize("scheme", ["AB1B", "A A B B C C D D E E F F G G H H I", "ab/ba?"])
def test_malformed_schemes_are_refused_with_a_readable_message(scheme: str) -> None:
    with pytest.raises(LyricsInputError, match="rhyme scheme"):
        rhyme_labels(scheme, 4)


def test_rhymes_are_counted_against_earlier_lines_of_the_group() -> None:
    labels = ("A", "A", "B", "B")
    assert count_rhymes(["night", "light", "sea", "tree"], labels) == (2, 2)
    assert count_rhymes(["night", "moon", "sea", "sea"], labels) == (2, 0)
