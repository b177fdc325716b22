"""Audio is streamed phrase by phrase and a phrase block by block, and the chunks always
make one valid file."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import soundfile

from services.common.audio import decode_audio
from services.common.cancellation import WorkCancelledError
from services.common.music import Melody, Note, Syllable
from services.synth import blocks, voices
from services.synth.blocks import FRAME_PERIOD_S, synthesize_in_blocks
from services.synth.contour import Expression
from services.synth.encode import open_encoder, wav_header
from services.synth.render import sing
from services.synth.score import PhraseScore
from services.synth.singing import RenderedPhrase
from services.synth.speech import Speech
from services.synth.types import (
    AudioChunk,
    OutputFormat,
    Progress,
    SingEvent,
    SingOptions,
    SingRequest,
    SingSummary,
)
from tests.support.songs import TEN_SECONDS, song


@dataclass
class _CountingVoice:
    """Wraps a real voice and counts the phrases it has rendered."""

    inner: voices.LocalVoice
    rendered: int = 0

    @property
    def info(self) -> voices.VoiceInfo:
        return self.inner.info

    def unavailable_reason(self) -> str | None:
        return self.inner.unavailable_reason()

    def speech(self, phrase: PhraseScore, *, urgent: bool = False) -> Speech:
        return self.inner.speech(phrase, urgent=urgent)

    def sing_speech(
        self,
        phrase: PhraseScore,
        speech: Speech,
        expression: Expression,
        *,
        breathiness: float,
        seed: int,
    ) -> Iterator[RenderedPhrase]:
        self.rendered += 1
        return self.inner.sing_speech(
            phrase, speech, expression, breathiness=breathiness, seed=seed
        )


def test_first_chunk_comes_before_the_last_phrase_is_sung(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingVoice(voices.LOCAL_VOICES["joe"])
    monkeypatch.setitem(voices.LOCAL_VOICES, "joe", counting)
    melody, syllables = song(TEN_SECONDS)
    rendered_at_chunk: list[int] = []
    events: list[SingEvent] = []
    for event in sing(SingRequest(melody, syllables, voice_id="joe")):
        events.append(event)
        if isinstance(event, AudioChunk) and event.data:
            rendered_at_chunk.append(counting.rendered)
    assert rendered_at_chunk[0] == 1  # one phrase sung, two still to come
    assert counting.rendered == 3
    assert isinstance(events[-1], SingSummary)
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_progress_moves_through_one_long_phrase_block_by_block() -> None:
    # A hum sung without a breath is one phrase: its progress must not sit at 0 until
    # the whole of it is sung.
    melody, syllables = song([TEN_SECONDS[0] + TEN_SECONDS[1]])
    fractions = [
        e.fraction for e in sing(SingRequest(melody, syllables)) if isinstance(e, Progress)
    ]

    assert len(melody.phrases) == 1
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len({fraction for fraction in fractions if 0.0 < fraction < 1.0}) >= 2


@pytest.mark.parametrize("output_format", [OutputFormat.WAV, OutputFormat.FLAC])
def test_chunks_concatenate_to_a_file_of_the_announced_length(output_format: OutputFormat) -> None:
    melody, syllables = song(TEN_SECONDS)
    request = SingRequest(
        melody, syllables, options=SingOptions(output_format=output_format, sample_rate_hz=16000)
    )
    events = list(sing(request))
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    summary = events[-1]
    assert isinstance(summary, SingSummary)
    assert len(chunks) >= 3
    assert all(c.media_type == output_format.media_type for c in chunks)
    assert [c.start_s for c in chunks[1:]] == pytest.approx([c.end_s for c in chunks[:-1]])
    data = b"".join(c.data for c in chunks)
    samples, sample_rate_hz = soundfile.read(io.BytesIO(data), dtype="float32")
    assert sample_rate_hz == summary.sample_rate_hz == 16000
    assert len(samples) == round(summary.duration_s * 16000)
    assert np.abs(samples).max() > 0.1  # there is singing in it
    assert decode_audio(data).samples.size == len(samples)  # FFmpeg agrees


def test_wav_header_states_the_exact_length() -> None:
    header = wav_header(22050, 1000)
    assert header[:4] == b"RIFF" and header[8:16] == b"WAVEfmt "
    assert int.from_bytes(header[40:44], "little") == 2000
    encoder = open_encoder(OutputFormat.WAV, 22050, 1000)
    data = encoder.write(np.zeros(400, np.float32)) + encoder.finish()
    samples, _ = soundfile.read(io.BytesIO(data))
    assert len(samples) == 1000


def test_encoder_refuses_more_samples_than_promised() -> None:
    encoder = open_encoder(OutputFormat.FLAC, 16000, 100)
    with pytest.raises(ValueError, match="101 samples written to a file of 100"):
        encoder.write(np.zeros(101, np.float32))


def test_a_long_phrase_is_heard_before_it_is_all_synthesized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One legato phrase of 6 s: the first chunk must carry its first sung samples after
    # one WORLD synthesis call, not after the call that makes the whole phrase.
    pitches = [57, 60, 62, 64, 62, 60, 59, 57]
    notes = [Note(0.2 + 0.75 * i, 0.75, pitch) for i, pitch in enumerate(pitches)]
    melody = Melody(notes, [], 6.4, "test")
    syllables = [Syllable("la", i, phonemes=("L", "AA1")) for i in range(len(notes))]
    synthesized_s: list[float] = []
    synthesize = blocks.pyworld.synthesize

    def counting_synthesize(f0: np.ndarray, *args: Any) -> np.ndarray:
        synthesized_s.append(f0.size * FRAME_PERIOD_S)
        return synthesize(f0, *args)

    monkeypatch.setattr(blocks.pyworld, "synthesize", counting_synthesize)
    calls_at_chunk: list[int] = []
    chunks: list[AudioChunk] = []
    for event in sing(SingRequest(melody, syllables, voice_id="joe")):
        if isinstance(event, AudioChunk) and event.data:
            calls_at_chunk.append(len(synthesized_s))
            chunks.append(event)
    assert len(synthesized_s) >= 3  # the phrase was sung in several blocks
    assert calls_at_chunk[0] == 1
    assert synthesized_s[0] < 1.0  # the first call made well under a second of audio
    first = chunks[0]
    assert 0.3 <= first.end_s - first.start_s <= 1.0
    # ...and that chunk is singing, not a header: the first note's "l-a" is in it.
    data = b"".join(chunk.data for chunk in chunks)
    samples, sample_rate_hz = soundfile.read(io.BytesIO(data), dtype="float32")
    heard = samples[round(first.start_s * sample_rate_hz) : round(first.end_s * sample_rate_hz)]
    assert np.sqrt(np.mean(heard**2)) > 0.02
    assert len(first.data) >= 44 + 2 * heard.size  # header plus every sample of the stretch


def test_blocks_join_like_one_synthesis() -> None:
    # The periodic part of consecutive blocks is the same signal (pulses in the same
    # places), so with almost no noise the blocks add up to one WORLD call.
    rate, frames = 22050, 700  # 3.5 s: blocks of 0.5, 1 and 2 s
    times_s = np.arange(frames) * FRAME_PERIOD_S
    f0_hz = 180.0 * 2 ** (0.3 * np.sin(2 * np.pi * 0.7 * times_s) / 12)
    f0_hz[300:320] = 0.0  # an unvoiced consonant inside
    bins = np.linspace(0, rate / 2, 513)
    formants = sum(np.exp(-(((bins - hz) / 150.0) ** 2)) for hz in (700, 1200, 2600))
    envelope = np.tile(0.01 * (0.05 + formants), (frames, 1))  # power spectrum
    aperiodicity = np.full_like(envelope, 1e-4)
    whole = blocks.pyworld.synthesize(f0_hz, envelope, aperiodicity, rate, FRAME_PERIOD_S * 1000)
    joined = np.zeros(whole.size)
    parts = list(synthesize_in_blocks(f0_hz, lambda a, b: (envelope[a:b], aperiodicity[a:b]), rate))
    for part in parts:
        joined[part.start : part.start + part.samples.size] += part.samples
    assert len(parts) == 3 and 0.1 < np.abs(whole).max() < blocks.MAX_PEAK
    # Compared inside the phrase fades and away from the consonant, which is noise
    # (WORLD draws it afresh in every call).
    frame_of_sample = (np.arange(whole.size) / (FRAME_PERIOD_S * rate)).astype(int)
    compared = np.abs(frame_of_sample - 310) > 20
    compared[: int(blocks.FADE_IN_S * rate)] = False
    compared[whole.size - int(blocks.FADE_OUT_S * rate) :] = False
    error = np.abs(joined - whole)[compared]
    assert error.max() <= 0.01 * np.abs(whole).max()
    # The consonant is still there, as loud as in one call.
    noise = np.abs(frame_of_sample - 310) < 8
    assert np.std(joined[noise]) == pytest.approx(np.std(whole[noise]), rel=0.3)


def test_a_caller_who_leaves_stops_the_singing_before_the_next_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = _CountingVoice(voices.LOCAL_VOICES["joe"])
    monkeypatch.setitem(voices.LOCAL_VOICES, "joe", counting)
    melody, syllables = song(TEN_SECONDS)
    caller_left = threading.Event()
    events = sing(SingRequest(melody, syllables, voice_id="joe"), cancelled=caller_left)

    first_audio = next(e for e in events if isinstance(e, AudioChunk) and e.data)
    caller_left.set()

    with pytest.raises(WorkCancelledError, match="stopped singing"):
        list(events)
    assert first_audio.data
    assert counting.rendered == 1  # the two later phrases were never sung
