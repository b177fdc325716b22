"""The syllable plan: how many syllables each line needs and where its strong beats are.

A melody gives one line per phrase and one syllable per note. A note is *strong* (a
good place for a stressed syllable) when it is long for its phrase or falls on a beat
of the melody's tempo; when the notes give no such hint, strong and weak alternate so
that the line ends on a strong note, the commonest shape of a sung line.

The plan also reads the song's form from the notes: a phrase that repeats an earlier
one (same number of notes, same contour, same rhythm) is marked as its repeat, so that
its words can repeat too (a refrain or hook); and a line that closes a section (the
last line, or one before a long rest) on a long note is marked as *landing*, where a
held, open vowel sings best.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from services.common.music import Melody, Note, Phrase, melody_number_problem
from services.lyrics.errors import LyricsInputError

#: A note this much longer than its phrase's median note is strong on its own.
LONG_NOTE_RATIO = 1.4
#: An onset this close to a beat (as a fraction of a beat) is on the beat.
ON_BEAT_TOLERANCE = 0.15
#: A note on the beat is strong unless it is this much shorter than the median.
SHORT_NOTE_RATIO = 0.6
#: A rest at least this long ends a phrase when a melody comes without phrases, in seconds.
PHRASE_GAP_S = 0.3
#: Repeated phrases: every interval within this many semitones of the earlier phrase's
#: (and in the same direction), every note's share of the phrase's length within this
#: ratio of the earlier one's. Sung repeats are never exact.
REPEAT_INTERVAL_TOLERANCE = 1
REPEAT_DURATION_RATIO = 1.35
#: Phrases shorter than this are not taken for repeats (two notes match too easily).
MIN_REPEATED_NOTES = 3
#: A rest this many times the median rest between phrases ends a section.
SECTION_REST_RATIO = 2.0


@dataclass(frozen=True)
class LinePlan:
    """One line to write.

    phrase_index: index of the melody phrase (or of the line in a plain syllable plan).
    note_indices: the note each syllable is sung on, in order.
    strong: per syllable, whether its note is a strong position.
    long_notes: per syllable, whether its note is long for the phrase (empty when
        unknown: a plain syllable plan).
    lands: whether the line closes a section on a long note.
    """

    phrase_index: int
    note_indices: tuple[int, ...]
    strong: tuple[bool, ...]
    long_notes: tuple[bool, ...] = ()
    lands: bool = False

    @property
    def syllable_count(self) -> int:
        return len(self.note_indices)


@dataclass(frozen=True)
class SyllablePlan:
    """Every line to write, in order.

    repeat_of: per line, the earlier line whose phrase this one repeats (None when it
        repeats none, or for a plain syllable plan: empty).
    """

    lines: tuple[LinePlan, ...]
    repeat_of: tuple[int | None, ...] = ()

    @property
    def syllable_counts(self) -> tuple[int, ...]:
        return tuple(line.syllable_count for line in self.lines)


def plan_from_counts(syllables_per_line: Sequence[int], *, max_syllables: int) -> SyllablePlan:
    """A plan from bare counts: syllables numbered 0, 1, 2 ... across lines."""
    if not syllables_per_line:
        raise LyricsInputError("give a melody or at least one line's syllable count")
    if any(count < 1 for count in syllables_per_line):
        raise LyricsInputError("every line needs at least one syllable")
    if sum(syllables_per_line) > max_syllables:
        raise LyricsInputError(
            f"{sum(syllables_per_line)} syllables asked for; at most {max_syllables} "
            "fit in one request"
        )
    lines, next_index = [], 0
    for line_number, count in enumerate(syllables_per_line):
        indices = tuple(range(next_index, next_index + count))
        lines.append(LinePlan(line_number, indices, alternating_strong(count)))
        next_index += count
    return SyllablePlan(tuple(lines))


def plan_from_melody(melody: Melody, *, max_notes: int) -> SyllablePlan:
    """One line per phrase of ``melody``, one syllable per note."""
    if not melody.notes:
        raise LyricsInputError(
            "the melody has no notes to write words for (was the recording silent?)"
        )
    if len(melody.notes) > max_notes:
        raise LyricsInputError(
            f"the melody has {len(melody.notes)} notes; at most {max_notes} fit in one "
            "request (split the song into sections)"
        )
    problem = melody_number_problem(melody)
    if problem is not None:
        raise LyricsInputError(problem)
    _check_notes(melody.notes)
    phrases = melody.phrases or phrases_by_gaps(melody.notes)
    _check_phrases(phrases, len(melody.notes))
    beat_s = 60.0 / melody.tempo_bpm if melody.tempo_bpm > 0 else 0.0
    origin_s = melody.notes[0].onset_s
    lines = []
    section_ends = _section_ends(phrases)
    for phrase_index, phrase in enumerate(phrases):
        notes = melody.phrase_notes(phrase)
        long_notes = long_positions(notes)
        lines.append(
            LinePlan(
                phrase_index,
                tuple(phrase.note_indices),
                strong_positions(notes, beat_s=beat_s, origin_s=origin_s),
                long_notes,
                lands=phrase_index in section_ends and long_notes[-1],
            )
        )
    return SyllablePlan(tuple(lines), repeated_phrases(melody, phrases))


def long_positions(notes: Sequence[Note]) -> tuple[bool, ...]:
    """Per note of a phrase, whether it is long (``LONG_NOTE_RATIO`` × the median)."""
    median_s = statistics.median(note.duration_s for note in notes)
    return tuple(median_s > 0 and note.duration_s >= LONG_NOTE_RATIO * median_s for note in notes)


def repeated_phrases(melody: Melody, phrases: Sequence[Phrase]) -> tuple[int | None, ...]:
    """Per phrase, the first earlier phrase it repeats (same note count, contour within
    ``REPEAT_INTERVAL_TOLERANCE`` semitones, rhythm within ``REPEAT_DURATION_RATIO``),
    else None. Transposed repeats count: intervals are compared, not pitches."""
    shapes = [_shape(melody.phrase_notes(phrase)) for phrase in phrases]
    found: list[int | None] = []
    for index, shape in enumerate(shapes):
        match = None
        if len(shape[0]) + 1 >= MIN_REPEATED_NOTES:
            for earlier in range(index):
                if found[earlier] is None and _same_shape(shapes[earlier], shape):
                    match = earlier
                    break
        found.append(match)
    return tuple(found)


def _shape(notes: Sequence[Note]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """(intervals in semitones, each note's share of the phrase's onset-to-offset span)."""
    intervals = tuple(b.midi_pitch - a.midi_pitch for a, b in itertools.pairwise(notes))
    span_s = notes[-1].offset_s - notes[0].onset_s
    # Inter-onset intervals (the last note: its duration) carry the rhythm.
    lengths = [b.onset_s - a.onset_s for a, b in itertools.pairwise(notes)]
    lengths.append(notes[-1].duration_s)
    return intervals, tuple(length / span_s if span_s > 0 else 0.0 for length in lengths)


def _same_shape(
    first: tuple[tuple[int, ...], tuple[float, ...]],
    second: tuple[tuple[int, ...], tuple[float, ...]],
) -> bool:
    (intervals_a, rhythm_a), (intervals_b, rhythm_b) = first, second
    if len(rhythm_a) != len(rhythm_b):
        return False
    for step_a, step_b in zip(intervals_a, intervals_b, strict=True):
        same_direction = (step_a > 0) == (step_b > 0) and (step_a < 0) == (step_b < 0)
        if abs(step_a - step_b) > REPEAT_INTERVAL_TOLERANCE or not same_direction:
            return False
    for share_a, share_b in zip(rhythm_a, rhythm_b, strict=True):
        shorter, longer = min(share_a, share_b), max(share_a, share_b)
        if shorter <= 0 or longer / shorter > REPEAT_DURATION_RATIO:
            return False
    return True


def _section_ends(phrases: Sequence[Phrase]) -> set[int]:
    """The phrases that close a section: the last, and any followed by a rest of at
    least ``SECTION_REST_RATIO`` × the median rest between phrases."""
    ends = {len(phrases) - 1}
    rests = [
        after.onset_s - (before.onset_s + before.duration_s)
        for before, after in itertools.pairwise(phrases)
    ]
    if len(rests) >= 2:
        median_s = statistics.median(rests)
        ends |= {
            index
            for index, rest_s in enumerate(rests)
            if median_s > 0 and rest_s >= SECTION_REST_RATIO * median_s
        }
    return ends


def strong_positions(notes: Sequence[Note], *, beat_s: float, origin_s: float) -> tuple[bool, ...]:
    """Which notes of a phrase suit a stressed syllable.

    beat_s: length of a beat in seconds (0 when the tempo is unknown).
    origin_s: a time known to be on a beat (the melody's first onset), in seconds.
    """
    median_s = statistics.median(note.duration_s for note in notes)
    strong = []
    for note in notes:
        ratio = note.duration_s / median_s if median_s > 0 else 1.0
        on_beat = beat_s > 0 and _beat_distance(note.onset_s - origin_s, beat_s) <= (
            ON_BEAT_TOLERANCE
        )
        strong.append(ratio >= LONG_NOTE_RATIO or (on_beat and ratio >= SHORT_NOTE_RATIO))
    if not any(strong) or all(strong):
        # Nothing stands out (even notes, or every note on a beat): use metre instead.
        return alternating_strong(len(notes))
    return tuple(strong)


def alternating_strong(count: int) -> tuple[bool, ...]:
    """Weak-strong alternation that ends on a strong syllable ("da-DUM da-DUM")."""
    return tuple((count - 1 - position) % 2 == 0 for position in range(count))


def phrases_by_gaps(notes: Sequence[Note]) -> list[Phrase]:
    """Group notes into phrases at rests of at least ``PHRASE_GAP_S``."""
    phrases, first = [], 0
    for index in range(1, len(notes) + 1):
        at_end = index == len(notes)
        if at_end or notes[index].onset_s - notes[index - 1].offset_s >= PHRASE_GAP_S:
            onset_s = notes[first].onset_s
            phrases.append(
                Phrase(first, index - first, onset_s, notes[index - 1].offset_s - onset_s)
            )
            first = index
    return phrases


def _beat_distance(time_s: float, beat_s: float) -> float:
    """Distance from time_s to the nearest beat, as a fraction of a beat (0..0.5)."""
    position = time_s / beat_s
    return abs(position - round(position))


def _check_notes(notes: Sequence[Note]) -> None:
    """Refuse notes whose times make no sense (their numbers are finite: see
    ``melody_number_problem``, checked first)."""
    for index, note in enumerate(notes):
        if note.onset_s < 0:
            raise LyricsInputError(
                f"note {index + 1} starts at {note.onset_s} s; an onset must be a number of "
                "seconds, 0 or more"
            )
        if note.duration_s <= 0:
            raise LyricsInputError(
                f"note {index + 1} lasts {note.duration_s} s; a duration must be a number of "
                "seconds above 0"
            )


def _check_phrases(phrases: Sequence[Phrase], note_count: int) -> None:
    previous_end = 0
    for number, phrase in enumerate(phrases):
        if phrase.note_count < 1:
            raise LyricsInputError(f"phrase {number + 1} has no notes")
        if phrase.first_note_index < previous_end:
            raise LyricsInputError(f"phrase {number + 1} overlaps the phrase before it")
        end = phrase.first_note_index + phrase.note_count
        if end > note_count:
            raise LyricsInputError(
                f"phrase {number + 1} refers to notes up to note {end}, but the melody has "
                f"{note_count} notes"
            )
        previous_end = end
