"""The local lyricist: exact syllables on every note, rhymes where asked, the theme
in the words, repeatable with a seed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.lyrics.domain import LyricsRequest
from services.lyrics.pronunciation import pronounce, rhymes_with
from services.lyrics.syllables import line_fits
from services.lyrics.text import words_of
from services.lyrics.vocabulary import build_vocabulary
from services.lyrics.wordbank import GENERAL, MOODS, PARTS_OF_SPEECH, TOPICS
from services.lyrics.writer import write_lyrics
from tests.lyrics.builders import melody_of, settings_for

LOCAL = settings_for(lyrics_default_provider="local")

#: Melodies of 1 to 200 notes in phrases of 1 to 40 notes.
phrase_shapes = st.lists(st.integers(1, 40), min_size=1, max_size=20).filter(
    lambda lengths: sum(lengths) <= 200
)
schemes = st.sampled_from(["AABB", "ABAB", "XAXA", "AAAA", "ABCB", "none"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    phrases=phrase_shapes,
    scheme=schemes,
    seed=st.integers(0, 2**32 - 1),
    long_notes=st.frozensets(st.integers(0, 199), max_size=30),
)
def test_every_line_has_exactly_one_syllable_per_note(
    phrases: list[int], scheme: str, seed: int, long_notes: frozenset[int]
) -> None:
    melody = melody_of(phrases, long_notes=long_notes)
    lyrics = write_lyrics(LyricsRequest(melody=melody, rhyme_scheme=scheme, seed=seed), LOCAL)

    assert [len(line.syllables) for line in lyrics.lines] == phrases
    assert all(
        line_fits(line.text, count) for line, count in zip(lyrics.lines, phrases, strict=True)
    )
    assert [s.note_index for line in lyrics.lines for s in line.syllables] == list(
        range(sum(phrases))
    )
    assert lyrics.fit.syllable_match_rate == 1.0
    assert lyrics.provider == "local"


@settings(max_examples=30, deadline=None)
@given(
    phrases=st.lists(st.integers(1, 14), min_size=2, max_size=12),
    scheme=st.sampled_from(["AABB", "ABAB", "AAAA", "XAXA"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_lines_rhyme_where_the_scheme_asks(phrases: list[int], scheme: str, seed: int) -> None:
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of(phrases), rhyme_scheme=scheme, seed=seed), LOCAL
    )

    assert lyrics.fit.rhymes_requested > 0 or len(phrases) < 4
    assert lyrics.fit.rhymes_achieved == lyrics.fit.rhymes_requested
    groups: dict[str, list[str]] = {}
    for line in lyrics.lines:
        if line.rhyme_label:
            groups.setdefault(line.rhyme_label, []).append(words_of(line.text)[-1])
    for ends in groups.values():
        assert all(rhymes_with(ends[0], other) for other in ends[1:])


def test_the_theme_shows_in_the_words() -> None:
    lyrics = write_lyrics(
        LyricsRequest(syllables_per_line=(8, 8, 8, 8, 8, 8), theme="sailing the ocean", seed=7),
        LOCAL,
    )
    sea_words = set(TOPICS[0].noun.split() + TOPICS[0].adj.split() + TOPICS[0].verb.split())
    sung = set(words_of(lyrics.text))

    assert len(sung & (sea_words | {"ocean", "sailing"})) >= 3


def test_the_same_seed_gives_the_same_words_and_others_differ() -> None:
    request = LyricsRequest(syllables_per_line=(7, 7, 9, 9), theme="city lights", seed=42)
    first = write_lyrics(request, LOCAL)
    again = write_lyrics(request, LOCAL)
    others = {
        write_lyrics(LyricsRequest(syllables_per_line=(7, 7, 9, 9), seed=s), LOCAL).text
        for s in range(5)
    }

    assert first.text == again.text
    assert first.seed == 42
    assert len(others) == 5


def test_stressed_syllables_fall_mostly_on_strong_notes() -> None:
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of([8, 8, 6, 6], long_notes=frozenset({1, 3, 5, 7})), seed=3),
        LOCAL,
    )

    assert lyrics.fit.stress_on_strong_rate >= 0.7


def test_syllables_carry_arpabet_phonemes_and_word_starts() -> None:
    lyrics = write_lyrics(LyricsRequest(syllables_per_line=(6,), seed=1), LOCAL)
    line = lyrics.lines[0]

    assert all(any(p[-1] in "012" for p in s.phonemes) for s in line.syllables)
    assert sum(s.starts_word for s in line.syllables) == len(words_of(line.text))
    spoken = [p for word in words_of(line.text) for p in pronounce(word).phonemes]
    assert [p for s in line.syllables for p in s.phonemes] == spoken


def test_every_bank_word_is_in_the_dictionary() -> None:
    for bank in (GENERAL, *MOODS, *TOPICS):
        for part_of_speech in PARTS_OF_SPEECH:
            for word in bank.words(part_of_speech):
                assert not pronounce(word).guessed, word


def test_theme_words_join_the_vocabulary_as_singular_nouns() -> None:
    vocabulary = build_vocabulary("dragons and castles", "", "")
    themed = {word.text for word in vocabulary.themed_words}

    assert {"dragon", "castle"} <= themed
