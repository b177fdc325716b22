"""Pronouncing words that the CMU dictionary lacks with espeak-ng, in ARPAbet.

espeak-ng (GPL-3.0-or-later) ships, with its data for every language it knows, inside
the ``piper-tts`` wheel that the synth already uses (``piper.espeakbridge``), so nothing
is downloaded and no system package is needed. Its US English voice has letter-to-sound
rules for English and for the accented Latin letters that English borrows ("crème",
"Zoë", "señor", "naïve"). It writes IPA; :func:`ipa_to_arpabet` maps that onto cmudict's
ARPAbet so the rest of the lyrics service (syllable counts, stress, rhymes) and the synth
(which maps ARPAbet back to espeak's IPA) see one alphabet.

espeak-ng keeps global state (the current voice), so calls are serialised with a lock.
"""

from __future__ import annotations

import threading
import unicodedata

#: The espeak-ng voice whose rules we use (the piper voice speaks US English).
ESPEAK_VOICE = "en-us"

#: espeak-ng's en-us IPA (as it writes it, after NFC) -> ARPAbet, vowels without stress.
#: Longest symbols are matched first. Every symbol its en-us rules emit is here; the
#: rarer ones (for foreign spellings) map to the nearest English sound.
_VOWELS = {
    "aɪə": ("AY", "AH"),
    "aɪɚ": ("AY", "ER"),
    "aʊ": ("AW",),
    "aɪ": ("AY",),
    "eɪ": ("EY",),
    "oʊ": ("OW",),
    "ɔɪ": ("OY",),
    "ɑː": ("AA",),
    "ɔː": ("AO",),
    "ɜː": ("ER",),
    "iː": ("IY",),
    "uː": ("UW",),
    "oː": ("OW",),
    "ɛː": ("EH",),
    "eː": ("EY",),
    "iə": ("IY", "AH"),
    "eə": ("EH",),
    "ʊə": ("UH",),
    "ɑ": ("AA",),
    "ɒ": ("AA",),
    "æ": ("AE",),
    "ʌ": ("AH",),
    "ə": ("AH",),
    "ɐ": ("AH",),
    "ɚ": ("ER",),
    "ɜ": ("ER",),
    "ɛ": ("EH",),
    "ɪ": ("IH",),
    "ᵻ": ("IH",),
    "i": ("IY",),
    "ɔ": ("AO",),
    "o": ("OW",),
    "ʊ": ("UH",),
    "u": ("UW",),
    "a": ("AA",),
    "e": ("EH",),
    "y": ("UW",),
    "ʏ": ("UH",),
    "ø": ("ER",),
    "œ": ("ER",),
    "ɯ": ("UW",),
    "ɨ": ("IH",),
}
_CONSONANTS = {
    "tʃ": ("CH",),
    "dʒ": ("JH",),
    "n̩": ("AH0", "N"),
    "l̩": ("AH0", "L"),
    "m̩": ("AH0", "M"),
    "ɹ̩": ("ER0",),
    "p": ("P",),
    "b": ("B",),
    "t": ("T",),
    "d": ("D",),
    "k": ("K",),
    "ɡ": ("G",),
    "g": ("G",),
    "f": ("F",),
    "v": ("V",),
    "θ": ("TH",),
    "ð": ("DH",),
    "s": ("S",),
    "z": ("Z",),
    "ʃ": ("SH",),
    "ʒ": ("ZH",),
    "h": ("HH",),
    "ç": ("HH",),
    "x": ("K",),
    "m": ("M",),
    "n": ("N",),
    "ŋ": ("NG",),
    "ɲ": ("N", "Y"),
    "l": ("L",),
    "ɫ": ("L",),
    "ɬ": ("L",),
    "ɹ": ("R",),
    "r": ("R",),
    "ɾ": ("T",),  # the US flap ("water"): cmudict writes T
    "ʔ": ("T",),  # a glottal stop stands for a t ("button")
    "w": ("W",),
    "ʍ": ("W",),
    "j": ("Y",),
    "ʁ": ("R",),
}
#: Marks that change nothing in ARPAbet: palatalisation, nasalisation, length (the long
#: vowels are matched as a whole above), tie bars, syllable breaks.
_IGNORED = frozenset("ʲ̃ː‿͡. -")
_PRIMARY, _SECONDARY = "ˈ", "ˌ"
_SYMBOLS = sorted({**_VOWELS, **_CONSONANTS}, key=len, reverse=True)

_lock = threading.Lock()
_ready = False


class UnmappedSymbolError(ValueError):
    """espeak-ng wrote an IPA symbol that has no ARPAbet counterpart here."""


def espeak_ipa(word: str) -> str:
    """espeak-ng's US English IPA for ``word`` (stress marks before vowels), NFC.

    Raises whatever the espeak-ng bridge raises if its data is missing (not expected:
    it is part of the piper-tts wheel).
    """
    global _ready
    with _lock:
        if not _ready:
            # Imported here: the bridge loads espeak-ng's data, which only unknown words need.
            from piper.phonemize_espeak import EspeakPhonemizer

            EspeakPhonemizer()  # initialises espeak-ng with the wheel's data folder
            _ready = True
        from piper import espeakbridge

        espeakbridge.set_voice(ESPEAK_VOICE)
        clauses = espeakbridge.get_phonemes(word)
    return unicodedata.normalize("NFC", " ".join(phonemes for phonemes, _, _ in clauses))


def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    """espeak-ng IPA ("zˈoʊiz") as ARPAbet with stress digits (Z OW1 IY0 Z).

    A vowel takes the stress mark that precedes it (primary 1, secondary 2, none 0).

    Raises:
        UnmappedSymbolError: for a symbol neither mapped nor ignored.
    """
    text = unicodedata.normalize("NFC", ipa)
    phonemes: list[str] = []
    stress = "0"
    position = 0
    while position < len(text):
        character = text[position]
        if character in (_PRIMARY, _SECONDARY):
            stress = "1" if character == _PRIMARY else "2"
            position += 1
            continue
        if character in _IGNORED or unicodedata.category(character) == "Mn":
            position += 1
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, position)), None)
        if symbol is None:
            raise UnmappedSymbolError(f"espeak-ng wrote {character!r} (U+{ord(character):04X})")
        if symbol in _VOWELS:
            for index, vowel in enumerate(_VOWELS[symbol]):
                # The second part of a split diphthong ("aɪɚ" -> AY ER) is unstressed.
                phonemes.append(vowel + (stress if index == 0 else "0"))
            stress = "0"
        else:
            phonemes.extend(_CONSONANTS[symbol])
        position += len(symbol)
    return tuple(phonemes)


def espeak_arpabet(word: str) -> tuple[str, ...]:
    """ARPAbet for ``word`` from espeak-ng's US English rules (see the module docstring)."""
    return ipa_to_arpabet(espeak_ipa(word))
