"""Expert Music AI as a library: hum a tune, get its notes, words that fit them, and the
song sung back, in this process, with no server and no gRPC.

    from expert_music import extract_melody, melody_to_vocals

    melody = extract_melody("hum.wav")                    # notes, phrases, tempo, key
    melody_to_vocals("hum.wav", theme="stars").save("out.wav")

Each function is one job of the mesh, run in process by the same code the service runs
(the services' ``server.py`` files only translate protobuf to these domain calls):

- :func:`extract_melody` — the pitch service's transcription (``services.pitch``);
- :func:`melody_to_midi` — its MIDI export (``services.common.scores``);
- :func:`write_lyrics` — the lyrics service's writer (``services.lyrics``);
- :func:`sing` — the synth's singing (``services.synth``);
- :func:`melody_to_vocals` — the studio's three stages in a row, without storing a take.

The limits of the settings apply as in the services (``MAX_AUDIO_DURATION_S``, ...), read
from the environment like theirs (``services.common.settings``). Errors are the domain's
own, each with a message for a person: ``ValueError`` (``InvalidInputError``) for input
that cannot be used, ``PreconditionError`` when the work cannot be done on it (no melody
in the recording, an engine not installed), ``UnavailableError`` when a provider
(Replicate, an LLM) failed.

``expert_music`` (this library) is not ``expertmusic`` (the protobuf stubs in ``gen/``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from services.common.audio import DecodedAudio, decode_audio
from services.common.errors import InvalidInputError, PreconditionError
from services.common.music import Lyrics, Melody
from services.common.settings import Settings, get_settings

if TYPE_CHECKING:
    from services.synth.types import SingSummary

# Each job's modules load when it is first asked for (the lyricist's dictionaries take
# seconds), so `expert-music melody` loads no lyricist and no voice.

__all__ = [
    "AudioSource",
    "Lyrics",
    "Melody",
    "NoMelodyError",
    "Song",
    "Vocals",
    "extract_melody",
    "load_audio",
    "melody_to_midi",
    "melody_to_vocals",
    "sing",
    "write_lyrics",
]

E = TypeVar("E", bound=StrEnum)

#: A recording: a file's path, or the file's bytes (wav, flac, mp3, ogg, webm, m4a...).
AudioSource = str | os.PathLike[str] | bytes


class NoMelodyError(PreconditionError):
    """The recording holds no notes to put words on (silence, noise, speech)."""


@dataclass(frozen=True)
class Song:
    """Sung audio: the whole encoded file and what the synth reports about it.

    ``summary`` holds the duration (s), sample rate (Hz), the voice and why it sang, the
    semitones the melody was moved by and why, the time each stage took, and warnings.
    """

    audio: bytes
    media_type: str
    summary: SingSummary

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the audio file to ``path``; the path."""
        target = Path(path)
        target.write_bytes(self.audio)
        return target


@dataclass(frozen=True)
class Vocals(Song):
    """:class:`Song` with the melody that was heard and the words that were sung.

    ``timings_s``: seconds per stage ("pitch", "lyrics", "synth", "total").
    """

    melody: Melody = field(kw_only=True)
    lyrics: Lyrics = field(kw_only=True)
    timings_s: dict[str, float] = field(kw_only=True, default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """What a person should know, from every stage, in order."""
        return [*self.melody.warnings, *self.lyrics.warnings, *self.summary.warnings]


def load_audio(audio: AudioSource, *, settings: Settings | None = None) -> DecodedAudio:
    """A recording decoded to mono float32 samples, shape (n_samples,), in [-1, 1].

    Raises:
        InvalidInputError: ``audio`` names no file.
        AudioDecodeError (a ValueError): Not audio, or empty.
        AudioTooLongError: Longer than MAX_AUDIO_DURATION_S.
    """
    settings = settings or get_settings()
    if isinstance(audio, bytes):
        data = audio
    else:
        path = Path(audio)
        if not path.is_file():
            raise InvalidInputError(f"{path} is not a file")
        data = path.read_bytes()
    return decode_audio(data, max_duration_s=settings.max_audio_duration_s)


def extract_melody(
    audio: AudioSource,
    *,
    engine: str = "",
    include_contour: bool = False,
    min_note_duration_s: float | None = None,
    settings: Settings | None = None,
) -> Melody:
    """The notes, phrases, tempo and key of a hummed or sung recording.

    Args:
        audio: A file's path or bytes.
        engine: "swift" (the default, DEFAULT_PITCH_ENGINE), "crepe-tiny", "crepe-full"
            (these two need the ``crepe`` extra, i.e. torch).
        include_contour: Also return the frame-level pitch track (``melody.contour``).
        min_note_duration_s: Shortest note kept, seconds; None: 50 ms.

    Returns:
        Melody; silence gives zero notes and a warning, not an error. The decoder's
        warnings (e.g. a channel dropped) come first in ``melody.warnings``.

    Raises:
        ValueError: Not audio, too short, too long, or an unknown engine.
        PreconditionError: The engine is not installed here.
    """
    from services.pitch.melody import extract_melody as transcribe

    settings = settings or get_settings()
    decoded = load_audio(audio, settings=settings)
    melody = transcribe(
        decoded.samples,
        decoded.sample_rate_hz,
        engine=engine or settings.default_pitch_engine,
        include_contour=include_contour,
        min_note_duration_s=min_note_duration_s,
    )
    if not decoded.warnings:
        return melody
    return dataclasses.replace(melody, warnings=[*decoded.warnings, *melody.warnings])


def melody_to_midi(melody: Melody, lyrics: Lyrics | None = None, title: str = "") -> bytes:
    """A type-1 MIDI file of the melody, with the syllables as lyric events when given."""
    from services.common.scores import midi

    return midi.melody_to_midi(melody, lyrics.syllables if lyrics else (), title)


def write_lyrics(
    melody: Melody,
    *,
    theme: str = "",
    mood: str = "",
    genre: str = "",
    rhyme_scheme: str = "",
    provider: str = "",
    user_lyrics: str = "",
    seed: int | None = None,
    settings: Settings | None = None,
) -> Lyrics:
    """Words for every note: one line per phrase, one syllable per note (melismas where
    words are fewer than notes).

    Args:
        provider: "local" (no key, no network), "anthropic", "openai" or "auto";
            "" is LYRICS_DEFAULT_PROVIDER.
        user_lyrics: Sing these words as written instead (lines separated by newlines).
        rhyme_scheme: "AABB", "ABAB", "none"...; "" is LYRICS_DEFAULT_RHYME_SCHEME.
        seed: Makes the local lyricist's words repeatable.

    Raises:
        LyricsInputError (a ValueError): The request cannot be served as asked. An LLM
            that fails never fails the call: the local lyricist writes, with a warning.
    """
    from services.lyrics.writer import LyricsRequest
    from services.lyrics.writer import write_lyrics as write

    return write(
        LyricsRequest(
            melody=melody,
            theme=theme,
            mood=mood,
            genre=genre,
            rhyme_scheme=rhyme_scheme,
            provider=provider,
            user_lyrics=user_lyrics,
            seed=seed,
        ),
        settings or get_settings(),
    )


def sing(
    melody: Melody,
    lyrics: Lyrics,
    *,
    voice: str = "auto",
    engine: str = "local",
    transpose_semitones: int = 0,
    output_format: str = "wav",
    settings: Settings | None = None,
) -> Song:
    """The words sung on the melody's notes.

    Args:
        voice: A voice id ("joe", "slt", "kal", ...), or "auto": the voice whose range
            holds the tune.
        engine: "local" (offline voices), "bark" or "musicgen-melody" (Replicate, with
            REPLICATE_API_TOKEN).
        transpose_semitones: Added after the melody is fitted to the voice's range.
        output_format: "wav" (16-bit PCM) or "flac".

    Raises:
        SynthInputError (a ValueError): Unknown voice, engine or format, or syllables
            that do not match the notes.
        ProviderUnavailableError: A Replicate engine failed.
    """
    from services.synth.render import sing as render
    from services.synth.types import (
        AudioChunk,
        Engine,
        OutputFormat,
        SingOptions,
        SingRequest,
        SingSummary,
    )

    request = SingRequest(
        melody=melody,
        syllables=lyrics.syllables,
        voice_id=voice,
        engine=_one_of(Engine, engine, "synth engine"),
        options=SingOptions(
            transpose_semitones=transpose_semitones,
            output_format=_one_of(OutputFormat, output_format, "output format"),
        ),
    )
    audio = bytearray()
    summary: SingSummary | None = None
    for event in render(request, settings=settings or get_settings()):
        if isinstance(event, AudioChunk):
            audio.extend(event.data)
        elif isinstance(event, SingSummary):
            summary = event
    if summary is None:  # the synth always ends with one
        raise RuntimeError("the synth ended without a summary")
    return Song(bytes(audio), request.options.output_format.media_type, summary)


def _one_of(choices: type[E], name: str, what: str) -> E:
    """``choices(name)``, or InvalidInputError naming the valid values."""
    try:
        return choices(name)
    except ValueError:
        valid = ", ".join(choice.value for choice in choices)
        raise InvalidInputError(f"unknown {what} {name!r}; choose one of: {valid}") from None


def melody_to_vocals(
    audio: AudioSource,
    *,
    theme: str = "",
    mood: str = "",
    genre: str = "",
    rhyme_scheme: str = "",
    lyrics_provider: str = "",
    user_lyrics: str = "",
    seed: int | None = None,
    voice: str = "auto",
    synth_engine: str = "local",
    transpose_semitones: int = 0,
    pitch_engine: str = "",
    settings: Settings | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Vocals:
    """A hum in, the song out: :func:`extract_melody`, :func:`write_lyrics`, :func:`sing`.

    The same three stages as the studio's ``MelodyToVocals``, in this process; nothing is
    stored (no take). The arguments are those of the three functions; ``on_stage`` is
    called with "pitch", "lyrics" and "synth" as each stage starts.

    Raises:
        NoMelodyError: The recording has no notes (silence, noise), with its reason.
        And what the three stages raise.
    """
    settings = settings or get_settings()
    stage = on_stage or (lambda name: None)
    timings_s: dict[str, float] = {}
    started = began = time.perf_counter()
    stage("pitch")
    melody = extract_melody(audio, engine=pitch_engine, settings=settings)
    timings_s["pitch"] = time.perf_counter() - began
    if not melody.notes:
        reason = "; ".join(melody.warnings) or "no notes were found"
        raise NoMelodyError(
            f"no melody was found in the audio ({reason}): hum or sing a tune, close to "
            "the microphone, and try again"
        )
    stage("lyrics")
    began = time.perf_counter()
    lyrics = write_lyrics(
        melody,
        theme=theme,
        mood=mood,
        genre=genre,
        rhyme_scheme=rhyme_scheme,
        provider=lyrics_provider,
        user_lyrics=user_lyrics,
        seed=seed,
        settings=settings,
    )
    timings_s["lyrics"] = time.perf_counter() - began
    stage("synth")
    began = time.perf_counter()
    song = sing(
        melody,
        lyrics,
        voice=voice,
        engine=synth_engine,
        transpose_semitones=transpose_semitones,
        settings=settings,
    )
    timings_s["synth"] = time.perf_counter() - began
    timings_s["total"] = time.perf_counter() - started
    return Vocals(
        song.audio,
        song.media_type,
        song.summary,
        melody=melody,
        lyrics=lyrics,
        timings_s=timings_s,
    )
