"""Which spellings a voice can say: Latin letters (accents are fine) and digits 0-9."""

from __future__ import annotations

import pytest

from services.common.letters import is_latin, is_sayable, unsayable_message


@pytest.mark.parametrize("text", ["love", "Zoë's", "naïve", "crème", "2", "B2B", "ß"])
def test_latin_letters_and_digits_are_said_from_their_spelling(text: str) -> None:
    assert is_latin(text) and is_sayable(text)


@pytest.mark.parametrize("text", ["привет", "東京", "مرحبا", "Γειά", "١٢", "😀", "-", "", "…"])
def test_other_scripts_digits_and_bare_symbols_are_not(text: str) -> None:
    assert not is_sayable(text)


def test_the_message_names_five_words_then_counts_the_rest() -> None:
    message = unsayable_message(["a", "b", "c", "d", "e", "f", "g"])
    assert message.startswith("the lyrics contain words that cannot be sung: 'a', 'b'")
    assert "'e' and 2 more. Only English can be sung so far" in message
    assert unsayable_message(["мир"]).startswith("the lyrics contain a word that cannot be sung")
