"""Musical domain types shared by every service: notes, phrases, pitch tracks, melodies.

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
