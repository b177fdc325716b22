"""Melody-to-vocals: pitch -> lyrics -> synth over gRPC, then the take is stored.

The pipeline yields the events a client sees (progress, melody, lyrics, audio chunks, the
stored take) as soon as each is ready, so the first audio plays before the render ends.
Each stage gets the smaller of its own timeout and what is left of the caller's deadline;
a stage that fails is named in the error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from expertmusic.studio.v1 import studio_pb2
from expertmusic.synth.v1 import synth_pb2, synth_pb2_grpc
from prometheus_client import Histogram

from services.common.errors import InvalidInputError, PreconditionError, UnavailableError
from services.common.settings import Settings
from services.studio.takes import TakeStore, new_take_id

UPLOAD_CHUNK_BYTES = 256 * 1024
STAGE_SECONDS = Histogram(
    "studio_stage_seconds",
    "Time each stage of a finished take took (pitch, lyrics, synth, store, total), in s.",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
# Where each stage starts and ends on the 0..1 progress scale (synth dominates the time).
STAGE_SPAN = {
    "pitch": (0.02, 0.15),
    "lyrics": (0.15, 0.30),
    "synth": (0.30, 0.95),
    "store": (0.95, 1.0),
}

T = TypeVar("T")


@dataclass(frozen=True)
class StageStubs:
    pitch: pitch_pb2_grpc.PitchServiceStub
    lyrics: lyrics_pb2_grpc.LyricsServiceStub
    synth: synth_pb2_grpc.SynthServiceStub


def progress(stage: str, fraction_of_stage: float) -> studio_pb2.MelodyToVocalsResponse:
    start, end = STAGE_SPAN[stage]
    fraction = start + (end - start) * min(max(fraction_of_stage, 0.0), 1.0)
    return studio_pb2.MelodyToVocalsResponse(
        progress=studio_pb2.Progress(stage=stage, fraction=round(fraction, 4))
    )


def sung_syllables(lyrics: lyrics_pb2.WriteLyricsResponse) -> list[synth_pb2.SungSyllable]:
    """The lyricist's syllables as the synth wants them: one note each, words kept together."""
    syllables: list[synth_pb2.SungSyllable] = []
    for line in lyrics.lines:
        for index, syllable in enumerate(line.syllables):
            next_starts_word = (
                index + 1 >= len(line.syllables) or line.syllables[index + 1].starts_word
            )
            syllables.append(
                synth_pb2.SungSyllable(
                    text=syllable.text,
                    note_index=syllable.note_index,
                    note_count=1,
                    phonemes=list(syllable.phonemes),
                    continues_word=not next_starts_word,
                )
            )
    return syllables


class VocalsPipeline:
    def __init__(self, stubs: StageStubs, takes: TakeStore, settings: Settings) -> None:
        self._stubs = stubs
        self._takes = takes
        self._settings = settings

    def run(
        self,
        audio: bytes,
        options: studio_pb2.VocalsOptions,
        time_remaining_s: Callable[[], float | None],
    ) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
        """Yields the job's events; the last one carries the stored take."""
        started = time.perf_counter()
        timings_s: dict[str, float] = {}
        warnings: list[str] = []

        # Nothing is sent before the melody: a bad upload still fails with a plain status
        # (HTTP 400) instead of ending a stream that has already begun.
        stage_started = time.perf_counter()
        melody = self._call(
            "pitch",
            lambda timeout_s: self._stubs.pitch.ExtractMelody(
                _upload_messages(audio, options.pitch_engine), timeout=timeout_s
            ),
            self._settings.pitch_timeout_s,
            time_remaining_s,
        ).melody
        timings_s["pitch"] = time.perf_counter() - stage_started
        if not melody.notes:
            reason = "; ".join(melody.warnings) or "no notes were found"
            raise PreconditionError(
                f"no melody was found in the audio ({reason}): hum or sing a tune, "
                "close to the microphone, and try again"
            )
        yield studio_pb2.MelodyToVocalsResponse(melody=melody)
        yield progress("pitch", 1.0)

        yield progress("lyrics", 0.0)
        stage_started = time.perf_counter()
        lyrics_request = lyrics_pb2.WriteLyricsRequest(
            melody=melody,
            theme=options.theme,
            mood=options.mood,
            genre=options.genre,
            rhyme_scheme=options.rhyme_scheme,
            provider=options.lyrics_provider,
            user_lyrics=options.user_lyrics,
            language="en",
        )
        if options.seed:
            lyrics_request.seed = options.seed
        lyrics = self._call(
            "lyrics",
            lambda timeout_s: self._stubs.lyrics.WriteLyrics(lyrics_request, timeout=timeout_s),
            self._settings.lyrics_timeout_s,
            time_remaining_s,
        )
        timings_s["lyrics"] = time.perf_counter() - stage_started
        warnings.extend(lyrics.warnings)
        yield studio_pb2.MelodyToVocalsResponse(lyrics=lyrics)

        yield progress("synth", 0.0)
        stage_started = time.perf_counter()
        sing_request = synth_pb2.SingRequest(
            melody=melody,
            syllables=sung_syllables(lyrics),
            voice_id=options.voice,
            engine=options.synth_engine,
            options=synth_pb2.SingOptions(transpose_semitones=options.transpose_semitones),
        )
        wav = bytearray()
        summary = synth_pb2.SingSummary()
        call = self._call(
            "synth",
            lambda timeout_s: self._stubs.synth.Sing(sing_request, timeout=timeout_s),
            self._settings.synth_timeout_s,
            time_remaining_s,
        )
        try:
            for event in self._stream("synth", call):
                kind = event.WhichOneof("event")
                if kind == "progress":
                    yield progress("synth", event.progress.fraction)
                elif kind == "audio" and event.audio.data:
                    wav.extend(event.audio.data)
                    yield studio_pb2.MelodyToVocalsResponse(audio_chunk=event.audio.data)
                elif kind == "summary":
                    summary = event.summary
        finally:
            _stop(call)
        timings_s["synth"] = time.perf_counter() - stage_started
        warnings.extend(summary.warnings)

        yield progress("store", 0.0)
        stage_started = time.perf_counter()
        take_id = new_take_id()
        base_url = self._settings.public_url
        take = studio_pb2.Take(
            take_id=take_id,
            audio_url=f"{base_url}/v1/takes/{take_id}/audio",
            midi_url=f"{base_url}/v1/takes/{take_id}/midi",
            melody=melody,
            lyrics=lyrics,
            audio_duration_s=summary.duration_s,
            sample_rate_hz=summary.sample_rate_hz,
            warnings=warnings,
            options=options,
            engines={
                "pitch": melody.engine,
                "lyrics": lyrics.provider,
                "synth": summary.engine,
                "voice": summary.voice_id,
            },
        )
        self._takes.save_audio(take_id, bytes(wav))
        timings_s["store"] = time.perf_counter() - stage_started
        timings_s["total"] = time.perf_counter() - started
        take.timings_s.update({stage: round(seconds, 4) for stage, seconds in timings_s.items()})
        for stage, seconds in timings_s.items():
            STAGE_SECONDS.labels(stage).observe(seconds)
        self._takes.save_record(take)
        yield progress("store", 1.0)
        yield studio_pb2.MelodyToVocalsResponse(take=take)

    def _call(
        self,
        stage: str,
        invoke: Callable[[float], T],
        stage_timeout_s: float,
        time_remaining_s: Callable[[], float | None],
    ) -> T:
        remaining_s = time_remaining_s()
        timeout_s = stage_timeout_s if remaining_s is None else min(stage_timeout_s, remaining_s)
        if timeout_s <= 0:
            raise TimeoutError(f"no time was left for the {stage} stage")
        try:
            return invoke(timeout_s)
        except grpc.RpcError as error:
            raise _stage_error(stage, error) from None

    @staticmethod
    def _stream(stage: str, call: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from call
        except grpc.RpcError as error:
            raise _stage_error(stage, error) from None


def _stop(call: Any) -> None:
    """Ends a server-streaming call early when our own client went away (no-op when done).

    Through the tracing interceptor the call is a generator: closing it drops the
    underlying call, which gRPC cancels.
    """
    stop = getattr(call, "cancel", None) or getattr(call, "close", None)
    if stop is not None:
        stop()


def _upload_messages(audio: bytes, pitch_engine: str) -> Iterator[pitch_pb2.ExtractMelodyRequest]:
    yield pitch_pb2.ExtractMelodyRequest(options=pitch_pb2.ExtractionOptions(engine=pitch_engine))
    for start in range(0, len(audio), UPLOAD_CHUNK_BYTES):
        yield pitch_pb2.ExtractMelodyRequest(audio_chunk=audio[start : start + UPLOAD_CHUNK_BYTES])


def _stage_error(stage: str, error: grpc.RpcError) -> Exception:
    """A downstream status as the matching domain error, naming the stage."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInputError(details)
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return PreconditionError(details)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return TimeoutError(f"the {stage} stage did not finish in time")
    if code is grpc.StatusCode.CANCELLED:
        return UnavailableError(f"the {stage} call was cancelled")
    return UnavailableError(f"the {stage} service is unavailable ({code.name}: {details})")
