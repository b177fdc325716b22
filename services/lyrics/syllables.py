"""From a line of text to sung syllables on notes.

Words that may be said with different syllable counts ("fire" with one or two,
"every" with two or three) take whichever pronunciation makes the line fit its notes,
preferring the singer's usual one (see ``pronunciation.pronounce``).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

from services.lyrics.domain import LyricLine, Syllable
from services.lyrics.plan import LinePlan
from services.lyrics.pronunciation import Pronunciation, pronounce, pronunciations
from services.lyrics.text import sung_words, words_of

#: Letters whose base (without diacritics) is a vowel: "brûlée" cuts as "brû-lée".
_VOWEL_BASES = frozenset("aeiouyæœøå")


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


def spell_syllables(word: str, count: int) -> list[str]:
    """Split a written word into ``count`` pieces, one per sung syllable.

    A reading aid, not a dictionary hyphenation: cuts go between vowel groups, before a
    single consonant ("mo-ment") or after the first of several ("win-dow"). The
    phonemes, not these pieces, say how a syllable sounds.
    """
    if count <= 1:
        return [word]
    groups = _vowel_groups(word)
    plain = _base_letters(word)
    if len(groups) > 1 and plain.endswith("e") and not plain.endswith("le"):
        groups = groups[:-1] if groups[-1][0] == len(word) - 1 else groups  # silent final e
    cuts = []
    for (_, left_end), (right_start, _) in itertools.pairwise(groups):
        consonants = right_start - left_end
        cuts.append(left_end if consonants <= 1 else left_end + 1)
    if len(cuts) >= count - 1:
        step = len(cuts) / (count - 1) if count > 1 else 1
        cuts = [cuts[min(len(cuts) - 1, int(i * step))] for i in range(count - 1)]
    while len(cuts) < count - 1:
        # Fewer vowel groups than syllables ("fire" as FI-RE, "idea"): halve the longest
        # piece.
        bounds = [0, *cuts, len(word)]
        spans = [(bounds[i + 1] - bounds[i], i) for i in range(len(bounds) - 1)]
        length, index = max(spans)
        if length < 2:
            break
        cuts = sorted({*cuts, bounds[index] + length // 2})
    bounds = [0, *sorted(set(cuts)), len(word)]
    pieces = [word[start:end] for start, end in itertools.pairwise(bounds)]
    pieces += ["-"] * (count - len(pieces))  # a word shorter than its syllables: "I" held
    return pieces


def _base_letters(word: str) -> str:
    """The word's letters without diacritics, lower case, one per character of ``word``."""
    return "".join(
        (unicodedata.normalize("NFD", character)[:1] or character).lower() for character in word
    )


def _vowel_groups(word: str) -> list[tuple[int, int]]:
    """(start, end) of each run of vowel letters, accented ones included."""
    groups: list[tuple[int, int]] = []
    for index, letter in enumerate(_base_letters(word)):
        if letter in _VOWEL_BASES:
            # A diaeresis marks a vowel said apart from the one before ("Zo-ë", "na-ïve").
            apart = "\u0308" in unicodedata.normalize("NFD", word[index])
            if groups and groups[-1][1] == index and not apart:
                groups[-1] = (groups[-1][0], index + 1)
            else:
                groups.append((index, index + 1))
    return groups
