"""write_lyrics: requests it refuses with a readable reason, and user lyrics it fits."""

from __future__ import annotations

import pytest

from services.lyrics.domain import LyricsRequest
from services.lyrics.errors import LyricsInputError
from services.lyrics.writer import write_lyrics
from tests.lyrics.builders import melody_of, settings_for

SETTINGS = settings_for(lyrics_max_theme_chars=100)


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (LyricsRequest(syllables_per_line=(4,), language="fr"), "only English"),
        (LyricsRequest(syllables_per_line=(4,), theme="x" * 101), "at most 100"),
        (LyricsRequest(syllables_per_line=(4,), rhyme_scheme="A1"), "rhyme scheme"),
        (LyricsRequest(syllables_per_line=(4,), provider="gemini"), "unknown provider"),
        (LyricsRequest(syllables_per_line=(4,), provider="openai"), "OPENAI_API_KEY"),
        (LyricsRequest(melody=melody_of([3]), syllables_per_line=(3,)), "not both"),
        (LyricsRequest(), "at least one line"),
        (LyricsRequest(syllables_per_line=(4,), user_lyrics="?! ..."), "no words"),
    ],
)
def test_unservable_requests_are_refused_with_a_reason(
    request_: LyricsRequest, reason: str
) -> None:
    with pytest.raises(LyricsInputError, match=reason):
        write_lyrics(request_, SETTINGS)


@pytest.mark.parametrize("language", ["en", "en-US", "English", ""])
def test_english_in_any_spelling_is_accepted(language: str) -> None:
    lyrics = write_lyrics(LyricsRequest(syllables_per_line=(3,), language=language), SETTINGS)
    assert len(lyrics.lines[0].syllables) == 3


def test_user_lyrics_one_line_per_phrase_are_sung_as_written_with_melismas() -> None:
    user = "Hold me close tonight\nUnder the silver moon"
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of([5, 8]), user_lyrics=user, rhyme_scheme="none", seed=2),
        SETTINGS,
    )

    assert [line.text for line in lyrics.lines] == [
        "Hold me close tonight",
        "Under the silver moon",
    ]
    assert [sum(s.note_count for s in line.syllables) for line in lyrics.lines] == [5, 8]
    assert [len(line.syllables) for line in lyrics.lines] == [5, 6]
    assert lyrics.provider == "user"
    assert lyrics.fit.syllable_match_rate == 1.0
    assert lyrics.fit.locally_repaired_lines == 0
    assert any("line 2 has 6 syllables for 8 notes" in w for w in lyrics.warnings)


def test_user_lyrics_in_one_paragraph_are_spread_over_the_phrases() -> None:
    lyrics = write_lyrics(
        LyricsRequest(
            syllables_per_line=(3, 3, 4),
            user_lyrics="hold me close under the moon all night long",
            rhyme_scheme="none",
        ),
        SETTINGS,
    )

    assert [line.text for line in lyrics.lines] == [
        "hold me close",
        "under the",
        "moon all night long",
    ]
    assert lyrics.fit.locally_repaired_lines == 0
    assert "1 line and the melody 3 phrases" in lyrics.warnings[0]


def test_user_lyrics_longer_than_their_notes_are_refused_naming_the_line() -> None:
    with pytest.raises(
        LyricsInputError,
        match=r"line 2 .* has 7 syllables but its phrase has 6 notes: 1 syllable \(light\) does",
    ):
        write_lyrics(
            LyricsRequest(
                syllables_per_line=(3, 6), user_lyrics="hold me close\nunder the silver moonlight"
            ),
            SETTINGS,
        )
