"""Grouping notes into phrases: runs of notes sung without a rest."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.music import Note, Phrase

MIN_REST_S = 0.28  # a silence this long between notes ends a phrase
MAX_PHRASE_DURATION_S = 12.0  # longer runs are split at their widest gap


def group_phrases(
    notes: Sequence[Note],
    *,
    min_rest_s: float = MIN_REST_S,
    max_phrase_duration_s: float = MAX_PHRASE_DURATION_S,
) -> list[Phrase]:
    """Split time-ordered notes into phrases.

    Args:
        notes: Notes in time order.
        min_rest_s: A gap of at least this many seconds between one note's offset and the
            next note's onset starts a new phrase.
        max_phrase_duration_s: A run longer than this is split at its widest gap between
            notes, recursively, so that breaths taken without a long rest still divide it.

    Returns:
        Phrases covering every note exactly once, in order.
    """
    runs: list[tuple[int, int]] = []  # [first, end) note indices
    first = 0
    for i in range(1, len(notes)):
        if notes[i].onset_s - notes[i - 1].offset_s >= min_rest_s:
            runs.append((first, i))
            first = i
    if notes:
        runs.append((first, len(notes)))
    split_runs = [part for run in runs for part in _split_long(notes, run, max_phrase_duration_s)]
    return phrases_of_runs(notes, split_runs)


def phrases_of_runs(notes: Sequence[Note], runs: Sequence[tuple[int, int]]) -> list[Phrase]:
    """The phrase of each run of ``notes``, given as [first, end) note indices."""
    return [
        Phrase(
            first_note_index=start,
            note_count=end - start,
            onset_s=notes[start].onset_s,
            duration_s=notes[end - 1].offset_s - notes[start].onset_s,
        )
        for start, end in runs
    ]


def _split_long(
    notes: Sequence[Note], run: tuple[int, int], max_duration_s: float
) -> list[tuple[int, int]]:
    start, end = run
    if end - start < 2 or notes[end - 1].offset_s - notes[start].onset_s <= max_duration_s:
        return [run]
    # Split before the note that follows the widest gap (ties: the one nearest the middle).
    middle = (start + end) / 2
    cut = max(
        range(start + 1, end),
        key=lambda i: (notes[i].onset_s - notes[i - 1].offset_s, -abs(i - middle)),
    )
    return _split_long(notes, (start, cut), max_duration_s) + _split_long(
        notes, (cut, end), max_duration_s
    )
