"""The syllable plan: a line per phrase, a syllable per note, strong beats marked."""

from __future__ import annotations

import math

import pytest

from services.common.music import Melody, Note, Phrase
from services.lyrics.errors import LyricsInputError
from services.lyrics.plan import plan_from_counts, plan_from_melody
from tests.lyrics.builders import melody_of


def test_each_phrase_becomes_a_line_with_one_syllable_per_note() -> None:
    plan = plan_from_melody(melody_of([4, 6, 3]), max_notes=100)

    assert plan.syllable_counts == (4, 6, 3)
    assert plan.lines[1].note_indices == (4, 5, 6, 7, 8, 9)


def test_long_notes_are_strong() -> None:
    plan = plan_from_melody(melody_of([6], long_notes=frozenset({2, 5})), max_notes=100)

    assert plan.lines[0].strong == (False, False, True, False, False, True)


def test_notes_on_the_beat_are_strong() -> None:
    # 120 bpm: a beat every 0.5 s; 0.25 s notes alternate on and off the beat.
    plan = plan_from_melody(melody_of([6], note_s=0.25, tempo_bpm=120), max_notes=100)

    assert plan.lines[0].strong == (True, False, True, False, True, False)


def test_even_notes_alternate_and_end_strong() -> None:
    plan = plan_from_melody(melody_of([5]), max_notes=100)

    assert plan.lines[0].strong == (True, False, True, False, True)


def test_a_melody_without_phrases_is_split_at_rests() -> None:
    phrased = melody_of([3, 2])
    melody = Melody(notes=phrased.notes, phrases=[], duration_s=phrased.duration_s, engine="x")

    assert plan_from_melody(melody, max_notes=100).syllable_counts == (3, 2)


def test_a_melody_without_notes_is_refused() -> None:
    with pytest.raises(LyricsInputError, match="no notes"):
        plan_from_melody(Melody(notes=[], phrases=[], duration_s=1.0, engine="x"), max_notes=10)


def test_too_many_notes_are_refused() -> None:
    with pytest.raises(LyricsInputError, match="at most 10"):
        plan_from_melody(melody_of([6, 6]), max_notes=10)


def test_phrases_pointing_past_the_notes_are_refused() -> None:
    notes = [Note(0.0, 0.2, 60), Note(0.2, 0.2, 62)]
    melody = Melody(notes=notes, phrases=[Phrase(0, 3, 0.0, 0.4)], duration_s=1.0, engine="x")
    with pytest.raises(LyricsInputError, match=r"^phrase 1 refers to notes up to note 3"):
        plan_from_melody(melody, max_notes=10)


def test_a_plan_from_counts_numbers_syllables_across_lines() -> None:
    plan = plan_from_counts([2, 3], max_syllables=10)

    assert [line.note_indices for line in plan.lines] == [(0, 1), (2, 3, 4)]


@pytest.mark.parametrize("counts", [[], [3, 0], [-1]])
def test_empty_or_non_positive_counts_are_refused(counts: list[int]) -> None:
    with pytest.raises(LyricsInputError):
        plan_from_counts(counts, max_syllables=10)


@pytest.mark.parametrize(
    ("onset_s", "duration_s", "reason"),
    [
        (math.nan, 0.5, "has onset_s nan"),
        (0.0, math.inf, "has duration_s inf"),
        (-1.0, 0.5, "0 or more"),
    ],
)
def test_notes_whose_times_are_not_real_are_refused(
    onset_s: float, duration_s: float, reason: str
) -> None:
    melody = Melody(notes=[Note(onset_s, duration_s, 60)], phrases=[], duration_s=1.0, engine="x")
    with pytest.raises(LyricsInputError, match=reason):
        plan_from_melody(melody, max_notes=10)
