"""Reading the user's text as a singer would: letters kept, the rest said as words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.lyrics.errors import LyricsInputError
from services.lyrics.pronunciation import pronunciations
from services.lyrics.text import (
    ABBREVIATIONS,
    UNITS,
    UnpronounceableError,
    read_user_lyrics,
    words_of,
)


def sung(text: str) -> list[str]:
    """The syllable-bearing words' shown text, in order."""
    return [word.text for line in read_user_lyrics(text).lines for word in line.words]


def spoken(text: str) -> list[str]:
    return [word.lookup for line in read_user_lyrics(text).lines for word in line.words]


def test_accented_letters_and_curly_apostrophes_are_kept_as_written() -> None:
    text = read_user_lyrics("Don’t touch Zoë’s crème brûlée\n")
    assert sung("Don’t touch Zoë’s crème brûlée") == ["Don’t", "touch", "Zoë’s", "crème", "brûlée"]
    assert spoken("Don’t touch Zoë’s") == ["don't", "touch", "zoë's"]
    assert text.warnings == ()


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Call 911", "call nine one one"),
        ("in 2024", "in twenty twenty four"),
        ("in 1984", "in nineteen eighty four"),
        ("in 1905", "in nineteen oh five"),
        ("in 2007", "in two thousand seven"),
        ("at 10:30", "at ten thirty"),
        ("at 7:05 p.m.", "at seven oh five p. m."),
        ("at 12:00", "at twelve o'clock"),
        ("10pm", "ten p. m."),
        ("Dr. Who", "doctor who"),
        ("Mr Smith", "mister smith"),
        ("St. Louis", "saint louis"),
        ("on Main St.", "on main street"),
        ("$5", "five dollars"),
        ("$1", "one dollar"),
        ("$5.50", "five dollars and fifty cents"),
        ("$0.99", "ninety nine cents"),
        ("€20", "twenty euros"),
        ("£3", "three pounds"),
        ("$2.5M", "two point five million dollars"),
        ("$5 million", "five million dollars"),
        ("3rd", "third"),
        ("21st", "twenty first"),
        ("50%", "fifty percent"),
        ("3.14", "three point one four"),
        ("1,000,000", "one million"),
        ("134", "one hundred thirty four"),
        ("24/7", "twenty four seven"),
        ("1/2", "one half"),
        ("the 1990s", "the nineteen nineties"),
        ("the '90s", "the nineties"),
        ("in the 20s", "in the twenties"),
        ("the 1900s", "the nineteen hundreds"),
        ("3/4", "three quarters"),
        ("2/3", "two thirds"),
        ("1/3", "one third"),
        ("5/8", "five eighths"),
        ("9/11", "nine eleven"),
        ("1/100", "one hundredth"),
        ("3/1000", "three thousandths"),
        ("5/12", "five twelfths"),
        ("9/10", "nine out of ten"),
        ("10/10", "ten out of ten"),
        ("1/10", "one tenth"),
        ("on 3/4/2020", "on march fourth twenty twenty"),
        ("25/12/2024", "december twenty fifth twenty twenty four"),
        ("25.12.2024", "december twenty fifth twenty twenty four"),
        ("2024-12-25", "december twenty fifth twenty twenty four"),
        ("7/4/76", "july fourth seventy six"),
        ("1/1/05", "january first oh five"),
        ("13/14/2020", "thirteen fourteen twenty twenty"),
        ("10-10-2020", "october tenth twenty twenty"),
        ("1/2/3", "one two three"),
        ("12.25.2024", "december twenty fifth twenty twenty four"),
        ("0/10", "zero out of ten"),
        ("2020/12/25", "december twenty fifth twenty twenty"),
        ("1-800-555-1234", "one eight oh oh five five five one two three four"),
        ("50/50", "fifty fifty"),
        ("9-5", "nine to five"),
        ("555-1234", "five five five one two three four"),
        ("007", "oh oh seven"),
        ("-5", "minus five"),
        ("5km", "five kilometers"),
        ("5 km/h", "five kilometers per hour"),
        ("1 km/h", "one kilometer per hour"),
        ("2 kg / min", "two kilograms per minute"),
        ("rock & roll", "rock and roll"),
        ("No. 1", "number one"),
        ("e.g.", "for example"),
        ("BTS", "b. t. s."),
        ("U.S.A.", "u. s. a."),
    ],
)
def test_numbers_times_money_and_abbreviations_are_said_as_words(written: str, said: str) -> None:
    assert " ".join(spoken(written)).replace("-", " ") == said
    if written not in ("BTS", "U.S.A."):  # letters are sung as written: no change to name
        changed = [w.split("' is sung as '")[0][1:] for w in read_user_lyrics(written).warnings]
        assert changed and all(token in written for token in changed)


@pytest.mark.parametrize(
    ("written", "shown", "said"),
    [
        ("tell 'em", ["tell", "'em"], ("AH0", "M")),  # not the letter M
        ("'cause I", ["'cause", "I"], ("K", "AH0", "Z")),
        ("’til dawn", ["’til", "dawn"], ("T", "IH1", "L")),
        ("rock 'n' roll", ["rock", "'n'", "roll"], ("AH0", "N")),  # not the letter N
        ("lovin' you", ["lovin'", "you"], ("L", "OW1", "V", "IH0", "N")),
        ("the dogs' bones", ["the", "dogs'", "bones"], ("D", "AO1", "G", "Z")),
    ],
)
def test_an_apostrophe_that_leaves_letters_out_is_kept_and_said(
    written: str, shown: list[str], said: tuple[str, ...]
) -> None:
    words = [word for line in read_user_lyrics(written).lines for word in line.words]
    assert [word.text for word in words] == shown
    elided = next(word for word in words if "'" in word.text or "’" in word.text)
    assert said in {p.phonemes for p in pronunciations(elided.lookup)}
    assert read_user_lyrics(written).warnings == ()


def test_quotation_marks_around_a_word_are_not_part_of_it() -> None:
    assert sung("she said 'hello' to me") == ["she", "said", "hello", "to", "me"]
    assert sung("‘no’ again") == ["no", "again"]


def test_the_syllables_of_a_spoken_number_spell_the_spoken_words() -> None:
    words = read_user_lyrics("2024").lines[0].words
    assert [(w.text, w.starts_word) for w in words] == [
        ("twenty", True),
        ("twenty-", True),
        ("four", False),
    ]
    assert read_user_lyrics("2024").warnings == ("'2024' is sung as 'twenty twenty-four'",)


def test_letters_of_an_acronym_spell_it_back_exactly() -> None:
    words = read_user_lyrics("BTS and U.S.A.").lines[0].words
    assert "".join(w.text for w in words[:3]) == "BTS"
    assert "".join(w.text for w in words[4:]) == "U.S.A."
    assert [w.starts_word for w in words] == [True, False, False, True, True, False, False]


def test_html_entities_are_decoded_and_named() -> None:
    text = read_user_lyrics("caf&eacute; &amp; cr&#232;me &amp;eacute;t&amp;eacute;")
    assert sung("caf&eacute; cr&#232;me") == ["café", "crème"]
    assert text.lines[0].text == "café & crème été"
    assert "the HTML entity '&eacute;' was read as 'é'" in text.warnings
    assert "the HTML entity '&#232;' was read as 'è'" in text.warnings


def test_an_html_entity_for_an_invisible_character_is_named_not_shown() -> None:
    text = read_user_lyrics("hold&nbsp;on")
    assert "the HTML entity '&nbsp;' was read as U+00A0 NO-BREAK SPACE" in text.warnings


def test_invisible_characters_are_removed_and_named() -> None:
    text = read_user_lyrics("Zo\u200bë\u200f’s \ufeffsong\u00ad")
    assert [w.text for w in text.lines[0].words] == ["Zoë’s", "song"]
    assert any("U+200B ZERO WIDTH SPACE" in w for w in text.warnings)
    assert any("U+200F RIGHT-TO-LEFT MARK" in w for w in text.warnings)


def test_emoji_and_symbols_are_not_sung_and_are_named() -> None:
    text = read_user_lyrics("I ❤️ you 👨‍👩‍👧 so ♪")
    assert [w.text for w in text.lines[0].words] == ["I", "you", "so"]
    assert "'❤️' is not a word and is not sung" in text.warnings
    assert "'👨‍👩‍👧' is not a word and is not sung" in text.warnings
    assert "'♪' is not a word and is not sung" in text.warnings


@pytest.mark.parametrize(
    ("written", "said", "told"),
    [
        ("naïve ½ cup", "naïve one half cup", "'½' is sung as 'one half'"),
        ("¾ of the way", "three quarters of the way", "'¾' is sung as 'three quarters'"),
        ("Ⅻ o’clock", "twelve o’clock", "'Ⅻ' is sung as 'twelve'"),
        ("²³ times", "twenty three times", "'²³' is sung as 'twenty-three'"),
        ("x²", "x two", "'²' is sung as 'two'"),
        ("track ⑤", "track five", "'⑤' is sung as 'five'"),
    ],
)
def test_number_characters_that_are_not_digits_are_said_as_numbers(
    written: str, said: str, told: str
) -> None:
    """Python reads "½" and "²" as letters; guessing a pronunciation for them sang junk."""
    text = read_user_lyrics(written)
    assert " ".join(w.text for w in text.lines[0].words).replace("- ", " ") == said
    assert told in text.warnings


@pytest.mark.parametrize(
    ("written", "symbol"), [("@home tonight", "@"), ("me@home", "@"), ("a*b", "*")]
)
def test_a_symbol_inside_a_word_is_named_when_it_is_not_sung(written: str, symbol: str) -> None:
    assert f"'{symbol}' is not a word and is not sung" in read_user_lyrics(written).warnings


def test_phrasing_punctuation_is_dropped_without_a_warning() -> None:
    text = read_user_lyrics('hello, world! (yes) "no" - love—hate… ok?')
    assert [w.text for w in text.lines[0].words] == [
        "hello",
        "world",
        "yes",
        "no",
        "love",
        "hate",
        "ok",
    ]
    assert text.warnings == ()


def test_decomposed_accents_are_the_same_letters() -> None:
    assert sung("Zoe\u0308") == ["Zoë"]


@pytest.mark.parametrize("text", ["שלום עולם", "مرحبا", "Привет мир", "東京", "Γειά"])
def test_words_in_other_scripts_are_refused_by_name(text: str) -> None:
    with pytest.raises(UnpronounceableError) as raised:
        read_user_lyrics(f"hello {text}")
    assert raised.value.words == text.split()
    assert text.split()[0] in str(raised.value)


def test_rtl_marks_around_english_words_are_not_a_problem() -> None:
    assert sung("\u202bhello world\u202c") == ["hello", "world"]


def test_text_without_words_is_refused() -> None:
    with pytest.raises(LyricsInputError, match="no words"):
        read_user_lyrics("?! ... 🎵")


def test_words_of_is_lenient_for_written_lyrics() -> None:
    assert words_of("Rock'n'roll, 2 hearts -- barbed-wire!") == [
        "rock'n'roll",
        "two",
        "hearts",
        "barbed",
        "wire",
    ]
    assert words_of("love Привет") == ["love"]


# ---- properties ----


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        read = read_user_lyrics(text)
    except LyricsInputError as error:
        assert str(error)
    else:
        assert read.lines and all(line.words for line in read.lines)
        assert all(word.text and word.lookup for line in read.lines for word in line.words)


_LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyzàáâäçèéêëìíîïñòóôöùúûüÿæœøåABCDEFGHÉÖ"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.sampled_from(_LATIN_LETTERS), min_size=1, max_size=8),
            st.sampled_from(["", "’s", "'t", "-day"]),
        ).map(lambda parts: parts[0] + parts[1]),
        min_size=1,
        max_size=8,
    ).filter(
        # Abbreviations and units are said in full ("Dr A" is "doctor A"), as tested above.
        lambda words: (
            not any(word.lower() in ABBREVIATIONS or word.lower() in UNITS for word in words)
        )
    )
)
def test_latin_words_are_sung_with_their_exact_spelling(words: list[str]) -> None:
    read = read_user_lyrics(" ".join(words))
    shown: list[str] = []
    for word in read.lines[0].words:
        if word.starts_word or not shown:
            shown.append(word.text)
        else:
            shown[-1] += word.text
    assert shown == words
