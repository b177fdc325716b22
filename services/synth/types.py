"""Domain types of the synth service: what to sing, how, and what comes back.

Plain dataclasses over seconds, Hz, cents and MIDI numbers; ``server.py`` converts them
to and from ``expertmusic.synth.v1`` messages. Times are on the melody's timeline (the
first sample of the output is t = 0 s) after the tempo scale has been applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from services.common.errors import InvalidInputError
from services.common.media_types import AUDIO_MEDIA_TYPES
from services.common.music import Melody, Syllable


class SynthInputError(InvalidInputError):
    """The request cannot be sung as given; the message tells a person what to fix."""


class RangePolicy(StrEnum):
    """How the melody is moved before singing (``transpose_semitones`` is added after)."""

    #: Whole octaves, so the key is kept, chosen to put most notes in the voice's range.
    FIT_OCTAVES = "fit_octaves"
    #: Any number of semitones, centring the melody in the voice's range (key changes).
    FIT_SEMITONES = "fit_semitones"
    #: The pitches as written.
    KEEP = "keep"


class OutputFormat(StrEnum):
    WAV = "wav"  # 16-bit PCM, header up front with the exact length
    FLAC = "flac"  # 16-bit FLAC, streamed frame by frame

    @property
    def media_type(self) -> str:
        return AUDIO_MEDIA_TYPES[self.value]


class Engine(StrEnum):
    LOCAL = "local"  # the offline voices of services.synth.voices
    BARK = "bark"  # suno-ai/bark on Replicate
    MUSICGEN_MELODY = "musicgen-melody"  # meta/musicgen (melody) on Replicate


@dataclass(frozen=True)
class SingOptions:
    """Expressive and output controls. Zero values of rates mean "the default"."""

    range_policy: RangePolicy = RangePolicy.FIT_OCTAVES
    #: Added after the range policy, in semitones (-24..24).
    transpose_semitones: int = 0
    #: Peak deviation of the vibrato on long notes, in cents (0 = none, up to 100).
    vibrato_depth_cents: float = 25.0
    #: Vibrato rate in Hz (3..9 is natural).
    vibrato_rate_hz: float = 5.5
    #: Breath noise mixed into the voice, 0 (clear) ..1 (whispery).
    breathiness: float = 0.15
    #: Speed factor: 2.0 sings twice as fast, 0.5 half as fast (0.25..4).
    tempo_scale: float = 1.0
    output_format: OutputFormat = OutputFormat.WAV
    #: Output sample rate in Hz; 0 keeps the voice's own rate.
    sample_rate_hz: int = 0


@dataclass(frozen=True)
class SingRequest:
    """Sing ``syllables`` on ``melody.notes`` with a voice of ``engine``."""

    melody: Melody
    syllables: list[Syllable]
    #: A voice id of the engine; "" or "auto" chooses one (see services.synth.choice).
    voice_id: str = ""
    engine: Engine = Engine.LOCAL
    options: SingOptions = field(default_factory=SingOptions)


@dataclass(frozen=True)
class Progress:
    """How far the render is: ``stage`` ("planning", "singing", "encoding", ...), 0..1."""

    stage: str
    fraction: float


@dataclass(frozen=True)
class AudioChunk:
    """The next bytes of the encoded file; all chunks in order make one valid file.

    The first chunk starts with the file header. ``start_s``..``end_s`` is the stretch of
    the timeline whose samples the chunk completes (header-only or trailer-only chunks
    have ``start_s == end_s``).
    """

    data: bytes
    start_s: float
    end_s: float
    media_type: str
    sample_rate_hz: int


@dataclass(frozen=True)
class SingSummary:
    """The last event of a render."""

    duration_s: float
    sample_rate_hz: int
    engine: Engine
    voice_id: str
    output_format: OutputFormat
    #: Semitones the melody was moved by (range policy plus transpose_semitones).
    applied_transpose_semitones: int
    #: Wall-clock seconds per stage ("plan", "speech", "singing", "encode", "provider", ...).
    timings_s: dict[str, float]
    #: Things a person should know ("3 notes are above the voice's range").
    warnings: list[str] = field(default_factory=list)
    #: Why this voice sang (asked for by name, or chosen by ``auto`` and how).
    voice_reason: str = ""
    #: Why the melody was moved by ``applied_transpose_semitones``.
    transposition_reason: str = ""


SingEvent = Progress | AudioChunk | SingSummary
