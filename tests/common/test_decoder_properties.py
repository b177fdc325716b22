"""Properties of the one audio decoder (services.common.audio) over generated input:
any bytes decode or are refused with AudioDecodeError; real files keep their length."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import soundfile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.common.audio import AudioDecodeError, AudioTooLongError, decode_audio

RATES_HZ = (8_000, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000)


def wav_bytes(samples: np.ndarray, sample_rate_hz: int, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate_hz, format="WAV", subtype=subtype)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_are_refused_with_a_reason(data: bytes) -> None:
    try:
        decoded = decode_audio(data, max_duration_s=60.0)
    except (AudioDecodeError, AudioTooLongError) as error:
        assert str(error)
    else:
        assert decoded.samples.ndim == 1 and decoded.samples.size > 0
        assert np.all(np.isfinite(decoded.samples))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=st.integers(1, 4000),
    channels=st.integers(1, 7),  # 8: see test_an_eight_channel_wav_decodes below
    sample_rate_hz=st.sampled_from(RATES_HZ),
    subtype=st.sampled_from(["PCM_16", "PCM_24", "FLOAT", "PCM_U8"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_wav_of_any_rate_and_channel_count_keeps_its_length_and_rate(
    frames: int, channels: int, sample_rate_hz: int, subtype: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-0.9, 0.9, size=(frames, channels))
    decoded = decode_audio(wav_bytes(samples, sample_rate_hz, subtype))
    assert decoded.sample_rate_hz == sample_rate_hz
    assert decoded.samples.shape == (frames,)
    assert np.all(np.isfinite(decoded.samples))
    assert np.all(np.abs(decoded.samples) <= 1.0)


@settings(max_examples=40, deadline=None)
@given(specials=st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 1e30]), min_size=1))
def test_nan_and_infinite_float_samples_come_out_finite_and_are_counted_in_a_warning(
    specials: list[float],
) -> None:
    samples = np.concatenate([np.linspace(-0.5, 0.5, 100), np.array(specials)])
    decoded = decode_audio(wav_bytes(samples.astype(np.float32), 16_000, "FLOAT"))
    assert decoded.samples.size == samples.size
    assert np.all(np.isfinite(decoded.samples)) and np.all(np.abs(decoded.samples) <= 1.0)
    broken = sum(not np.isfinite(value) for value in specials)
    told = [warning for warning in decoded.warnings if "NaN or infinite" in warning]
    if broken:  # said, with how many
        assert len(told) == 1
        assert told[0].startswith(f"{broken} of the audio's {samples.size} samples")
    else:
        assert told == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(cut=900, flips=[(20, 0)])
@given(
    cut=st.integers(0, 900),
    flips=st.lists(st.tuples(st.integers(0, 899), st.integers(0, 255)), max_size=6),
)
def test_a_damaged_wav_decodes_or_is_refused_with_a_reason(
    cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(wav_bytes(np.sin(np.arange(428) / 5.0) * 0.5, 16_000)[:cut])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        decoded = decode_audio(bytes(data), max_duration_s=60.0)
    except (AudioDecodeError, AudioTooLongError) as error:
        assert str(error)
    else:
        assert np.all(np.isfinite(decoded.samples))


_EIGHT_CHANNELS = """
import io, numpy as np, soundfile
from services.common.audio import decode_audio
buffer = io.BytesIO()
soundfile.write(buffer, np.zeros((100, 8)), 48000, format="WAV")
assert decode_audio(buffer.getvalue()).samples.shape == (100,)
"""


def test_an_eight_channel_wav_decodes() -> None:
    # In a subprocess: PyAV's resampler once crashed the process (SIGSEGV) on such files.
    finished = subprocess.run(
        [sys.executable, "-c", _EIGHT_CHANNELS], capture_output=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr.decode(errors="replace")[-2000:]
