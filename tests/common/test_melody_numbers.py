"""A melody sent by a caller is refused for any number no melody can have, wherever in
the melody it is, by every service that takes one (one check: melody_number_problem)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from services.common.music import (
    KeyEstimate,
    Melody,
    Note,
    Phrase,
    melody_number_problem,
)


def sound_melody() -> Melody:
    notes = [Note(0.0, 0.5, 60), Note(0.5, 0.5, 62)]
    return Melody(notes, [Phrase(0, 2, 0.0, 1.0)], 1.0, "edited", tempo_bpm=120.0)


def test_a_sound_melody_has_no_problem() -> None:
    assert melody_number_problem(sound_melody()) is None
    assert melody_number_problem(replace(sound_melody(), tempo_bpm=0.0)) is None  # not known


@pytest.mark.parametrize(
    ("change", "told"),
    [
        (
            {"notes": [Note(0.0, 0.5, 60), Note(math.nan, 0.5, 62)]},
            "note 2 has onset_s nan; it must be a finite number",
        ),
        (
            {"notes": [Note(0.0, 0.5, 60, confidence=math.inf)]},
            "note 1 has confidence inf",
        ),
        (
            {"phrases": [Phrase(0, 2, 0.0, math.inf)]},
            "phrase 1 has duration_s inf; it must be a finite number",
        ),
        ({"duration_s": math.nan}, "the melody has duration_s nan"),
        ({"duration_s": -1.0}, "the melody has duration_s -1.0"),
        ({"tempo_bpm": -1.0}, "the melody has tempo_bpm -1.0; a tempo is 0 (not known) or from"),
        ({"tempo_bpm": 401.0}, "the melody has tempo_bpm 401.0"),
        (
            {"tempo_bpm": 0.001},
            "the melody has tempo_bpm 0.001; a tempo is 0 (not known) or from 10",
        ),
        ({"tempo_bpm": math.nan}, "the melody has tempo_bpm nan"),
        ({"key": KeyEstimate("C", "major", math.nan)}, "the melody's key has confidence nan"),
    ],
)
def test_a_number_no_melody_can_have_is_named_where_it_is(change: dict, told: str) -> None:
    problem = melody_number_problem(replace(sound_melody(), **change))
    assert problem is not None and problem.startswith(told), problem
