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


def test_user_lyrics_are_fitted_keeping_their_words_where_they_fit() -> None:
    user = "Hold me close tonight\nUnder the silver moon we dance again and again"
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of([5, 6]), user_lyrics=user, rhyme_scheme="none", seed=2),
        SETTINGS,
    )

    assert lyrics.lines[0].text == "Hold me close tonight"  # five syllables already
    assert lyrics.lines[1].text.lower().startswith("under the")
    assert [len(line.syllables) for line in lyrics.lines] == [5, 6]
    assert lyrics.fit.raw_syllable_match_rate == 0.5
    assert lyrics.fit.locally_repaired_lines == 1
    assert lyrics.provider == "local"


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
