"""The user's words on the notes: melismas for spare notes, never invented words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.lyrics.domain import LyricsRequest, Syllable
from services.lyrics.errors import LyricsInputError
from services.lyrics.user_lyrics import melisma_counts
from services.lyrics.writer import write_lyrics
from tests.lyrics.builders import melody_of, settings_for

SETTINGS = settings_for()


def sing(phrase_lengths: list[int], text: str) -> tuple[list[list[Syllable]], tuple[str, ...]]:
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of(phrase_lengths), user_lyrics=text, seed=1), SETTINGS
    )
    return [list(line.syllables) for line in lyrics.lines], lyrics.warnings


def spelled_words(syllables: list[Syllable]) -> list[str]:
    words: list[str] = []
    for syllable in syllables:
        if syllable.starts_word or not words:
            words.append(syllable.text)
        else:
            words[-1] += syllable.text
    return words


def test_the_field_lyrics_are_one_syllable_per_note_with_every_letter() -> None:
    lines, warnings = sing([7], "Don’t touch Zoë’s crème brûlée\n")
    assert [s.text for s in lines[0]] == ["Don’t", "touch", "Zo", "ë’s", "crème", "brû", "lée"]
    assert [s.note_count for s in lines[0]] == [1] * 7
    assert spelled_words(lines[0]) == ["Don’t", "touch", "Zoë’s", "crème", "brûlée"]
    assert warnings == ()


def test_spare_notes_become_melismas_at_the_line_end_first() -> None:
    lines, warnings = sing([9], "Don’t touch Zoë’s crème brûlée")
    assert [s.note_count for s in lines[0]] == [1, 1, 1, 1, 1, 1, 3]
    assert [s.note_index for s in lines[0]] == [0, 1, 2, 3, 4, 5, 6]
    assert warnings == (
        "the line has 7 syllables for 9 notes, so syllables are held (melisma): 'lée' over 3 notes",
    )


def test_many_spare_notes_are_shared_by_stressed_and_long_syllables() -> None:
    lines, _ = sing([12], "shine on me")
    counts = [s.note_count for s in lines[0]]
    assert sum(counts) == 12
    assert counts[-1] == max(counts)
    assert all(count > 1 for count in counts)


def test_one_syllable_can_carry_a_whole_phrase() -> None:
    lines, _ = sing([5], "ah")
    assert [(s.text, s.note_index, s.note_count) for s in lines[0]] == [("ah", 0, 5)]


def test_a_word_with_a_longer_pronunciation_fills_the_notes_before_any_melisma() -> None:
    lines, warnings = sing([2], "fire")
    assert len(lines[0]) == 2 and warnings == ()


def test_numbers_fill_notes_as_spoken_words() -> None:
    lines, warnings = sing([10, 10], "Call 911 in 2024\nat 10:30, Dr. Who, $5")
    assert spelled_words(lines[0]) == ["Call", "nine", "one", "one", "in", "twenty", "twenty-four"]
    assert spelled_words(lines[1]) == ["at", "ten", "thirty", "doctor", "Who", "five", "dollars"]
    assert "'2024' is sung as 'twenty twenty-four'" in warnings


@pytest.mark.parametrize(
    ("text", "unbroken"),
    [
        ("run 5km now", "5km"),
        ("sing 1e6 times, friend", "1e6"),
        ("the barbed-wire fence", "barbed-wire"),
    ],
)
def test_text_written_without_a_space_is_never_split_over_two_lines(
    text: str, unbroken: str
) -> None:
    """The words said for "5km" ("five kilometers") stay on one line, which shows it whole."""
    lyrics = write_lyrics(
        LyricsRequest(syllables_per_line=(3, 8), user_lyrics=text, provider="local"), SETTINGS
    )
    shown = [line.text for line in lyrics.lines]
    assert sum(unbroken in line for line in shown) == 1, shown
    assert " ".join(shown).split() == text.split()


def test_too_many_syllables_for_a_phrase_are_counted_and_named() -> None:
    with pytest.raises(LyricsInputError, match=r"the line .* 4 syllables \(ë’s crème brû lée\)"):
        sing([3], "Don’t touch Zoë’s crème brûlée")


def test_messages_count_lines_from_one() -> None:
    _, warnings = sing([2, 4], "la la\nhello friend")
    assert warnings == (
        "line 2 has 3 syllables for 4 notes, so syllables are held (melisma): "
        "'friend' over 2 notes",
    )
    with pytest.raises(LyricsInputError, match=r"^line 2 \('hello my friend'\) has 4 syllables"):
        sing([2, 3], "la la\nhello my friend")


def test_too_many_syllables_for_the_melody_say_where_the_overflow_starts() -> None:
    with pytest.raises(
        LyricsInputError, match=r"10 syllables but the melody has 6 notes: 4 syllables do not fit"
    ):
        sing([3, 3], "one two three four five six seven eight nine")


def test_fewer_words_than_phrases_is_refused() -> None:
    with pytest.raises(LyricsInputError, match="3 phrases but the lyrics have only 2 words"):
        sing([2, 2, 2], "hello world")


def test_melisma_counts_prefer_the_line_end_then_stress() -> None:
    syllables = [
        Syllable("a", 0, phonemes=("AH0",)),
        Syllable("go", 1, phonemes=("G", "OW1"), stressed=True),
        Syllable("now", 2, phonemes=("N", "AW1"), stressed=True),
    ]
    assert melisma_counts(syllables, 3) == [1, 1, 1]
    assert melisma_counts(syllables, 4) == [1, 1, 2]
    assert melisma_counts(syllables, 6) == [1, 2, 3]


# ---- properties ----

_WORDS = [
    "love",
    "night",
    "fire",
    "river",
    "golden",
    "heart",
    "hold",
    "me",
    "close",
    "tonight",
    "beautiful",
    "a",
    "I",
    "dream",
]


@settings(max_examples=80, deadline=None)
@given(
    words=st.lists(st.sampled_from([*_WORDS, "Zoë’s", "crème", "2024", "$5", "BTS"]), min_size=1),
    spare_notes=st.integers(0, 12),
    phrases=st.integers(1, 3),
)
def test_every_note_is_sung_by_the_users_words_and_nothing_else(
    words: list[str], spare_notes: int, phrases: int
) -> None:
    text = " ".join(words)
    syllables_needed = write_lyrics(
        LyricsRequest(syllables_per_line=(200,), user_lyrics=text), SETTINGS
    ).lines[0]
    count = len(syllables_needed.syllables)
    if len(words) < phrases:
        phrases = 1
    per_phrase = [(count + spare_notes) // phrases] * phrases
    per_phrase[-1] += (count + spare_notes) - sum(per_phrase)
    try:
        lyrics = write_lyrics(
            LyricsRequest(syllables_per_line=tuple(per_phrase), user_lyrics=text), SETTINGS
        )
    except LyricsInputError as error:
        # Only a word that cannot be split across phrases may stop an even spread.
        assert "phrase" in str(error)
        return
    sung = [s for line in lyrics.lines for s in line.syllables]
    covered = [index for s in sung for index in s.note_indices]
    assert covered == list(range(count + spare_notes))
    assert "".join(s.text for s in sung) == "".join(s.text for s in syllables_needed.syllables)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=2, max_size=10), missing=st.integers(1, 5))
def test_lyrics_longer_than_their_notes_are_always_refused_with_the_surplus(
    words: list[str], missing: int
) -> None:
    text = " ".join(words)
    count = len(
        write_lyrics(LyricsRequest(syllables_per_line=(200,), user_lyrics=text), SETTINGS)
        .lines[0]
        .syllables
    )
    if count - missing < 1:
        return
    with pytest.raises(LyricsInputError, match=rf"{missing} syllables? \(.*\) do(es)? not fit"):
        write_lyrics(
            LyricsRequest(syllables_per_line=(count - missing,), user_lyrics=text), SETTINGS
        )
