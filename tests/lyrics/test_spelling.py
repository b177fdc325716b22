"""A theme's British spelling is kept in every line the local lyricist writes, and the
names it sings have their capitals."""

from __future__ import annotations

import re

import pytest

from services.lyrics.domain import LyricsRequest
from services.lyrics.spelling import american_form, respelled, theme_spellings, with_capitals
from services.lyrics.writer import write_lyrics
from tests.support.songs import TWINKLE, song


@pytest.mark.parametrize(
    ("british", "american"),
    [("harbour", "harbor"), ("colours", "colors"), ("theatre", "theater"), ("grey", "gray")],
)
def test_regular_british_spellings_have_an_american_form(british: str, american: str) -> None:
    assert american_form(british) == american


@pytest.mark.parametrize("word", ["four", "hour", "acre", "there", "rise", "promise"])
def test_words_that_only_look_british_are_left_alone(word: str) -> None:
    assert theme_spellings(f"the {word} of it") == {}


def test_a_line_is_respelled_the_themes_way_with_its_case_kept() -> None:
    spellings = theme_spellings("the harbour at night")
    assert respelled("Harbor lights by the harbor", spellings) == "Harbour lights by the harbour"
    assert respelled("Boats in the harbors", spellings) == "Boats in the harbours"
    assert respelled("Harbor lights", theme_spellings("the harbor at night")) == "Harbor lights"


def test_a_song_about_the_harbour_never_spells_it_harbor() -> None:
    melody, _ = song(TWINKLE)
    sung = " ".join(
        line.text
        for seed in range(12)
        for line in write_lyrics(
            LyricsRequest(melody=melody, theme="the harbour at night", seed=seed)
        ).lines
    ).lower()
    assert "harbour" in sung
    assert "harbor " not in sung + " " and "harbors" not in sung


def test_months_days_and_holidays_are_written_with_a_capital() -> None:
    assert with_capitals("Oh, july, till sunday") == "Oh, July, till Sunday"
    assert with_capitals("We march in may") == "We march in may"  # also everyday words
    assert with_capitals("the julyish sky") == "the julyish sky"


def test_a_song_that_sings_a_month_writes_it_with_a_capital() -> None:
    lines = [
        line.text
        for seed in range(40)
        for line in write_lyrics(
            LyricsRequest(syllables_per_line=(7, 7, 7, 7), theme="july", seed=seed)
        ).lines
    ]

    assert any("July" in line for line in lines)
    assert not any(re.search(r"\bjuly\b", line) for line in lines)
