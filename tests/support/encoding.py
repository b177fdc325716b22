"""Encodes test signals into the containers users upload (wav, flac, mp3, ogg, webm, m4a)."""

from __future__ import annotations

import io
from typing import cast

import av
import numpy as np
import numpy.typing as npt

#: container format -> (PyAV format name, codec, codec sample rate or None to keep)
FORMATS: dict[str, tuple[str, str, int | None]] = {
    "wav": ("wav", "pcm_s16le", None),
    "flac": ("flac", "flac", None),
    "mp3": ("mp3", "libmp3lame", 44100),
    "ogg": ("ogg", "libopus", 48000),
    "webm": ("webm", "libopus", 48000),
    "m4a": ("ipod", "aac", 44100),
}


#: channel count -> FFmpeg's layout name
_LAYOUTS = {1: "mono", 2: "stereo", 4: "quad", 6: "5.1"}


def encode(samples: npt.NDArray[np.floating], sample_rate_hz: int, file_format: str) -> bytes:
    """The float signal as a complete file of ``file_format`` (see FORMATS).

    ``samples`` is mono, shape (n_samples,), or has one row per channel, shape
    (n_channels, n_samples) with 1, 2, 4 or 6 channels.
    """
    container_format, codec, codec_rate_hz = FORMATS[file_format]
    pcm = np.clip(samples, -1.0, 1.0).astype(np.float32)
    planes = pcm[np.newaxis, :] if pcm.ndim == 1 else pcm
    layout = _LAYOUTS[planes.shape[0]]
    output = io.BytesIO()
    with av.open(output, mode="w", format=container_format) as container:
        stream = cast(
            av.AudioStream, container.add_stream(codec, rate=codec_rate_hz or sample_rate_hz)
        )
        stream.layout = layout
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(planes), format="fltp", layout=layout
        )
        frame.sample_rate = sample_rate_hz
        resampler = av.AudioResampler(
            format=stream.format.name,
            layout=layout,
            rate=codec_rate_hz or sample_rate_hz,
            frame_size=stream.frame_size or None,
        )
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return output.getvalue()
