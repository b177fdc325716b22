"""From a line of text to sung syllables on notes.

Words that may be said with different syllable counts ("fire" with one or two,
"every" with two or three) take whichever pronunciation makes the line fit its notes,
preferring the singer's usual one (see ``pronunciation.pronounce``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence

import pyphen

from services.lyrics.domain import LyricLine, Syllable
from services.lyrics.plan import LinePlan
from services.lyrics.pronunciation import Pronunciation, pronounce, pronunciations
from services.lyrics.text import sung_words, words_of

#: Letters whose base (without diacritics) is a vowel: "brûlée" cuts as "brû-lée".
_VOWEL_BASES = frozenset("aeiouyæœøå")
_VOWEL_LETTERS = frozenset("aeiouyAEIOUY")


def count_syllables(text: str) -> int:
    """Syllables of a text as usually sung."""
    return sum(pronounce(word).syllable_count for word in words_of(text))


def fit_pronunciations(words: Sequence[str], target: int) -> list[Pronunciation] | None:
    """One pronunciation per word, adding up to ``target`` syllables, or None.

    Among the fitting choices, the one that departs least often from the usual
    pronunciation wins.
    """
    # best[total] = (departures, choices so far) over the words seen.
    best: dict[int, tuple[int, list[Pronunciation]]] = {0: (0, [])}
    for word in words:
        usual = pronounce(word)
        options = pronunciations(word)
        following: dict[int, tuple[int, list[Pronunciation]]] = {}
        for total, (departures, chosen) in best.items():
            for option in options:
                new_total = total + option.syllable_count
                if new_total > target:
                    continue
                cost = departures + (option.syllable_count != usual.syllable_count)
                if new_total not in following or cost < following[new_total][0]:
                    following[new_total] = (cost, [*chosen, option])
        best = following
    found = best.get(target)
    return found[1] if found else None


def line_fits(text: str, syllables: int) -> bool:
    """Whether the text can be sung with exactly ``syllables`` syllables."""
    words = words_of(text)
    return bool(words) and fit_pronunciations(words, syllables) is not None


def to_lyric_line(text: str, line: LinePlan, rhyme_label: str = "") -> LyricLine | None:
    """The line as syllables on its notes, or None when the counts do not match."""
    words = words_of(text)
    chosen = fit_pronunciations(words, line.syllable_count) if words else None
    if chosen is None:
        return None
    syllables: list[Syllable] = []
    for word, pronunciation in zip(sung_words(text), chosen, strict=True):
        pieces = spell_syllables(word.text, pronunciation.syllable_count)
        for position, (piece, phonemes, stressed) in enumerate(
            zip(pieces, pronunciation.syllables, pronunciation.stresses, strict=True)
        ):
            syllables.append(
                Syllable(
                    text=piece,
                    note_index=line.note_indices[len(syllables)],
                    phonemes=phonemes,
                    stressed=stressed,
                    starts_word=word.starts_word and position == 0,
                )
            )
    return LyricLine(text, tuple(syllables), line.phrase_index, rhyme_label)


@functools.lru_cache(maxsize=16_384)
def spell_syllables(word: str, count: int) -> list[str]:
    """Split a written word into ``count`` pieces, one per sung syllable, as a score's
    lyrics print it ("an-oth-er", "to-geth-er", "noth-ing", "nine-ty-nine").

    ``count`` comes from the pronunciation, so the cuts are first placed between vowel
    groups, before a single consonant ("mo-ment") or after the first of several
    ("win-dow"); then each cut moves to the nearest break that a dictionary's
    hyphenation allows, at most SNAP_LETTERS away (LibreOffice's en_US patterns, via
    pyphen), keeping a vowel on each side. Compounds are spelled part by part. The
    phonemes, not these pieces, say how a syllable sounds.
    """
    if count <= 1:
        return [word]
    compound = _compound_pieces(word, count)
    if compound is not None:
        return compound
    breaks = _dictionary_breaks(word)
    if len(breaks) == count - 1:
        # The dictionary breaks the word into as many pieces as it has syllables
        # ("would-n't-'ve", "could-n't"): its pieces are the syllables.
        bounds = [0, *breaks, len(word)]
        dictionary = [word[start:end] for start, end in itertools.pairwise(bounds)]
        if all(_has_vowel(piece) or _is_syllabic_nt(piece) for piece in dictionary):
            return dictionary
    pieces = _vowel_group_pieces(word, count)
    if len(pieces) != count or "-" in pieces:
        return pieces
    return _snapped_to_breaks(word, pieces)


#: How far, in letters, a cut between vowel groups moves to a dictionary's break.
SNAP_LETTERS = 2
#: What joins the parts of a compound: a hyphen, or "'n'" ("rock'n'roll", "rock 'n' roll"
#: written as one word), which is sung as a syllable of its own.
_CONTRACTED_AND = "'n'"
_COMPOUND_SEPARATOR = re.compile(r"(?<=\w)(-|'n')(?=\w)")


@functools.cache
def _hyphenator() -> pyphen.Pyphen:
    # left/right: the shortest first and last piece a break may leave (TeX's defaults are
    # 2 and 3; a sung syllable may be two letters at either end: "ev-er", "riv-er").
    return pyphen.Pyphen(lang="en_US", left=2, right=2)


#: Clitics a word may end on: the dictionary's patterns break the word before them.
_CLITICS = re.compile(r"(?:n['’]t|['’](?:s|d|ll|ve|re|m))+$", re.IGNORECASE)


def _dictionary_breaks(word: str) -> list[int]:
    # The patterns know words, not contractions: "heav-en's" from "heav-en", and a break
    # before "n't" ("could-n't"), not "y'al-l'd've".
    clitics = _CLITICS.search(word)
    start = clitics.start() if clitics else 0
    if start and clitics and clitics.group(0)[:1] in "nN" and word[start - 1] in _VOWEL_LETTERS:
        start = 0  # "haven't": the "n" ends a syllable with a vowel ("ha-ven't")
    stem = word[:start] if start else word
    breaks = set(_hyphenator().positions(stem))
    if start and word[start] in "nN":
        breaks.add(start)
    breaks.update(index + 1 for index, character in enumerate(word[:-1]) if character == "-")
    return sorted(position for position in breaks if 0 < position < len(word))


def _snapped_to_breaks(word: str, pieces: list[str]) -> list[str]:
    cuts = list(itertools.accumulate(len(piece) for piece in pieces[:-1]))
    breaks = _dictionary_breaks(word)
    snapped: list[int] = []
    for index, cut in enumerate(cuts):
        previous = snapped[-1] if snapped else 0
        following = cuts[index + 1] if index + 1 < len(cuts) else len(word)
        # A moved cut must leave a vowel on each side, as the cut between vowel groups
        # did ("i-de-a" must not become "i-d-ea").
        near = [
            position
            for position in breaks
            if abs(position - cut) <= SNAP_LETTERS
            and previous < position < following
            and _has_vowel(word[previous:position])
            and _has_vowel(word[position:following])
        ]
        snapped.append(min(near, key=lambda at: (abs(at - cut), at)) if near else cut)
    bounds = [0, *snapped, len(word)]
    return [word[start:end] for start, end in itertools.pairwise(bounds)]


def _has_vowel(piece: str) -> bool:
    return any(letter in _VOWEL_BASES for letter in _base_letters(piece))


def _is_syllabic_nt(piece: str) -> bool:
    """ "n't" after a consonant is a syllable of its own, on a sung "n" ("could-n't")."""
    return _base_letters(piece).replace("’", "'") == "n't"


def _compound_pieces(word: str, count: int) -> list[str] | None:
    """A compound spelled part by part: "ninety-nine" as "nine-ty-nine" (the hyphen kept
    at the end of its part's last piece), "rock'n'roll" as "rock-'n'-roll" (the
    contraction a syllable of its own); None when the word is no compound or its parts'
    usual syllable counts do not add up to ``count``."""
    tokens = _COMPOUND_SEPARATOR.split(word)
    if len(tokens) < 3:
        return None
    parts, separators = tokens[0::2], tokens[1::2]
    counts = [pronounce(part).syllable_count for part in parts]
    if 0 in counts or sum(counts) + separators.count(_CONTRACTED_AND) != count:
        return None
    pieces: list[str] = []
    for index, (part, part_count) in enumerate(zip(parts, counts, strict=True)):
        pieces += spell_syllables(part, part_count)
        if index < len(separators):
            if separators[index] == "-":
                pieces[-1] += "-"
            else:
                pieces.append(separators[index])
    return pieces


def _vowel_group_pieces(word: str, count: int) -> list[str]:
    groups = _vowel_groups(word)
    plain = _base_letters(word)
    # A final plain "e" is silent ("home"); "ë" is said ("Zo-ë"), "é" too ("ca-fé").
    if len(groups) > 1 and word[-1:] in ("e", "E") and not plain.endswith("le"):
        groups = groups[:-1] if groups[-1][0] == len(word) - 1 else groups  # silent final e
    if len(groups) > count:
        groups = _without_silent_e(word, groups, len(groups) - count)
    cuts = []
    for (_, left_end), (right_start, _) in itertools.pairwise(groups):
        consonants = right_start - left_end
        cuts.append(left_end if consonants <= 1 else left_end + 1)
    if len(cuts) >= count - 1:
        step = len(cuts) / (count - 1) if count > 1 else 1
        cuts = [cuts[min(len(cuts) - 1, int(i * step))] for i in range(count - 1)]
    # Fewer vowel groups than syllables ("idea" as I-DE-A, "fire" as FI-RE): first split
    # vowel groups between their letters (the later groups first: "de-a"), then halve the
    # longest piece.
    # A contraction's syllable of its own comes first: "n't" after a consonant
    # ("must-n't") and "'ve" ("would-'ve").
    contracted = _base_letters(word).replace("’", "'")
    if len(cuts) < count - 1 and contracted.endswith("'ve") and len(word) > 3:
        contracted = contracted[:-3]
        cuts = sorted({*cuts, len(contracted)})
    if (
        len(cuts) < count - 1
        and contracted.endswith("n't")
        and len(contracted) > 3
        and contracted[-4] not in {*_VOWEL_BASES, "'"}
    ):
        cuts = sorted({*cuts, len(contracted) - 3})
    splittable = [
        start + 1 for start, end in reversed(groups) if end - start >= 2 and start + 1 not in cuts
    ]
    while len(cuts) < count - 1:
        if splittable:
            cuts = sorted({*cuts, splittable.pop(0)})
            continue
        bounds = [0, *cuts, len(word)]
        spans = [(bounds[i + 1] - bounds[i], i) for i in range(len(bounds) - 1)]
        length, index = max(spans)
        if length < 2:
            break
        # After the piece's vowels when consonants follow them (a sung "m" or "n":
        # "pri-sm", "rhy-thm"), else in its middle.
        after_vowels = [
            end
            for start, end in groups
            if bounds[index] < end < bounds[index + 1] and start >= bounds[index]
        ]
        cut = after_vowels[0] if after_vowels else bounds[index] + length // 2
        cuts = sorted({*cuts, cut})
    bounds = [0, *sorted(set(cuts)), len(word)]
    pieces = [word[start:end] for start, end in itertools.pairwise(bounds)]
    pieces += ["-"] * (count - len(pieces))  # a word shorter than its syllables: "I" held
    return pieces


def _without_silent_e(
    word: str, groups: list[tuple[int, int]], extra: int
) -> list[tuple[int, int]]:
    """Up to ``extra`` silent "e"s inside a word joined to the vowels before them, so that
    they stay in that syllable: "nine-ties", "eve-ning", "love-ly", "home-less". Such an
    "e" stands alone between single consonants, after another vowel group."""
    letters = _base_letters(word)
    joined = list(groups)
    index = 1
    while extra and index < len(joined) - 1:
        start, end = joined[index]
        previous_start, previous_end = joined[index - 1]
        silent = (
            letters[start:end] == "e"
            and previous_end == start - 1
            and end < len(word)
            and letters[end] not in _VOWEL_BASES
        )
        if silent:
            joined[index - 1 : index + 1] = [(previous_start, end)]
            extra -= 1
        else:
            index += 1
    return joined


def _base_letters(word: str) -> str:
    """The word's letters without diacritics, lower case, one per character of ``word``."""
    return "".join(
        (unicodedata.normalize("NFD", character)[:1] or character).lower() for character in word
    )


def _vowel_groups(word: str) -> list[tuple[int, int]]:
    """(start, end) of each run of vowel letters, accented ones included."""
    groups: list[tuple[int, int]] = []
    letters = _base_letters(word)
    for index, letter in enumerate(letters):
        # A first "y" before a vowel or an apostrophe is a consonant ("you", "y'all").
        leading_y = index == 0 and letter == "y" and letters[1:2] in (*_VOWEL_BASES, "'", "’")
        if letter in _VOWEL_BASES and not leading_y:
            # A diaeresis marks a vowel said apart from the one before ("Zo-ë", "na-ïve").
            apart = "\u0308" in unicodedata.normalize("NFD", word[index])
            if groups and groups[-1][1] == index and not apart:
                groups[-1] = (groups[-1][0], index + 1)
            else:
                groups.append((index, index + 1))
    return groups
