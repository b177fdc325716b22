"""What every score format shares: the tempo, the sixteenth-note grid, the key signature
and which syllable each note sings.

A take's notes are timed in seconds as they were sung; a score needs them on a grid. At
the take's tempo (120 BPM when none was found) onsets and ends are rounded to the nearest
sixteenth note, counted from the start of the recording, so the score lines up with the
audio. Time is 4/4 throughout: a bar is 16 sixteenths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from services.common.errors import InvalidInputError
from services.common.music import PITCH_CLASS_NAMES, KeyEstimate, Note, Syllable, continues_word

DEFAULT_TEMPO_BPM = 120.0
SIXTEENTHS_PER_QUARTER = 4
BEATS_PER_BAR = 4
BEAT_UNIT = 4
SIXTEENTHS_PER_BAR = SIXTEENTHS_PER_QUARTER * BEATS_PER_BAR

Syllabic = Literal["single", "begin", "middle", "end"]


def score_tempo_bpm(tempo_bpm: float) -> float:
    """The tempo a score is written at: the take's, to 0.01 BPM, or 120 when it is 0."""
    return round(tempo_bpm, 2) if tempo_bpm > 0 else DEFAULT_TEMPO_BPM


@dataclass(frozen=True)
class GridNote:
    """A note on the sixteenth grid: ``[start_16, end_16)`` in sixteenths from time 0."""

    start_16: int
    end_16: int
    midi_pitch: int

    @property
    def length_16(self) -> int:
        return self.end_16 - self.start_16


def quantise_to_sixteenths(notes: Sequence[Note], tempo_bpm: float) -> list[GridNote]:
    """Rounds onsets and ends to the nearest sixteenth note at ``tempo_bpm``.

    A melody is sung one note at a time, so the result never overlaps and no note vanishes:
    a note that would round to nothing keeps one sixteenth, a note whose onset rounds onto
    (or before) the previous note's starts one sixteenth after it, and a note that would
    run into the next one ends where the next begins. Only crowded runs of very short notes
    move by more than half a sixteenth.

    Args:
        notes: In time order; ``onset_s`` and ``duration_s`` in seconds, ``midi_pitch``
            clamped to 0..127.
        tempo_bpm: Quarter notes per minute (> 0).

    Returns:
        One grid note per input note, in the same order.
    """
    sixteenth_s = 60.0 / tempo_bpm / SIXTEENTHS_PER_QUARTER
    starts_16: list[int] = []
    for note in notes:
        start_16 = max(0, _nearest(note.onset_s / sixteenth_s))
        if starts_16 and start_16 <= starts_16[-1]:
            start_16 = starts_16[-1] + 1
        starts_16.append(start_16)
    grid: list[GridNote] = []
    for index, (note, start_16) in enumerate(zip(notes, starts_16, strict=True)):
        end_16 = max(_nearest(note.offset_s / sixteenth_s), start_16 + 1)
        if index + 1 < len(starts_16):
            end_16 = min(end_16, starts_16[index + 1])
        grid.append(GridNote(start_16, end_16, min(127, max(0, note.midi_pitch))))
    return grid


def _nearest(sixteenths: float) -> int:
    return math.floor(sixteenths + 0.5)  # halves round up, unlike round()'s to-even


def bars_end_16(end_16: int) -> int:
    """The end of the last bar that ``end_16`` reaches (at least one whole bar)."""
    bars = max(1, -(-end_16 // SIXTEENTHS_PER_BAR))
    return bars * SIXTEENTHS_PER_BAR


@dataclass(frozen=True)
class NoteLyric:
    """What one note sings.

    text: the syllable's letters on the first note of a syllable; "" on the later notes of
        a melisma.
    syllabic: where the syllable sits in its word (MusicXML's terms): "single", "begin",
        "middle" or "end".
    melisma_continues: more notes of this syllable follow (the first notes of a melisma).
    continues_melisma: this note holds the syllable begun on an earlier note.
    """

    text: str
    syllabic: Syllabic
    melisma_continues: bool = False
    continues_melisma: bool = False


def lyrics_by_note(syllables: Sequence[Syllable], note_count: int) -> list[NoteLyric | None]:
    """For each note, the syllable it starts or holds (None for a note without words).

    Syllabic comes from ``starts_word`` of a syllable and of the next one; syllables whose
    text is blank are left out.

    Args:
        syllables: In any order; each sung on ``note_count`` notes from ``note_index``.
        note_count: How many notes the melody has.

    Returns:
        A list of ``note_count`` entries.

    Raises:
        InvalidInputError: A syllable points outside the melody, spans no note, or claims a
            note that another syllable is sung on.
    """
    sung = sorted(
        (syllable for syllable in syllables if syllable.text.strip()),
        key=lambda syllable: syllable.note_index,
    )
    by_note: list[NoteLyric | None] = [None] * note_count
    for position, syllable in enumerate(sung):
        first, count = syllable.note_index, syllable.note_count
        if count < 1:
            raise InvalidInputError(
                f"syllable {syllable.text!r} spans {count} notes; it needs at least one"
            )
        if first < 0 or first + count > note_count:
            raise InvalidInputError(
                f"syllable {syllable.text!r} is sung on notes {first + 1}..{first + count} "
                f"(note_index {first}), but the melody has {note_count} "
                f"note{'' if note_count == 1 else 's'}"
            )
        taken = [index for index in syllable.note_indices if by_note[index] is not None]
        if taken:
            raise InvalidInputError(
                f"syllable {syllable.text!r} is sung on note {taken[0] + 1}, which already "
                "carries another syllable; give each note at most one"
            )
        syllabic = _syllabic(syllable.starts_word, continues_word(sung, position))
        by_note[first] = NoteLyric(syllable.text.strip(), syllabic, melisma_continues=count > 1)
        for index in range(first + 1, first + count):
            by_note[index] = NoteLyric(
                "", syllabic, melisma_continues=index + 1 < first + count, continues_melisma=True
            )
    return by_note


def _syllabic(starts_word: bool, word_goes_on: bool) -> Syllabic:
    if starts_word:
        return "begin" if word_goes_on else "single"
    return "middle" if word_goes_on else "end"


def key_signature_fifths(key: KeyEstimate) -> int | None:
    """Sharps (positive) or flats (negative) of the key, spelled with the fewest
    accidentals (A# major is written B-flat major); None when the key is unknown."""
    tonic_pitch_class = _pitch_class(key.tonic)
    if tonic_pitch_class is None or key.mode not in ("major", "minor"):
        return None
    major_pitch_class = major_tonic_pitch_class(key)
    assert major_pitch_class is not None
    # Each step round the circle of fifths is 7 semitones; keep -5..+6 (F# over G-flat).
    return (major_pitch_class * 7 + 5) % 12 - 5


def major_tonic_pitch_class(key: KeyEstimate) -> int | None:
    """Pitch class (0 = C) of the major scale that shares the key's notes: the tonic of a
    major key, the relative major (three semitones up) of a minor one; None when unknown."""
    tonic_pitch_class = _pitch_class(key.tonic)
    if tonic_pitch_class is None or key.mode not in ("major", "minor"):
        return None
    return (tonic_pitch_class + (3 if key.mode == "minor" else 0)) % 12


def _pitch_class(tonic: str) -> int | None:
    return PITCH_CLASS_NAMES.index(tonic) if tonic in PITCH_CLASS_NAMES else None
