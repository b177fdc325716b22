"""Rhyme schemes: which line ends must rhyme, and whether they do.

A scheme is a pattern of letters repeated over the lines, stanza after stanza: "AABB"
over eight lines is AABB CCDD. Lines with the same letter in a stanza rhyme; "X" marks a
line that need not rhyme ("XAXA"); "none" asks for no rhymes at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.lyrics.errors import LyricsInputError
from services.lyrics.pronunciation import rhymes_with

MAX_SCHEME_LENGTH = 16
FREE_LINE = "X"
_SCHEME = re.compile(rf"[A-Z]{{1,{MAX_SCHEME_LENGTH}}}")


def normalize_scheme(scheme: str) -> str:
    """The scheme in upper case, "" for no rhymes; raises LyricsInputError if malformed."""
    cleaned = re.sub(r"[\s\-_/]", "", scheme).upper()
    if cleaned in ("NONE", "FREE"):
        return ""
    if not _SCHEME.fullmatch(cleaned):
        raise LyricsInputError(
            f"rhyme scheme {scheme!r} must be 1 to {MAX_SCHEME_LENGTH} letters A-Z such as "
            "'AABB' or 'ABAB' (X = a line that need not rhyme), or 'none'"
        )
    return cleaned


def rhyme_labels(scheme: str, line_count: int) -> tuple[str, ...]:
    """Per line, the name of its rhyme group ("" for a line that need not rhyme).

    Groups get fresh letters in every stanza (AABB CCDD); a letter used only once in
    the pattern names a group of one line, which needs no rhyme and gets "".
    """
    pattern = normalize_scheme(scheme)
    if not pattern:
        return ("",) * line_count
    repeated = {letter for letter in pattern if pattern.count(letter) > 1} - {FREE_LINE}
    labels: list[str] = []
    names: dict[tuple[int, str], str] = {}
    for line in range(line_count):
        stanza, position = divmod(line, len(pattern))
        letter = pattern[position]
        if letter not in repeated:
            labels.append("")
            continue
        key = (stanza, letter)
        if key not in names:
            names[key] = _group_name(len(names))
        labels.append(names[key])
    return tuple(labels)


def _group_name(number: int) -> str:
    letter = chr(ord("A") + number % 26)
    return letter if number < 26 else f"{letter}{number // 26}"


def rhyme_partners(labels: Sequence[str]) -> list[int | None]:
    """Per line, the earlier line whose end it must rhyme with (None for the first
    line of a group and for free lines)."""
    first_line: dict[str, int] = {}
    partners: list[int | None] = []
    for line, label in enumerate(labels):
        if not label:
            partners.append(None)
        elif label in first_line:
            partners.append(first_line[label])
        else:
            first_line[label] = line
            partners.append(None)
    return partners


def count_rhymes(end_words: Sequence[str], labels: Sequence[str]) -> tuple[int, int]:
    """(requested, achieved): lines asked to rhyme with an earlier line, and those that do.

    A line counts as rhyming when its last word rhymes with the last word of any earlier
    line of its group; repeating the very same word is not a rhyme.
    """
    requested = achieved = 0
    for line, label in enumerate(labels):
        earlier = [end_words[other] for other in range(line) if label and labels[other] == label]
        if not earlier:
            continue
        requested += 1
        if end_words[line] and any(rhymes_with(end_words[line], word) for word in earlier):
            achieved += 1
    return requested, achieved
