"""Every local voice sings at about the same loudness, so switching voices does not mean
reaching for the volume."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import soundfile

from services.synth.render import sing_to_bytes
from services.synth.types import SingRequest
from services.synth.voices import LOCAL_VOICES
from tests.support.songs import TEN_SECONDS, song

#: Windows quieter than this (rests, the silence of stops) are not part of the loudness.
SILENCE_DB = -50.0


def active_rms_db(samples: npt.NDArray[np.float32], sample_rate_hz: int) -> float:
    """RMS in dBFS over the 50 ms windows that are not silence."""
    window = int(0.05 * sample_rate_hz)
    frames = samples[: samples.size // window * window].reshape(-1, window)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    sounding = rms[rms > 10 ** (SILENCE_DB / 20)]
    return float(20 * np.log10(np.sqrt(np.mean(sounding**2))))


def test_every_local_voice_sings_within_two_db_of_the_others() -> None:
    melody, syllables = song(TEN_SECONDS)
    loudness_db = {}
    for voice_id, voice in LOCAL_VOICES.items():
        if voice.unavailable_reason():
            continue
        audio = sing_to_bytes(SingRequest(melody, syllables, voice_id=voice_id))
        samples, rate_hz = soundfile.read(io.BytesIO(audio), dtype="float32")
        loudness_db[voice_id] = active_rms_db(samples, rate_hz)

    assert len(loudness_db) >= 2
    assert max(loudness_db.values()) - min(loudness_db.values()) < 2.0, loudness_db
