"""services.common.audio: every upload format decodes to the same mono samples."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from services.common import audio
from services.common.audio import (
    AudioDecodeError,
    AudioTooLongError,
    DecodedAudio,
    decode_audio,
    encode_wav,
)

TONE_HZ = 440.0


def _stereo_tone(sample_rate_hz: int, duration_s: float) -> np.ndarray:
    t_s = np.arange(round(sample_rate_hz * duration_s)) / sample_rate_hz
    left = 0.5 * np.sin(2 * np.pi * TONE_HZ * t_s)
    return np.stack([left, left]).astype(np.float32)  # (channels, n_samples)


def _encode_with_pyav(
    container_format: str, codec: str, sample_rate_hz: int, duration_s: float = 1.0
) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate_hz)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            _stereo_tone(sample_rate_hz, duration_s), format="fltp", layout="stereo"
        )
        frame.sample_rate = sample_rate_hz
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _dominant_frequency_hz(decoded: DecodedAudio) -> float:
    spectrum = np.abs(np.fft.rfft(decoded.samples * np.hanning(len(decoded.samples))))
    return float(
        np.fft.rfftfreq(len(decoded.samples), 1 / decoded.sample_rate_hz)[np.argmax(spectrum)]
    )


@pytest.mark.parametrize(
    ("container_format", "codec", "sample_rate_hz"),
    [
        ("wav", "pcm_s16le", 22_050),
        ("flac", "flac", 44_100),
        ("mp3", "libmp3lame", 44_100),
        ("ogg", "libopus", 48_000),
        ("webm", "libopus", 48_000),
        ("ipod", "aac", 44_100),  # .m4a
    ],
)
def test_every_upload_format_decodes_to_the_same_mono_tone(container_format, codec, sample_rate_hz):
    decoded = decode_audio(_encode_with_pyav(container_format, codec, sample_rate_hz))

    assert decoded.sample_rate_hz == sample_rate_hz
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1
    assert decoded.duration_s == pytest.approx(1.0, abs=0.06)
    # Mono mixdown is the channel mean: identical 0.5-amplitude channels stay at 0.5.
    assert np.max(np.abs(decoded.samples)) == pytest.approx(0.5, abs=0.06)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)


def test_wav_round_trip_keeps_the_samples_to_16_bit_precision():
    samples = _stereo_tone(16_000, 0.5)[0]

    decoded = decode_audio(encode_wav(samples, 16_000))

    assert decoded.format_name == "wav"
    np.testing.assert_allclose(decoded.samples, samples, atol=1e-4)


def test_target_sample_rate_resamples_and_keeps_the_pitch():
    decoded = decode_audio(_encode_with_pyav("flac", "flac", 44_100), target_sample_rate_hz=16_000)

    assert decoded.sample_rate_hz == 16_000
    assert len(decoded.samples) == pytest.approx(16_000, abs=2)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)


def test_empty_upload_is_refused_with_a_plain_message():
    with pytest.raises(AudioDecodeError, match="the upload is empty"):
        decode_audio(b"")


def test_garbage_is_refused_as_not_audio():
    with pytest.raises(AudioDecodeError, match="could not decode the upload as audio"):
        decode_audio(b"this is a text file, not a recording\n" * 50)


def test_audio_without_samples_is_refused():
    with pytest.raises(AudioDecodeError, match="no samples"):
        decode_audio(encode_wav(np.zeros(0, dtype=np.float32), 16_000))


def test_too_long_audio_is_refused_before_decoding_from_the_header():
    upload = encode_wav(np.zeros(16_000 * 5, dtype=np.float32), 16_000)

    with pytest.raises(AudioTooLongError, match=r"the audio is 5\.0 s long; the limit is 3 s"):
        decode_audio(upload, max_duration_s=3)


def test_too_long_audio_without_a_stated_duration_stops_while_decoding(monkeypatch):
    # Streams may state no duration (or a wrong one); then the running sample count must
    # stop decoding shortly after the limit instead of decoding the whole upload.
    monkeypatch.setattr(audio, "_stated_duration_s", lambda container, stream: None)
    upload = _encode_with_pyav("flac", "flac", 44_100, duration_s=20.0)

    with pytest.raises(
        AudioTooLongError, match=r"the audio is at least 2\.\d s long; the limit is 2 s"
    ):
        decode_audio(upload, max_duration_s=2)


def test_audio_within_the_limit_decodes():
    upload = encode_wav(np.zeros(16_000 * 2, dtype=np.float32), 16_000)

    assert decode_audio(upload, max_duration_s=3).duration_s == pytest.approx(2.0)
