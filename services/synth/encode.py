"""Streaming encoders: float samples in as they are rendered, file bytes out at once.

The length of a render is known before the first sample (the score fixes it), so both
formats write a complete, correct header up front and every byte handed out is final:
concatenating the pieces in order gives a valid file, and a client can start playing
after the first piece.

- WAV: the 44-byte RIFF header carries the exact data size, then 16-bit PCM.
- FLAC: PyAV (FFmpeg's encoder) writes to a non-seekable sink, so nothing is rewritten at
  the end; we patch the known total sample count into STREAMINFO before the first byte
  leaves (libsndfile, unlike FFmpeg, refuses FLAC whose length is "unknown"). The MD5
  signature stays zero, which the FLAC format defines as "not computed".
"""

from __future__ import annotations

import io
import struct
from typing import Protocol

import av
import numpy as np
import numpy.typing as npt

from services.synth.types import OutputFormat

Float32Array = npt.NDArray[np.float32]

_BYTES_PER_SAMPLE = 2  # 16-bit PCM, mono


class StreamEncoder(Protocol):
    media_type: str

    def write(self, samples: Float32Array) -> bytes:
        """Encode samples of shape (n,), floats in [-1, 1]; return the bytes ready now."""
        ...

    def finish(self) -> bytes:
        """Pad to the promised length with silence; return the last bytes."""
        ...


def open_encoder(
    output_format: OutputFormat, sample_rate_hz: int, total_samples: int
) -> StreamEncoder:
    """An encoder for a mono file of exactly ``total_samples`` samples."""
    if output_format is OutputFormat.FLAC:
        return FlacStreamEncoder(sample_rate_hz, total_samples)
    return WavStreamEncoder(sample_rate_hz, total_samples)


def to_pcm16(samples: Float32Array) -> bytes:
    """Little-endian 16-bit PCM of float samples (clipped to [-1, 1])."""
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype("<i2").tobytes()


def wav_header(sample_rate_hz: int, total_samples: int) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV file of ``total_samples`` samples."""
    data_bytes = total_samples * _BYTES_PER_SAMPLE
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH",
            16,  # fmt chunk size
            1,  # PCM
            1,  # mono
            sample_rate_hz,
            sample_rate_hz * _BYTES_PER_SAMPLE,  # byte rate
            _BYTES_PER_SAMPLE,  # block align
            8 * _BYTES_PER_SAMPLE,  # bits per sample
        )
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class _LengthGuard:
    """Counts samples against the promised total."""

    def __init__(self, total_samples: int) -> None:
        self.total_samples = total_samples
        self.written = 0

    def take(self, samples: Float32Array) -> Float32Array:
        if self.written + samples.size > self.total_samples:
            raise ValueError(
                f"{self.written + samples.size} samples written to a file of {self.total_samples}"
            )
        self.written += samples.size
        return samples

    def padding(self) -> Float32Array:
        """Silence up to the promised total (pass it to ``take`` like any samples)."""
        return np.zeros(self.total_samples - self.written, dtype=np.float32)


class WavStreamEncoder:
    media_type = OutputFormat.WAV.media_type

    def __init__(self, sample_rate_hz: int, total_samples: int) -> None:
        self._guard = _LengthGuard(total_samples)
        self._header: bytes | None = wav_header(sample_rate_hz, total_samples)

    def write(self, samples: Float32Array) -> bytes:
        header, self._header = self._header or b"", None
        return header + to_pcm16(self._guard.take(samples))

    def finish(self) -> bytes:
        return self.write(self._guard.padding())


class _Sink(io.RawIOBase):
    """A write-only, non-seekable file that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._pieces.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


class FlacStreamEncoder:
    media_type = OutputFormat.FLAC.media_type

    def __init__(self, sample_rate_hz: int, total_samples: int) -> None:
        self._guard = _LengthGuard(total_samples)
        self._sample_rate_hz = sample_rate_hz
        self._sink = _Sink()
        self._container = av.open(self._sink, mode="w", format="flac")
        self._stream = self._container.add_stream("flac", rate=sample_rate_hz, layout="mono")
        self._stream.format = "s16"
        self._header_patched = False
        self._pending = b""
        self._pts = 0

    def write(self, samples: Float32Array) -> bytes:
        pcm = np.frombuffer(to_pcm16(self._guard.take(samples)), dtype="<i2")
        if pcm.size:
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.sample_rate = self._sample_rate_hz
            frame.pts = self._pts
            self._pts += pcm.size
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        return self._ready(self._sink.take())

    def finish(self) -> bytes:
        data = self.write(self._guard.padding())
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return data + self._ready(self._sink.take(), final=True)

    def _ready(self, data: bytes, *, final: bool = False) -> bytes:
        """Bytes safe to hand out: everything once STREAMINFO is patched."""
        if self._header_patched:
            return data
        self._pending += data
        if len(self._pending) < 26 and not final:
            return b""
        self._header_patched = True
        data, self._pending = _with_total_samples(self._pending, self._guard.total_samples), b""
        return data


def _with_total_samples(flac: bytes, total_samples: int) -> bytes:
    """Write the 36-bit total sample count into the STREAMINFO block at the file start."""
    if flac[:4] != b"fLaC":
        raise ValueError("not a FLAC stream")
    # "fLaC", a 4-byte block header, then STREAMINFO: the count is the low 36 bits of the
    # big-endian 64-bit field at bytes 18..25 (after rate, channels, bits per sample).
    field = int.from_bytes(flac[18:26], "big")
    field = (field & ~((1 << 36) - 1)) | (total_samples & ((1 << 36) - 1))
    return flac[:18] + field.to_bytes(8, "big") + flac[26:]
