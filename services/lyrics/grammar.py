"""Clause templates: the small grammar the local lyricist writes lines with.

A template is a clause such as "we V P D N" ("we dance beneath the moon"): upper-case
tokens are slots, lower-case tokens are said as written. Every template ends in a
content slot (noun, adjective or verb) so that its last word can carry a rhyme. Slots
get words of whatever syllable count makes the clause exactly as long as asked, and the
words are chosen so that their stressed syllables fall on strong notes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from services.lyrics.pronunciation import VOWELS, pronounce
from services.lyrics.vocabulary import Vocabulary, Word, stress_matches

#: Slot letter -> part of speech in the vocabulary.
#: "M" is a name from the theme ("Paris"), said without an article.
CONTENT_SLOTS = {"N": "noun", "A": "adj", "V": "verb", "T": "tverb", "M": "name"}
#: Function-word slots, filled from these fixed lists (their lengths vary, which helps
#: to hit an exact syllable count: "in" / "into" / "beneath").
_PREPOSITIONS = """
    in through on by from beneath across along into under over beyond behind
    inside above around beside
"""
FUNCTION_SLOTS = {"P": _PREPOSITIONS.split(), "D": ["the", "my", "your", "our", "this"]}


@dataclass(frozen=True)
class Template:
    """A clause shape; ``weight`` is how often it is picked relative to the others."""

    pattern: str
    weight: float

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self.pattern.split())

    @property
    def ending(self) -> str:
        """Part of speech of the last word ("noun", "adj", "verb" or "name")."""
        return CONTENT_SLOTS[self.tokens[-1]]


TEMPLATES: tuple[Template, ...] = (
    Template("D N", 1.0),
    Template("D A N", 3.0),
    Template("P D N", 3.0),
    Template("P D A N", 3.0),
    Template("I T D N", 3.0),
    Template("we V P D N", 3.0),
    Template("you are my N", 1.5),
    Template("T me P D N", 3.0),
    Template("all I need is D N", 1.0),
    Template("D N of D N", 2.0),
    Template("N and N", 0.5),
    Template("D N and N", 1.0),
    Template("there's a N P D N", 2.0),
    Template("and I T D N", 1.5),
    Template("we are D A N", 1.0),
    Template("D N is A", 3.0),
    Template("D A N is A", 2.0),
    Template("I feel so A", 1.5),
    Template("we are A", 1.5),
    Template("you make me A", 1.0),
    Template("and we are A", 1.0),
    Template("let D N V", 3.0),
    Template("watch D N V", 2.0),
    Template("I will V", 1.5),
    Template("we V", 1.0),
    Template("we V and V", 2.0),
    Template("D N will V", 2.0),
    Template("D A N will V", 2.0),
    # Names from the theme ("Paris"); a vocabulary without names cannot fill these.
    Template("P M", 2.0),
    Template("we V P M", 2.0),
    Template("I T M", 1.5),
    Template("D N of M", 2.0),
    Template("M is A", 2.0),
    Template("M will V", 1.5),
    Template("M is my N", 1.0),
    Template("P M we V", 1.5),
    Template("P M I T D N", 1.5),
    Template("I T M P D N", 1.0),
    Template("M", 0.1),
    # One-word clauses only where nothing longer fits (a one- or two-note phrase).
    Template("N", 0.2),
    Template("A", 0.1),
    Template("V", 0.1),
)


def achievable_lengths(
    template: Template, vocabulary: Vocabulary, end_size: int = 0, include: Word | None = None
) -> set[int]:
    """Every syllable count the template can have (with the last word's size fixed when
    ``end_size`` is given, and with ``include`` in one of its slots when given)."""
    options = _slot_sizes(template, vocabulary, end_size)
    if include is None:
        return _totals(options)
    totals: set[int] = set()
    for slot in host_slots(template, include, bool(end_size)):
        totals |= _totals([*options[:slot], (include.size,), *options[slot + 1 :]])
    return totals


def host_slots(template: Template, word: Word, end_fixed: bool = False) -> list[int]:
    """The slots of ``template`` that ``word`` can fill (its part of speech; not the last
    slot when the line's last word is fixed already)."""
    tokens = template.tokens
    return [
        index
        for index, token in enumerate(tokens)
        if CONTENT_SLOTS.get(token) == word.part_of_speech
        and not (end_fixed and index == len(tokens) - 1)
    ]


def _totals(options: Sequence[tuple[int, ...]]) -> set[int]:
    totals = {0}
    for sizes in options:
        totals = {total + size for total in totals for size in sizes}
    return totals


def fill(
    template: Template,
    length: int,
    strong: Sequence[bool],
    vocabulary: Vocabulary,
    rng: random.Random,
    *,
    end_word: Word | None = None,
    avoid: set[str] | None = None,
    include: Word | None = None,
) -> list[str] | None:
    """Words for ``template`` with exactly ``length`` syllables, or None if impossible.

    strong: per syllable of the clause, whether its note is strong.
    end_word: the clause's last word, fixed in advance (a rhyme).
    avoid: words used already; added to as words are chosen.
    include: a word the clause must contain (a theme word), in a slot of its part of
        speech; None when no slot can take it at this length.
    """
    avoid = avoid if avoid is not None else set()
    tokens = template.tokens
    options = _slot_sizes(template, vocabulary, end_word.size if end_word else 0)
    host = None
    if include is not None:
        placed = _place(include, template, options, length, strong, rng, end_word is not None)
        if placed is None:
            return None
        host, sizes = placed
        avoid.add(include.text)
    else:
        picked = _pick_sizes(options, length, rng)
        if picked is None:
            return None
        sizes = picked
    words: list[str] = []
    position = 0
    for index, (token, size) in enumerate(zip(tokens, sizes, strict=True)):
        beats = strong[position : position + size]
        if index == len(tokens) - 1 and end_word is not None:
            text = end_word.text
        elif index == host and include is not None:
            text = include.text
        elif token in CONTENT_SLOTS:
            text = vocabulary.choose(CONTENT_SLOTS[token], size, beats, rng, avoid).text
        elif token in FUNCTION_SLOTS:
            text = _choose_function_word(token, size, beats, rng)
        else:
            text = token
        if token in CONTENT_SLOTS:
            avoid.add(text)
        words.append(text)
        position += size
    return _agree_articles(words)


def _place(
    word: Word,
    template: Template,
    options: Sequence[tuple[int, ...]],
    length: int,
    strong: Sequence[bool],
    rng: random.Random,
    end_fixed: bool,
) -> tuple[int, list[int]] | None:
    """A slot for ``word`` and sizes for every slot, the word's stresses likelier on
    strong notes; None if no slot of its part of speech fits ``length``."""
    placements: list[tuple[int, list[int]]] = []
    weights: list[float] = []
    for slot in host_slots(template, word, end_fixed):
        fixed = [*options[:slot], (word.size,), *options[slot + 1 :]]
        sizes = _pick_sizes(fixed, length, rng)
        if sizes is None:
            continue
        start = sum(sizes[:slot])
        placements.append((slot, sizes))
        weights.append(3.0 ** stress_matches(word.stresses, strong[start : start + word.size]))
    if not placements:
        return None
    return rng.choices(placements, weights)[0]


def _slot_sizes(template: Template, vocabulary: Vocabulary, end_size: int) -> list[tuple[int, ...]]:
    tokens = template.tokens
    options: list[tuple[int, ...]] = []
    for index, token in enumerate(tokens):
        if index == len(tokens) - 1 and end_size:
            options.append((end_size,))
        elif token in CONTENT_SLOTS:
            options.append(vocabulary.sizes(CONTENT_SLOTS[token]))
        elif token in FUNCTION_SLOTS:
            options.append(_function_sizes(token))
        else:
            options.append((pronounce(token).syllable_count,))
    return options


def _pick_sizes(
    options: Sequence[tuple[int, ...]], length: int, rng: random.Random
) -> list[int] | None:
    """A random choice of one size per slot that adds up to ``length``."""
    # reachable[i]: totals the slots i.. can make, to choose left to right without dead ends.
    reachable: list[set[int]] = [set() for _ in range(len(options) + 1)]
    reachable[-1] = {0}
    for index in range(len(options) - 1, -1, -1):
        reachable[index] = {s + rest for s in options[index] for rest in reachable[index + 1]}
    if length not in reachable[0]:
        return None
    sizes, remaining = [], length
    for index, sizes_here in enumerate(options):
        fitting = [s for s in sizes_here if remaining - s in reachable[index + 1]]
        # Short words are likelier: they leave room for more, and more natural, words.
        size = rng.choices(fitting, [1.0 / s for s in fitting])[0]
        sizes.append(size)
        remaining -= size
    return sizes


@cache
def _function_sizes(slot: str) -> tuple[int, ...]:
    return tuple(sorted({pronounce(word).syllable_count for word in FUNCTION_SLOTS[slot]}))


def _choose_function_word(slot: str, size: int, strong: Sequence[bool], rng: random.Random) -> str:
    candidates = [w for w in FUNCTION_SLOTS[slot] if pronounce(w).syllable_count == size]
    weights = [3.0 ** stress_matches(pronounce(w).stresses, strong) for w in candidates]
    return rng.choices(candidates, weights)[0]


def _agree_articles(words: list[str]) -> list[str]:
    """ "a" before a vowel sound becomes "an" ("an ocean")."""
    result = list(words)
    for index, word in enumerate(words[:-1]):
        if word == "a" and pronounce(words[index + 1]).phonemes[0][:2] in VOWELS:
            result[index] = "an"
    return result
