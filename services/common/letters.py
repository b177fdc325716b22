"""Which written words the voices can say: English is sung in Latin letters.

Shared by the lyrics service (the user's own lyrics) and the synth (syllables sent
without phonemes), so that both refuse the same words with the same message.
"""

from __future__ import annotations

import unicodedata

#: What a person is told about words the voices cannot say.
ONLY_LATIN_ADVICE = (
    "Only English can be sung so far, in Latin letters (accents are fine); write such "
    "words as they sound in English"
)


def is_latin(word: str) -> bool:
    """Whether every letter of ``word`` is a Latin one ("Zoë", "naïve", "2nd": True;
    "привет", "東京": False). A word without letters is Latin."""
    for character in unicodedata.normalize("NFKC", word):
        if character.isalpha() and not unicodedata.name(character, "").startswith("LATIN"):
            return False
    return True


def is_sayable(text: str) -> bool:
    """Whether a voice can say ``text`` from its spelling alone: it has a Latin letter
    or a digit 0-9 and no other letters or digits ("love", "Zoë's", "2": True;
    "привет", "😀", "-", "١٢": False)."""
    normalized = unicodedata.normalize("NFKC", text)
    has_sound = any(
        (character.isdecimal() and character.isascii())
        or unicodedata.name(character, "").startswith("LATIN")
        for character in normalized
        if character.isalnum()
    )
    other_digits = any(
        character.isdecimal() and not character.isascii() for character in normalized
    )
    return has_sound and not other_digits and is_latin(normalized)


def unsayable_message(words: list[str]) -> str:
    """The message naming the words (at most five, then a count) that cannot be sung."""
    named = ", ".join(f"'{word}'" for word in words[:5])
    more = f" and {len(words) - 5} more" if len(words) > 5 else ""
    return (
        f"the lyrics contain {'a word' if len(words) == 1 else 'words'} that cannot be "
        f"sung: {named}{more}. {ONLY_LATIN_ADVICE}"
    )
