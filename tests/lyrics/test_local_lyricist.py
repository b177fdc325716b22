"""The local lyricist: exact syllables on every note, rhymes where asked, the theme
in the words, repeatable with a seed."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

import pronouncing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.music import Melody, Note
from services.common.phrases import group_phrases
from services.lyrics import lexicon
from services.lyrics.domain import LyricsRequest
from services.lyrics.errors import LyricsInputError
from services.lyrics.local import curated_words
from services.lyrics.pronunciation import pronounce, rhymes_with
from services.lyrics.syllables import line_fits
from services.lyrics.text import words_of
from services.lyrics.vocabulary import build_vocabulary
from services.lyrics.wordbank import PARTS_OF_SPEECH, SCENES
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


@pytest.mark.parametrize("phrases", [[1] * 8, [2] * 8, [1, 2] * 4, [7, 6, 7, 6]])
def test_each_rhyme_group_of_a_stanza_has_its_own_sound(phrases: list[int]) -> None:
    # Found in one-note phrases: "Sled / Sled / Thread / Thread" for ABAB, where group B
    # started on the word group A had just ended on.
    shared = 0
    for seed in range(12):
        lyrics = write_lyrics(
            LyricsRequest(
                melody=melody_of(phrases), theme="winter", rhyme_scheme="ABAB", seed=seed
            ),
            LOCAL,
        )
        ends = [words_of(line.text)[-1] for line in lyrics.lines]
        for stanza in range(0, len(ends) - 3, 4):
            a_end, b_end = ends[stanza], ends[stanza + 1]
            assert a_end.lower() != b_end.lower(), (seed, ends)
            shared += rhymes_with(a_end, b_end)
    assert shared <= 1  # only where no line of a new sound fits at all


def test_a_refrain_that_no_later_line_could_answer_does_not_set_the_rhyme() -> None:
    # Found by the property above: line 5 repeats line 2 ("Oh, shower") and starts rhyme
    # group B, whose other line has one note; no word of one syllable rhymes with
    # "shower", so that line ended on a word that did not rhyme ("Bud").
    phrases = [14, 3, 3, 4, 3, 1]

    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of(phrases), rhyme_scheme="AAAA", seed=1059), LOCAL
    )

    assert lyrics.fit.rhymes_achieved == lyrics.fit.rhymes_requested
    assert all(line_fits(line.text, n) for line, n in zip(lyrics.lines, phrases, strict=True))


def test_the_theme_shows_in_the_words() -> None:
    lyrics = write_lyrics(
        LyricsRequest(syllables_per_line=(8, 8, 8, 8, 8, 8), theme="sailing the ocean", seed=7),
        LOCAL,
    )
    sea = next(scene for scene in SCENES if "ocean" in scene.keys.split())
    sea_words = {word for pos in PARTS_OF_SPEECH for word in sea.words(pos)}
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


def test_every_lexicon_and_scene_word_is_in_the_dictionary() -> None:
    words = set(lexicon.noun_classes())
    for table in (lexicon.ADJECTIVES, lexicon.INTRANSITIVE_VERBS, lexicon.TRANSITIVE_VERBS):
        words |= set(lexicon.parse_entries(table))
    for scene in SCENES:
        for part_of_speech in PARTS_OF_SPEECH:
            words |= set(scene.words(part_of_speech))
    assert [word for word in sorted(words) if pronounce(word).guessed] == []


def test_scene_adjectives_and_verbs_are_lexicon_words() -> None:
    known = {
        "adj": set(lexicon.parse_entries(lexicon.ADJECTIVES)),
        "verb": set(lexicon.parse_entries(lexicon.INTRANSITIVE_VERBS)),
        "tverb": set(lexicon.parse_entries(lexicon.TRANSITIVE_VERBS)),
    }
    for scene in SCENES:
        for part_of_speech, words in known.items():
            assert set(scene.words(part_of_speech)) <= words, scene.keys


#: Verbs that say nothing without an object: "we gather roses", never "the food gathers".
OBJECT_VERBS = [
    "gather",
    "cherish",
    "embrace",
    "welcome",
    "borrow",
    "mend",
    "shelter",
    "admire",
    "sketch",
    "harvest",
    "savor",
    "visit",
]


def test_verbs_that_need_an_object_are_sung_with_one() -> None:
    intransitive = lexicon.parse_entries(lexicon.INTRANSITIVE_VERBS)
    transitive = lexicon.parse_entries(lexicon.TRANSITIVE_VERBS)

    assert [verb for verb in OBJECT_VERBS if verb in intransitive] == []
    assert [verb for verb in OBJECT_VERBS if verb not in transitive] == []


def test_theme_words_join_the_vocabulary_as_singular_nouns() -> None:
    vocabulary = build_vocabulary("dragons and castles", "", "")
    themed = {word.text for word in vocabulary.themed_words}

    assert {"dragon", "castle"} <= themed


def test_a_line_asked_to_rhyme_with_a_word_answers_it_without_singing_it() -> None:
    # What a revision asks for when one line of a rhyme group is written anew.
    answered = asked = 0
    for word in ("wade", "night", "home", "sea", "rain", "day"):
        for notes in (2, 5, 8):
            lyrics = write_lyrics(
                LyricsRequest(
                    melody=melody_of([notes]), theme="the sea", seed=notes, rhyme_with=word
                ),
                LOCAL,
            )
            (line,) = lyrics.lines
            end = words_of(line.text)[-1].lower()
            assert line_fits(line.text, notes)
            assert end != word, line.text
            asked += 1
            answered += rhymes_with(end, word)
    # Where no line of the grammar ends on a rhyme that fits the notes ("home" on five
    # notes of a song about the sea), the line has a sound of its own, not a tacked-on
    # rhyme ("You cross the sea, roam").
    assert answered >= asked - 3


def test_house_is_answered_by_a_rhyme_that_is_not_house_again_on_two_notes() -> None:
    # "farmhouse" and "lighthouse" sing "house" again, so they do not answer it; a
    # revision rewriting "That lighthouse" beside "Our house" had only a line that did
    # not rhyme ("Waves splash") until the lexicon had another rhyme of it.
    for seed in range(4):
        lyrics = write_lyrics(
            LyricsRequest(
                melody=melody_of([2]),
                theme="harbour",
                seed=seed,
                rhyme_with="Our house",
                avoid_end_words=("That lighthouse", "Our house"),
            ),
            LOCAL,
        )
        end = words_of(lyrics.lines[0].text)[-1].lower()
        assert rhymes_with(end, "house") and "house" not in end, lyrics.lines[0].text


@pytest.mark.parametrize("notes", [16, 24, 29, 40])
def test_a_long_phrase_sung_as_one_line_is_written_in_clauses_not_a_list_of_nouns(
    notes: int,
) -> None:
    # A whole hum as one phrase, no theme: every candidate line of many clauses could
    # fail, and the fallback was a list of nouns ("Deck, sea, deck, plane, hillside").
    for seed in range(6):
        for mood, genre in (("sad", "blues"), ("melancholy", "ballad")):
            lyrics = write_lyrics(
                LyricsRequest(melody=melody_of([notes]), mood=mood, genre=genre, seed=seed),
                LOCAL,
            )
            (line,) = lyrics.lines
            lone = [len(part.split()) == 1 for part in line.text.split(",")]
            lone_words_in_a_row = max(
                (len(list(run)) for is_lone, run in groupby(lone) if is_lone), default=0
            )
            assert line_fits(line.text, notes)
            assert lone_words_in_a_row < 3, line.text


def test_a_word_with_no_rhyme_here_is_not_sung_again_in_another_spelling() -> None:
    for notes in (2, 5, 8):
        lyrics = write_lyrics(
            LyricsRequest(
                melody=melody_of([notes]), theme="the sea", seed=notes, rhyme_with="harbour"
            ),
            LOCAL,
        )
        assert words_of(lyrics.lines[0].text)[-1].lower() not in ("harbour", "harbor")


def test_a_word_without_a_rhyme_that_fits_gets_a_plain_line_not_a_list_of_nouns() -> None:
    lyrics = write_lyrics(
        LyricsRequest(melody=melody_of([5]), theme="the sea", seed=1, rhyme_with="orange"), LOCAL
    )
    # The fallback's list reads "Comet, cake, cowboy"; a line says something.
    assert lyrics.lines[0].text.count(",") <= 1, lyrics.lines[0].text


def test_only_the_local_lyricist_takes_a_word_to_rhyme_with() -> None:
    settings = settings_for(lyrics_default_provider="local", openai_api_key="sk-test")
    with pytest.raises(LyricsInputError, match="rhyme_with is taken by the local lyricist only"):
        write_lyrics(
            LyricsRequest(melody=melody_of([5]), provider="openai", rhyme_with="night"), settings
        )


def test_no_line_ends_on_a_word_it_is_asked_to_avoid_in_any_spelling() -> None:
    # What a revision asks for when a line is written anew among the song's kept lines.
    for seed in range(8):
        request = LyricsRequest(melody=melody_of([3, 5, 4]), theme="the harbour", seed=seed)
        ends = [words_of(line.text)[-1] for line in write_lyrics(request, LOCAL).lines]
        avoided = (*ends, "colour")
        again = write_lyrics(replace(request, avoid_end_words=avoided), LOCAL)
        new_ends = {words_of(line.text)[-1].lower() for line in again.lines}
        assert not new_ends & {end.lower() for end in ends}, (seed, ends, new_ends)
        assert not new_ends & {"colour", "color"}
        assert all(line_fits(line.text, len(line.syllables)) for line in again.lines)


def test_only_the_local_lyricist_takes_words_to_avoid_and_not_without_end() -> None:
    settings = settings_for(lyrics_default_provider="local", openai_api_key="sk-test")
    with pytest.raises(LyricsInputError, match="avoid_end_words is taken by the local lyricist"):
        write_lyrics(
            LyricsRequest(melody=melody_of([5]), provider="openai", avoid_end_words=("night",)),
            settings,
        )
    with pytest.raises(LyricsInputError, match="avoid_end_words has 513 words; at most 512"):
        write_lyrics(LyricsRequest(melody=melody_of([5]), avoid_end_words=("night",) * 513), LOCAL)


@pytest.mark.parametrize("scheme", ["XAXA", "ABAB", "AABB", "ABCB", "none"])
def test_no_line_ends_on_a_word_an_earlier_line_ended_on(scheme: str) -> None:
    # One- and two-note phrases never repeat (too short to be a refrain), so every line
    # is new: "Love / Love / Dove" and an X line's "Frost" three times were found here.
    for seed in range(10):
        lyrics = write_lyrics(
            LyricsRequest(
                melody=melody_of([1, 2, 1, 1, 2, 1, 1, 1]),
                theme="winter",
                rhyme_scheme=scheme,
                seed=seed,
            ),
            LOCAL,
        )
        ends = [words_of(line.text)[-1].lower() for line in lyrics.lines]
        assert len(set(ends)) == len(ends), (seed, [line.text for line in lyrics.lines])


@pytest.mark.parametrize(
    ("given", "word"),
    [("rain,", "rain"), ("the sea", "sea"), ("café", "cafe"), ("\u200bnight", "night")],
)
def test_the_word_to_rhyme_with_is_the_last_word_as_said_and_never_sung_again(
    given: str, word: str
) -> None:
    for notes in (1, 3, 6):
        lyrics = write_lyrics(
            LyricsRequest(melody=melody_of([notes]), theme="the sea", seed=notes, rhyme_with=given),
            LOCAL,
        )
        end = words_of(lyrics.lines[0].text)[-1].lower()
        assert end not in (word, given), lyrics.lines[0].text


@pytest.mark.parametrize("word", ["heart", "colour", "fire", "centre"])
def test_a_line_answering_a_word_never_ends_on_a_surname_or_the_word_within_a_compound(
    word: str,
) -> None:
    for notes in (1, 3, 6, 12):
        lyrics = write_lyrics(
            LyricsRequest(melody=melody_of([notes]), theme="harbour", seed=notes, rhyme_with=word),
            LOCAL,
        )
        text = lyrics.lines[0].text
        end = words_of(text)[-1].lower()
        assert not end.endswith(word) and not end.endswith("color"), text  # "sweetheart"
        # The fallback's rhymes from the whole dictionary: "tartt", "centerre", "Dessauer".
        assert end not in set(pronouncing.rhymes(word)) - curated_words(), text


def test_a_word_to_rhyme_with_longer_than_a_line_is_refused() -> None:
    with pytest.raises(LyricsInputError, match="rhyme_with has 101 characters"):
        write_lyrics(LyricsRequest(melody=melody_of([3]), rhyme_with="a" * 101), LOCAL)


def test_a_line_that_need_not_rhyme_does_not_end_on_a_rhyme_groups_sound() -> None:
    # Found by a tester: "Summer ends / Watch rain (A) / Windowpane / Champagne (A)".
    timed = [
        (0.2, 0.3, 69), (0.52, 0.3, 62), (0.84, 0.7, 68), (2.16, 0.2, 72), (2.38, 0.45, 64),
        (3.45, 0.45, 63), (3.92, 0.45, 63), (4.39, 0.7, 61), (5.71, 0.3, 60), (6.03, 0.3, 62),
    ]  # fmt: skip
    notes = [Note(onset_s, duration_s, pitch) for onset_s, duration_s, pitch in timed]
    melody = Melody(notes, group_phrases(notes), 7.45, "swift", tempo_bpm=100.0)
    lyrics = write_lyrics(
        LyricsRequest(melody=melody, theme="summer rain", rhyme_scheme="ABCB", seed=4609), LOCAL
    )
    group_ends = [words_of(line.text)[-1] for line in lyrics.lines if line.rhyme_label]
    free_ends = [words_of(line.text)[-1] for line in lyrics.lines if not line.rhyme_label]
    assert group_ends and free_ends
    assert not any(rhymes_with(free, group) for free in free_ends[1:] for group in group_ends)
