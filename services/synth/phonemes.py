"""Phonemes as the local voices need them: ARPAbet in, espeak-style IPA symbols out.

The piper voice was trained on espeak-ng's US English IPA, one symbol per character
("aɪ" is two symbols, stress marks "ˈ"/"ˌ" and the length mark "ː" are symbols too).
The lyrics service hands us ARPAbet (cmudict's alphabet); this module maps it and
splits each syllable into onset consonants, the vowel nucleus and coda consonants — the
parts a singer treats differently (consonants short, the vowel held).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from services.synth.types import SynthInputError

#: ARPAbet vowel -> IPA as espeak-ng (en-us) writes it, by stress (primary/secondary, none).
_VOWELS_STRESSED = {
    "AA": "ɑː",
    "AE": "æ",
    "AH": "ʌ",
    "AO": "ɔː",
    "AW": "aʊ",
    "AY": "aɪ",
    "EH": "ɛ",
    "ER": "ɜː",
    "EY": "eɪ",
    "IH": "ɪ",
    "IY": "iː",
    "OW": "oʊ",
    "OY": "ɔɪ",
    "UH": "ʊ",
    "UW": "uː",
}
_VOWELS_UNSTRESSED = {**_VOWELS_STRESSED, "AH": "ə", "ER": "ɚ", "IY": "i", "UW": "u"}
_CONSONANTS = {
    "B": "b",
    "CH": "tʃ",
    "D": "d",
    "DH": "ð",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "JH": "dʒ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "P": "p",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
_STRESS_MARKS = {"1": "ˈ", "2": "ˌ", "0": ""}

#: IPA symbols that make a syllable nucleus (vowels, plus the marks that travel with them).
VOWEL_SYMBOLS = frozenset("aɑæɐɒʌəɚɛɜeɪiɨoɔʊuʉyøœɘɵɤɯ")
NUCLEUS_MARKS = frozenset("ˈˌː")
#: Symbols sung without voicing: the f0 track is switched off over them.
UNVOICED_SYMBOLS = frozenset("ptkfθsʃhçxʔ")


def arpabet_to_ipa(phonemes: tuple[str, ...] | list[str]) -> list[str]:
    """One syllable's ARPAbet ("HH", "AE1", "P") as IPA symbols (["h", "ˈ", "æ", "p"]).

    Raises SynthInputError for a symbol that is not ARPAbet.
    """
    symbols: list[str] = []
    for phoneme in phonemes:
        name, stress = phoneme.upper().rstrip("012"), phoneme[len(phoneme.rstrip("012")) :]
        if name in _CONSONANTS and not stress:
            symbols.extend(_CONSONANTS[name])
        elif name in _VOWELS_STRESSED and stress in ("", "0", "1", "2"):
            table = _VOWELS_UNSTRESSED if stress == "0" else _VOWELS_STRESSED
            symbols.extend(_STRESS_MARKS.get(stress, ""))
            symbols.extend(table[name])
        else:
            raise SynthInputError(
                f"'{phoneme}' is not an ARPAbet phoneme (expected e.g. HH AE1 P IY0)"
            )
    return symbols


@dataclass(frozen=True)
class SyllableParts:
    """A syllable's IPA symbols split as a singer treats them; ``onset + nucleus + coda``."""

    onset: tuple[str, ...]
    nucleus: tuple[str, ...]
    coda: tuple[str, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.onset + self.nucleus + self.coda


def split_syllable(symbols: list[str] | tuple[str, ...]) -> SyllableParts:
    """Split one syllable's IPA symbols into onset, nucleus and coda.

    The nucleus runs from the first vowel (with a stress mark just before it) to the last
    vowel or length mark. A syllable without a vowel ("mm", "shh") is all nucleus, so
    whatever it has is held for the note.
    """
    vowel_positions = [i for i, s in enumerate(symbols) if s in VOWEL_SYMBOLS]
    if not vowel_positions:
        return SyllableParts((), tuple(symbols), ())
    start, end = vowel_positions[0], vowel_positions[-1] + 1
    while start > 0 and symbols[start - 1] in NUCLEUS_MARKS:
        start -= 1
    while end < len(symbols) and symbols[end] in NUCLEUS_MARKS:
        end += 1
    return SyllableParts(tuple(symbols[:start]), tuple(symbols[start:end]), tuple(symbols[end:]))


def split_word_into_syllables(
    symbols: list[str], syllable_count: int, word: str
) -> list[list[str]]:
    """Divide a whole word's IPA symbols among ``syllable_count`` syllables.

    Each syllable gets one vowel nucleus; the consonants between two nuclei are split so
    that the later syllable starts with the last one ("hæ-pi"), which is how singers carry
    a consonant onto the next note. Raises SynthInputError when the word does not have
    that many vowels, since the lyrics then cannot be sung as divided.
    """
    nuclei: list[tuple[int, int]] = []
    position = 0
    while position < len(symbols):
        if symbols[position] in VOWEL_SYMBOLS:
            start = position
            while start > 0 and symbols[start - 1] in NUCLEUS_MARKS:
                start -= 1
            end = position + 1
            while end < len(symbols) and (
                symbols[end] in NUCLEUS_MARKS or symbols[end] in VOWEL_SYMBOLS
            ):
                end += 1
            nuclei.append((start, end))
            position = end
        else:
            position += 1
    if len(nuclei) != syllable_count:
        raise SynthInputError(
            f"'{word}' has {len(nuclei)} syllable(s) as pronounced but is sung on "
            f"{syllable_count}; give its ARPAbet phonemes per syllable"
        )
    cuts = [0]
    for (_, previous_end), (next_start, _) in itertools.pairwise(nuclei):
        cuts.append(max(previous_end, next_start - 1))
    cuts.append(len(symbols))
    return [symbols[a:b] for a, b in itertools.pairwise(cuts)]


def is_voiced(symbol: str) -> bool:
    return symbol not in UNVOICED_SYMBOLS
