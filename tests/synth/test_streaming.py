"""Audio is streamed phrase by phrase, and the chunks always make one valid file."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile

from services.common.audio import decode_audio
from services.synth import voices
from services.synth.contour import Expression
from services.synth.encode import open_encoder, wav_header
from services.synth.render import sing
from services.synth.score import PhraseScore
from services.synth.singing import RenderedPhrase
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

    def sing_phrase(
        self, phrase: PhraseScore, expression: Expression, *, breathiness: float, seed: int
    ) -> RenderedPhrase:
        self.rendered += 1
        return self.inner.sing_phrase(phrase, expression, breathiness=breathiness, seed=seed)


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
