"""The theme's spelling kept through the song, and the capitals of the names the
lexicon sings.

The local lyricist's lexicon is written in American spelling, so a theme about "the
harbour at night" got "the harbour" from the theme and "that harbor" from the lexicon
in the next line. Where the theme spells a word the British way and the lexicon's word
is its American form, every line is respelled the theme's way.

Only the regular British/American pairs are recognised ("-our"/"-or" in words of two
syllables or more, "-re"/"-er", "-ise"/"-ize", "grey"/"gray"), and only when cmudict
says both spellings the same way: "four" and "for" or "acre" and "acer" are never
taken for spellings of one word.
"""

from __future__ import annotations

import re

from services.lyrics.pronunciation import is_known, pronunciations

_WORD = re.compile(r"[A-Za-z']+")
#: British ending -> American ending, with the shortest British word it applies to.
_ENDINGS = (("our", "or", 6), ("re", "er", 5), ("ise", "ize", 6), ("ised", "ized", 7))
_WHOLE_WORDS = {"grey": "gray"}


def american_form(word: str) -> str | None:
    """The American spelling of a British-spelled ``word`` (lower case), else None."""
    if word in _WHOLE_WORDS:
        return _WHOLE_WORDS[word]
    for british, american, shortest in _ENDINGS:
        for suffix in ("", "s"):
            ending = british + suffix
            if len(word) >= shortest + len(suffix) and word.endswith(ending):
                return word[: -len(ending)] + american + suffix
    return None


def same_word_american(word: str) -> str | None:
    """The American spelling of ``word`` (lower case) when it is a British spelling of
    the same word (cmudict knows both and says them alike), else None."""
    american = american_form(word)
    if american is None or not (is_known(word) and is_known(american)):
        return None
    said = {p.phonemes for p in pronunciations(word)}
    if said.isdisjoint(p.phonemes for p in pronunciations(american)):
        return None
    return american


def theme_spellings(theme: str) -> dict[str, str]:
    """American spelling -> the theme's spelling, for the theme's British-spelled words
    (:func:`same_word_american`), lower case."""
    spellings: dict[str, str] = {}
    for token in _WORD.findall(theme):
        british = token.lower()
        american = same_word_american(british)
        if american is None:
            continue
        spellings[american] = british
        if not british.endswith("s"):
            spellings[american + "s"] = british + "s"
    return spellings


def respelled(line: str, spellings: dict[str, str]) -> str:
    """``line`` with every word in ``spellings`` spelled the theme's way, its case kept
    ("Harbor" -> "Harbour")."""
    if not spellings:
        return line

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        theirs = spellings.get(word.lower())
        if theirs is None:
            return word
        return theirs[:1].upper() + theirs[1:] if word[:1].isupper() else theirs

    return _WORD.sub(swap, line)


_PROPER_NOUNS_TEXT = """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday christmas easter halloween
"""
#: Words that are names and are written with a capital wherever they stand in a line
#: ("Oh, July", "till Sunday").
PROPER_NOUNS = frozenset(_PROPER_NOUNS_TEXT.split())
#: Months that are also everyday words ("we march", "it may"): left as they are.
_ALSO_COMMON = frozenset({"march", "may"})


def with_capitals(line: str) -> str:
    """``line`` with the months, days and holidays the lexicon sings capitalized
    ("Oh, july" -> "Oh, July")."""

    def capital(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in PROPER_NOUNS and word not in _ALSO_COMMON:
            return word[:1].upper() + word[1:]
        return word

    return _WORD.sub(capital, line)
