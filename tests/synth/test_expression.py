"""Vibrato, ornaments and breath are there when asked for, as measured from the audio."""

from __future__ import annotations

import io

import numpy as np
import parselmouth
import soundfile

from services.common.music import Melody, Note, Syllable
from services.synth.contour import Expression, sung_contour
from services.synth.render import sing_to_bytes
from services.synth.score import ScoreNote
from services.synth.types import RangePolicy, SingOptions, SingRequest
from tests.support.sung_pitch import track_pitch

A3 = 57


def _long_ah(options: SingOptions) -> tuple[np.ndarray, int]:
    melody = Melody([Note(0.2, 1.6, A3)], [], 2.0, "test")
    syllables = [Syllable("ah", 0, phonemes=("AA1",))]
    data = sing_to_bytes(SingRequest(melody, syllables, options=options))
    samples, sample_rate_hz = soundfile.read(io.BytesIO(data), dtype="float64")
    return samples, sample_rate_hz


def test_vibrato_has_the_asked_depth_and_rate() -> None:
    options = SingOptions(
        vibrato_depth_cents=40.0, vibrato_rate_hz=5.5, range_policy=RangePolicy.KEEP
    )
    samples, sample_rate_hz = _long_ah(options)
    track = track_pitch(samples, sample_rate_hz)
    # After the vibrato has faded in (delay 0.18 s + 0.2 s), before the release.
    steady = (track.times_s > 0.7) & (track.times_s < 1.7) & (track.frequencies_hz > 0)
    cents = 1200 * np.log2(track.frequencies_hz[steady] / 220.0)
    depth = np.sqrt(2) * np.std(cents - np.median(cents))  # a sine's peak from its RMS
    assert 30.0 <= depth <= 50.0
    crossings = np.sum(np.diff(np.sign(cents - np.median(cents))) != 0)
    rate_hz = crossings / 2 / (track.times_s[steady][-1] - track.times_s[steady][0])
    assert 4.5 <= rate_hz <= 6.5


def test_without_vibrato_a_long_note_is_steady() -> None:
    samples, sample_rate_hz = _long_ah(
        SingOptions(vibrato_depth_cents=0.0, range_policy=RangePolicy.KEEP)
    )
    track = track_pitch(samples, sample_rate_hz)
    steady = (track.times_s > 0.7) & (track.times_s < 1.7) & (track.frequencies_hz > 0)
    cents = 1200 * np.log2(track.frequencies_hz[steady] / 220.0)
    assert np.std(cents) < 6.0


def test_breathiness_lowers_the_harmonics_to_noise_ratio() -> None:
    def hnr_db(breathiness: float) -> float:
        options = SingOptions(vibrato_depth_cents=0.0, breathiness=breathiness)
        samples, sample_rate_hz = _long_ah(options)
        middle = samples[int(0.6 * sample_rate_hz) : int(1.6 * sample_rate_hz)]
        harmonicity = parselmouth.Sound(middle, sample_rate_hz).to_harmonicity()
        values = harmonicity.values[harmonicity.values > -100]
        return float(np.mean(values))

    assert hnr_db(0.0) > hnr_db(0.8) + 5.0


def test_a_rising_step_prepares_below_and_overshoots_above() -> None:
    notes = [ScoreNote(0.0, 0.5, 60.0), ScoreNote(0.5, 1.0, 64.0)]
    times_s = np.arange(0.0, 1.0, 0.005)
    f0 = sung_contour(notes, times_s, Expression(vibrato_depth_cents=0.0, fluctuation_cents=0.0))
    cents = 1200 * np.log2(f0 / 440.0) + 6900
    before = cents[(times_s > 0.35) & (times_s < 0.47)]
    after = cents[(times_s > 0.53) & (times_s < 0.65)]
    assert before.min() < 6000 - 10  # preparation dips under C4
    assert after.max() > 6400 + 30  # overshoot passes E4
    middle = cents[(times_s > 0.625) & (times_s < 0.875)]
    assert np.allclose(middle, 6400, atol=0.5)  # settled in the middle of the note
    halfway = times_s[np.argmax(cents > 6200)]
    assert abs(halfway - 0.5) <= 0.006  # the glide is centred on the onset (one frame)
