"""Notes transposed far below a voice's range are still sung, not left silent."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile

from services.synth.render import sing_to_bytes
from services.synth.types import SingOptions, SingRequest
from services.synth.world import SYNTHESIS_FFT_SIZE, synthesis_fft_size
from tests.support.songs import Line, song

#: Voiced sounds only (so every note should sound from end to end), in joe's range.
LOW_LINE: Line = [
    ("oh", "OW1", 53, 1),
    ("my", "M AY1", 51, 1),
    ("lov-", "L AH1", 49, 1),
    ("ing", "V IH0 NG", 51, 1),
    ("one", "W AH1 N", 53, 2),
]


@pytest.mark.parametrize("voice_id", ["joe", "joe-high"])
def test_a_phrase_two_octaves_below_the_voice_has_no_silent_stretch(voice_id: str) -> None:
    # Moved two octaves down: MIDI 25-29, 35-44 Hz, below the 44 Hz a 512-point WORLD
    # synthesis voices at 22.05 kHz.
    melody, syllables = song([LOW_LINE])
    request = SingRequest(
        melody,
        syllables,
        voice_id=voice_id,
        options=SingOptions(vibrato_depth_cents=0.0, transpose_semitones=-24),
    )

    samples, rate_hz = soundfile.read(io.BytesIO(sing_to_bytes(request)), dtype="float32")

    window = int(0.02 * rate_hz)
    for note in melody.notes:
        middle = samples[int(note.onset_s * rate_hz) : int(note.offset_s * rate_hz)]
        middle = middle[len(middle) // 4 : 3 * len(middle) // 4]
        rms = [
            float(np.sqrt(np.mean(middle[i : i + window] ** 2)))
            for i in range(0, len(middle) - window, window)
        ]
        assert min(rms) > 1e-3, (note.midi_pitch, min(rms))


def test_the_synthesis_fft_grows_until_world_voices_the_lowest_note() -> None:
    assert synthesis_fft_size(100.0, 22_050) == SYNTHESIS_FFT_SIZE
    assert synthesis_fft_size(40.0, 22_050) == 2 * SYNTHESIS_FFT_SIZE  # 44 Hz at 512
    assert synthesis_fft_size(0.0, 22_050) == SYNTHESIS_FFT_SIZE  # an unvoiced phrase
