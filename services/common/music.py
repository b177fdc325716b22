"""Musical domain types shared by every service: notes, phrases, pitch tracks, melodies,
sung syllables and lyric lines.

Plain dataclasses over seconds, Hz and MIDI numbers, with no gRPC in sight; each
service's ``server.py`` converts them to and from protobuf (see ``services.common.convert``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

A4_HZ = 440.0
A4_MIDI = 69
PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

FloatArray = npt.NDArray[np.float64]


def hz_to_midi(frequency_hz: float) -> float:
    """Fractional MIDI number of a frequency (69.0 = A4 = 440 Hz)."""
    return A4_MIDI + 12.0 * math.log2(frequency_hz / A4_HZ)


def midi_to_hz(midi_pitch: float) -> float:
    """Frequency in Hz of a (possibly fractional) MIDI number."""
    return A4_HZ * 2.0 ** ((midi_pitch - A4_MIDI) / 12.0)


def cents_between(frequency_hz: float, reference_hz: float) -> float:
    """Signed distance from reference_hz to frequency_hz, in cents."""
    return 1200.0 * math.log2(frequency_hz / reference_hz)


@dataclass(frozen=True)
class Note:
    """One sung note."""

    onset_s: float
    duration_s: float
    midi_pitch: int
    cents_offset: float = 0.0
    frequency_hz: float = 0.0
    confidence: float = 1.0

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    def non_finite_field(self) -> str | None:
        """The name of the first number of this note that is NaN or infinite (JSON
        callers can send "NaN" and "Infinity"), or None when all are finite."""
        for name in NOTE_NUMBER_FIELDS:
            if not math.isfinite(getattr(self, name)):
                return name
        return None


#: The real-valued fields of a Note, which must be finite.
NOTE_NUMBER_FIELDS = ("onset_s", "duration_s", "cents_offset", "frequency_hz", "confidence")


def non_finite_message(note: Note, number: int) -> str | None:
    """What a person is told about note ``number`` (counted from 1) when one of its
    numbers is NaN or infinite; None when all are finite."""
    name = note.non_finite_field()
    if name is None:
        return None
    return f"note {number} has {name} {getattr(note, name)!r}; it must be a finite number"


@dataclass(frozen=True)
class Phrase:
    """Consecutive notes sung without a rest: ``notes[first_note_index:][:note_count]``."""

    first_note_index: int
    note_count: int
    onset_s: float
    duration_s: float

    @property
    def note_indices(self) -> range:
        return range(self.first_note_index, self.first_note_index + self.note_count)


@dataclass(frozen=True)
class PitchTrack:
    """A frame-level f0 track. All arrays have one value per frame."""

    hop_s: float
    times_s: FloatArray
    frequencies_hz: FloatArray  # 0 where unvoiced
    voicing_probabilities: FloatArray  # 0..1


@dataclass(frozen=True)
class KeyEstimate:
    """Tonic pitch class ("C".."B", "" when unknown), mode and profile correlation."""

    tonic: str = ""
    mode: str = ""  # "major", "minor" or "" when unknown
    confidence: float = 0.0


@dataclass(frozen=True)
class Melody:
    """What the pitch service finds in a recording."""

    notes: list[Note]
    phrases: list[Phrase]
    duration_s: float
    engine: str
    tempo_bpm: float = 0.0
    key: KeyEstimate = field(default_factory=KeyEstimate)
    contour: PitchTrack | None = None
    warnings: list[str] = field(default_factory=list)

    def phrase_notes(self, phrase: Phrase) -> list[Note]:
        return self.notes[phrase.first_note_index : phrase.first_note_index + phrase.note_count]


#: The fastest and slowest tempos a melody may state, in beats a minute (a melody's tempo
#: goes into its exports; outside these is no tempo a person sings at, and a MIDI file
#: cannot hold a beat longer than 16.8 s, i.e. slower than 3.6 beats a minute).
MAX_TEMPO_BPM = 400.0
MIN_TEMPO_BPM = 10.0


def stated_tempo_bpm(tempo_bpm: float) -> float:
    """``tempo_bpm`` brought within MIN_TEMPO_BPM..MAX_TEMPO_BPM; 0 (not known) stays 0.
    For tempos we compute (a take sung faster or slower), not for a caller's."""
    if tempo_bpm <= 0:
        return 0.0
    return min(MAX_TEMPO_BPM, max(MIN_TEMPO_BPM, tempo_bpm))


def melody_number_problem(melody: Melody) -> str | None:
    """What a person is told about the first number of a melody sent by a caller that
    no melody can have (NaN or infinite anywhere; a tempo outside
    MIN_TEMPO_BPM..MAX_TEMPO_BPM other than 0, which means not known; a negative
    duration), naming where it is; None when all are sound. Notes and phrases are
    counted from 1."""
    for index, note in enumerate(melody.notes):
        message = non_finite_message(note, index + 1)
        if message is not None:
            return message
    for index, phrase in enumerate(melody.phrases):
        for name in ("onset_s", "duration_s"):
            value = getattr(phrase, name)
            if not math.isfinite(value):
                return f"phrase {index + 1} has {name} {value!r}; it must be a finite number"
    if not (math.isfinite(melody.duration_s) and melody.duration_s >= 0):
        return (
            f"the melody has duration_s {melody.duration_s!r}; it must be a finite number "
            "of seconds, 0 or more"
        )
    if not (
        math.isfinite(melody.tempo_bpm)
        and (melody.tempo_bpm == 0 or MIN_TEMPO_BPM <= melody.tempo_bpm <= MAX_TEMPO_BPM)
    ):
        return (
            f"the melody has tempo_bpm {melody.tempo_bpm!r}; a tempo is 0 (not known) or "
            f"from {MIN_TEMPO_BPM:g} to {MAX_TEMPO_BPM:g} beats a minute"
        )
    if not math.isfinite(melody.key.confidence):
        return f"the melody's key has confidence {melody.key.confidence!r}; it must be finite"
    return None


@dataclass(frozen=True)
class Syllable:
    """One sung syllable and the note(s) it is sung on.

    text: the letters of the word that this syllable spells ("hap", "py"); for display,
        exports and, when ``phonemes`` is empty, to look up its pronunciation.
    note_index: index into ``Melody.notes`` of the first note it is sung on.
    note_count: how many consecutive notes it spans (more than 1 is a melisma).
    phonemes: ARPAbet with stress digits on vowels, e.g. ("HH", "AE1", "P"); empty means
        "pronounce the text".
    stressed: whether the syllable carries its word's stress.
    starts_word: whether a new word begins with this syllable (False for "py" of "happy").
    """

    text: str
    note_index: int
    note_count: int = 1
    phonemes: tuple[str, ...] = ()
    stressed: bool = False
    starts_word: bool = True

    @property
    def note_indices(self) -> range:
        return range(self.note_index, self.note_index + self.note_count)


def continues_word(syllables: list[Syllable] | tuple[Syllable, ...], position: int) -> bool:
    """Whether the syllable at ``position`` is followed by another syllable of its word."""
    return position + 1 < len(syllables) and not syllables[position + 1].starts_word


@dataclass(frozen=True)
class LyricLine:
    """The words of one phrase.

    text: the line as written, with punctuation.
    syllables: in order, each on its note(s).
    phrase_index: index into ``Melody.phrases``.
    rhyme_label: the line's letter in the rhyme scheme ("" when it need not rhyme).
    user_written: the user wrote these words (never rewritten by a lyricist).
    """

    text: str
    syllables: tuple[Syllable, ...]
    phrase_index: int
    rhyme_label: str = ""
    user_written: bool = False


@dataclass(frozen=True)
class LyricsFit:
    """How well the words fit the notes.

    syllable_match_rate: lines whose syllable count equals their note count, 0..1
        (1.0 in every answer: that is the service's promise).
    raw_syllable_match_rate: the same for the provider's first answer, before repair.
    raw_llm_fit: whether the provider's first answer fitted every line as written
        (always true for the local lyricist).
    rhymes_requested: line ends that the scheme asks to rhyme with an earlier line.
    rhymes_achieved: how many of those do rhyme.
    stress_on_strong_rate: share of strong-beat notes that carry a stressed syllable, 0..1.
    llm_repair_requests: times the LLM was asked again with the exact mismatches.
    locally_repaired_lines: lines that were fixed by our own word swaps after that.
    """

    syllable_match_rate: float = 1.0
    raw_syllable_match_rate: float = 1.0
    raw_llm_fit: bool = True
    rhymes_requested: int = 0
    rhymes_achieved: int = 0
    stress_on_strong_rate: float = 0.0
    llm_repair_requests: int = 0
    locally_repaired_lines: int = 0


@dataclass(frozen=True)
class Lyrics:
    """The answer: the lines, who wrote them and how well they fit.

    provider: who actually wrote the words ("local", "anthropic", "openai", "user").
    model: the LLM model name ("" for the local lyricist).
    seed: the seed the local lyricist used (give it back to get the same words).
    """

    lines: tuple[LyricLine, ...]
    provider: str
    fit: LyricsFit = field(default_factory=LyricsFit)
    model: str = ""
    seed: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def syllables(self) -> list[Syllable]:
        """Every syllable of every line, in order."""
        return [syllable for line in self.lines for syllable in line.syllables]
