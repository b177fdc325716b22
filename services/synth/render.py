"""The synth service's entry point: a SingRequest in, a stream of events out.

    for event in sing(request):
        if isinstance(event, AudioChunk):
            player.feed(event.data)

``sing`` checks the whole request first and raises :class:`SynthInputError` (or
``VoiceUnavailableError``) before any work, so a bad request fails fast; then it returns
an iterator that renders phrase by phrase, and a phrase block by block: each block's audio
is encoded and handed out as soon as it is sung, so the first chunk arrives after the
first half second of the first phrase, not after the phrase or the song. Replicate
engines render remotely in one piece, which is then streamed the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

from services.common.cancellation import raise_if_cancelled
from services.common.errors import PreconditionError
from services.common.music import Melody, Note, Phrase, Syllable
from services.common.settings import Settings, get_settings
from services.synth.choice import candidate_voices, choose_voice, transposition_reason
from services.synth.contour import Expression
from services.synth.encode import open_encoder
from services.synth.engines import replicate
from services.synth.phrase_cache import PhraseCache, phrase_key, speech_key
from services.synth.score import PhraseScore, Score, make_score
from services.synth.singing import RenderedPhrase
from services.synth.speech import Speech
from services.synth.speech_ahead import SpeechAhead
from services.synth.types import (
    AudioChunk,
    Engine,
    OutputFormat,
    Progress,
    SingEvent,
    SingRequest,
    SingSummary,
)
from services.synth.voices import AUTO_VOICE, LocalVoice, VoiceInfo, local_voice, voice_info

Float32Array = npt.NDArray[np.float32]

#: Replicate audio is handed out in pieces of this length, in seconds.
REMOTE_CHUNK_S = 1.0


def chosen_voice(request: SingRequest) -> tuple[VoiceInfo, str]:
    """The voice that sings ``request`` and why, for a person to read.

    A local request with no voice or ``auto`` gets the voice whose range holds the
    melody as given (:mod:`services.synth.choice`); a named voice is always the one used.
    Raises SynthInputError for an unknown voice.
    """
    if request.voice_id in ("", AUTO_VOICE):
        if request.engine is Engine.LOCAL:
            # As given: the request's transpose_semitones is added after the range
            # fit, as for a named voice, so it moves the song within the chosen voice.
            pitches = [note.midi_pitch for note in request.melody.notes]
            choice = choose_voice(pitches, candidate_voices())
            return voice_info(Engine.LOCAL, choice.voice_id), choice.reason
        info = voice_info(request.engine, "")
        return info, f"voice {info.voice_id}: the only voice of {request.engine.value}"
    return voice_info(request.engine, request.voice_id), f"voice {request.voice_id} as asked"


def score_of(request: SingRequest, *, max_duration_s: float) -> tuple[VoiceInfo, Score]:
    """The request's voice and its notes as that voice sings them (moved into its range).

    Raises SynthInputError for a request that cannot be sung.
    """
    info, _ = chosen_voice(request)
    score = make_score(
        request.melody,
        request.syllables,
        request.options,
        voice_range_midi=(info.lowest_midi, info.highest_midi),
        max_duration_s=max_duration_s,
    )
    return info, score


def sing(
    request: SingRequest,
    *,
    settings: Settings | None = None,
    phrase_cache: PhraseCache | None = None,
    cancelled: threading.Event | None = None,
) -> Iterator[SingEvent]:
    """Sing ``request``: progress events, audio chunks, then one SingSummary.

    With a ``phrase_cache``, phrases sung before with the same voice, notes, words and
    expression are taken from it instead of being sung again.

    Raises (at once, before rendering): SynthInputError for a request that cannot be
    sung, VoiceUnavailableError for a local voice missing here, PreconditionError for a
    Replicate engine on a server without a Replicate token. While iterating, a
    Replicate engine may raise ProviderUnavailableError, and WorkCancelledError ends the
    work once ``cancelled`` is set (the caller went away): it is looked at before each
    block of each phrase is sung.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    info, voice_reason = chosen_voice(request)
    score = make_score(
        request.melody,
        request.syllables,
        request.options,
        voice_range_midi=(info.lowest_midi, info.highest_midi),
        max_duration_s=settings.max_audio_duration_s,
    )
    choice = _Choice(
        voice_reason,
        transposition_reason(
            [note.midi_pitch for note in request.melody.notes],
            info,
            applied_semitones=score.applied_transpose_semitones,
            requested_semitones=request.options.transpose_semitones,
            range_policy=request.options.range_policy,
        ),
    )
    if request.engine is Engine.LOCAL:
        voice = local_voice(info.voice_id)
        return _sing_locally(request, score, voice, choice, started, phrase_cache, cancelled)
    if not settings.replicate_api_token:
        # Asking again will not help, so this is no outage (UNAVAILABLE): the caller
        # chose an engine this server is not set up for.
        raise PreconditionError(
            f"the synth engine {request.engine.value!r} runs on Replicate, which is not "
            "configured on this server: set REPLICATE_API_TOKEN, or sing with a local voice "
            "(engine 'local')"
        )
    return _sing_remotely(request, score, info, choice, settings, started, cancelled)


def sing_to_bytes(
    request: SingRequest,
    *,
    settings: Settings | None = None,
    phrase_cache: PhraseCache | None = None,
    cancelled: threading.Event | None = None,
) -> bytes:
    """The whole file of ``sing(request)`` at once (for the REST form)."""
    events = sing(request, settings=settings, phrase_cache=phrase_cache, cancelled=cancelled)
    return b"".join(event.data for event in events if isinstance(event, AudioChunk))


@dataclass(frozen=True)
class _Choice:
    """Why the voice and the transposition, for the summary."""

    voice_reason: str
    transposition_reason: str


def _sing_locally(
    request: SingRequest,
    score: Score,
    voice: LocalVoice,
    choice: _Choice,
    started: float,
    phrase_cache: PhraseCache | None,
    cancelled: threading.Event | None,
) -> Iterator[SingEvent]:
    options = request.options
    expression = Expression(options.vibrato_depth_cents, options.vibrato_rate_hz)
    timings = {"plan": time.perf_counter() - started, "sing": 0.0}
    yield Progress("singing", 0.0)

    keys = [
        phrase_key(
            voice.info.voice_id, phrase, expression, breathiness=options.breathiness, seed=index
        )
        for index, phrase in enumerate(score.phrases)
    ]
    needed = [phrase_cache is None or key not in phrase_cache for key in keys]

    def phrases(ahead: SpeechAhead) -> Iterator[tuple[RenderedPhrase, float, float]]:
        for index, phrase in enumerate(score.phrases):
            # Nothing later starts before the next phrase's earliest consonant.
            if index + 1 < len(score.phrases):
                following = score.phrases[index + 1]
                safe_until_s = following.onset_s - following.preroll_s
            else:
                safe_until_s = score.duration_s

            def sung(phrase: PhraseScore = phrase, index: int = index) -> Iterable[RenderedPhrase]:
                return voice.sing_speech(
                    phrase,
                    ahead.speech(index),
                    expression,
                    breathiness=options.breathiness,
                    seed=index,
                )

            if phrase_cache is None:
                blocks = iter(sung())
            else:
                blocks = phrase_cache.blocks(keys[index], sung)
            while True:
                raise_if_cancelled(cancelled, "singing")
                begun = time.perf_counter()
                block = next(blocks, None)
                timings["sing"] += time.perf_counter() - begun
                if block is None:
                    break
                # A block is final up to where the next block of the phrase fades in.
                until_s = safe_until_s
                if block.overlap:
                    end = block.samples.size - block.overlap
                    until_s = min(until_s, block.start_s + end / block.sample_rate_hz)
                # Done: the share of the song's time that is final, so that a hum sung
                # as one long phrase moves on block by block, not only at its end.
                done = 1.0 if score.duration_s <= 0 else min(1.0, until_s / score.duration_s)
                yield block, until_s, done

    sample_rate_hz = options.sample_rate_hz or voice.info.sample_rate_hz

    def speak(phrase: PhraseScore, urgent: bool) -> Speech:
        if phrase_cache is None:
            return voice.speech(phrase, urgent=urgent)
        key = speech_key(voice.info.voice_id, phrase)
        return phrase_cache.speech(key, lambda: voice.speech(phrase, urgent=urgent))

    with SpeechAhead(speak, score.phrases, needed, cancelled) as ahead:
        yield from _stream(
            phrases(ahead),
            duration_s=score.duration_s,
            sample_rate_hz=sample_rate_hz,
            output_format=options.output_format,
            timings=timings,
            started=started,
        )
    yield SingSummary(
        duration_s=score.duration_s,
        sample_rate_hz=sample_rate_hz,
        engine=Engine.LOCAL,
        voice_id=voice.info.voice_id,
        output_format=options.output_format,
        applied_transpose_semitones=score.applied_transpose_semitones,
        timings_s=timings | {"total": time.perf_counter() - started},
        warnings=list(score.warnings),
        voice_reason=choice.voice_reason,
        transposition_reason=choice.transposition_reason,
    )


def _sing_remotely(
    request: SingRequest,
    score: Score,
    info: VoiceInfo,
    choice: _Choice,
    settings: Settings,
    started: float,
    cancelled: threading.Event | None,
) -> Iterator[SingEvent]:
    timings = {"plan": time.perf_counter() - started}
    yield Progress("waiting for " + request.engine.value, 0.0)
    begun = time.perf_counter()
    audio = replicate.render(request.engine, score, info, settings, cancelled)
    timings["provider"] = time.perf_counter() - begun
    sample_rate_hz = request.options.sample_rate_hz or audio.sample_rate_hz
    duration_s = audio.samples.size / audio.sample_rate_hz
    step = max(1, int(REMOTE_CHUNK_S * audio.sample_rate_hz))
    pieces = (
        (
            RenderedPhrase(
                audio.samples[i : i + step], audio.sample_rate_hz, i / audio.sample_rate_hz
            ),
            min(duration_s, (i + step) / audio.sample_rate_hz),
            min(1.0, (i + step) / audio.samples.size),
        )
        for i in range(0, audio.samples.size, step)
    )
    yield from _stream(
        pieces,
        duration_s=duration_s,
        sample_rate_hz=sample_rate_hz,
        output_format=request.options.output_format,
        timings=timings,
        started=started,
    )
    yield SingSummary(
        duration_s=duration_s,
        sample_rate_hz=sample_rate_hz,
        engine=request.engine,
        voice_id=info.voice_id,
        output_format=request.options.output_format,
        applied_transpose_semitones=score.applied_transpose_semitones,
        timings_s=timings | {"total": time.perf_counter() - started},
        warnings=list(score.warnings),
        voice_reason=choice.voice_reason,
        transposition_reason=choice.transposition_reason,
    )


@dataclass
class _Timeline:
    """Mixes placed pieces of audio and releases finished stretches in order."""

    emitted: int = 0  # samples already handed out
    pending: Float32Array | None = None  # samples from ``emitted`` on, not yet final

    def add(self, samples: Float32Array, start: int) -> None:
        start = max(start, self.emitted)  # a piece cannot reach back into sent audio
        end = start + samples.size
        pending = self.pending if self.pending is not None else np.zeros(0, np.float32)
        if end - self.emitted > pending.size:
            pending = np.concatenate(
                [pending, np.zeros(end - self.emitted - pending.size, np.float32)]
            )
        pending[start - self.emitted : end - self.emitted] += samples[: end - start]
        self.pending = pending

    def release(self, until: int) -> Float32Array:
        """Samples [emitted, until), silence where nothing was placed."""
        count = max(0, until - self.emitted)
        pending = self.pending if self.pending is not None else np.zeros(0, np.float32)
        out = np.zeros(count, np.float32)
        taken = min(count, pending.size)
        out[:taken] = pending[:taken]
        self.pending = pending[taken:]
        self.emitted += count
        return out


def _stream(
    pieces: Iterable[tuple[RenderedPhrase, float, float]],
    *,
    duration_s: float,
    sample_rate_hz: int,
    output_format: OutputFormat,
    timings: dict[str, float],
    started: float,
) -> Iterator[SingEvent]:
    """Encode placed pieces as they come; each comes with the time before which the
    audio is final (no later piece reaches earlier) and the share of the render done."""
    total_samples = round(duration_s * sample_rate_hz)
    encoder = open_encoder(output_format, sample_rate_hz, total_samples)
    timeline = _Timeline()
    timings["encode"] = 0.0
    for piece, final_until_s, done in pieces:
        begun = time.perf_counter()
        samples = piece.samples
        if piece.sample_rate_hz != sample_rate_hz:
            samples = soxr.resample(samples, piece.sample_rate_hz, sample_rate_hz).astype(
                np.float32
            )
        start = round(piece.start_s * sample_rate_hz)
        limit = total_samples - max(start, 0)
        timeline.add(samples[max(0, -start) :][:limit], max(start, 0))
        start_s = timeline.emitted / sample_rate_hz
        until = min(total_samples, round(final_until_s * sample_rate_hz))
        data = encoder.write(timeline.release(until))
        timings["encode"] += time.perf_counter() - begun
        if data:
            timings.setdefault("first_chunk", time.perf_counter() - started)
            yield AudioChunk(
                data, start_s, timeline.emitted / sample_rate_hz, encoder.media_type, sample_rate_hz
            )
        yield Progress("singing", done)
    start_s = timeline.emitted / sample_rate_hz
    rest = timeline.release(total_samples)
    data = encoder.write(rest) + encoder.finish()
    yield AudioChunk(data, start_s, duration_s, encoder.media_type, sample_rate_hz)


#: The voice sung at warm-up: piper's, which joe and joe-high share.
WARM_VOICE = "joe"


def warm_up(settings: Settings) -> None:
    """Sings two short phrases with piper's voice: loads both of its onnxruntime sessions
    (the first phrase's and the others'), WORLD and the encoder (1 s on a first take,
    2026-12-01), so that a service's first take is as fast as the next. Festival starts
    its processes on a voice's first phrase (under 0.2 s)."""
    notes = [Note(0.1, 0.4, 57), Note(0.5, 0.6, 60), Note(1.6, 0.4, 59), Note(2.0, 0.6, 57)]
    phrases = [Phrase(0, 2, 0.1, 1.0), Phrase(2, 2, 1.6, 1.0)]
    melody = Melody(notes=notes, phrases=phrases, duration_s=2.8, engine="")
    syllables = [
        Syllable("hel", 0, phonemes=("HH", "AH0"), stressed=False, starts_word=True),
        Syllable("lo", 1, phonemes=("L", "OW1"), stressed=True, starts_word=False),
        Syllable("hel", 2, phonemes=("HH", "AH0"), stressed=False, starts_word=True),
        Syllable("lo", 3, phonemes=("L", "OW1"), stressed=True, starts_word=False),
    ]
    for _ in sing(SingRequest(melody, syllables, voice_id=WARM_VOICE), settings=settings):
        pass
