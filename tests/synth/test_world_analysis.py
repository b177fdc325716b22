"""WORLD analysis of a phrase's speech, in pieces and on only the frames that are sung."""

from __future__ import annotations

import numpy as np
import pytest

from services.synth.blocks import FRAME_PERIOD_S, pyworld
from services.synth.voices import (
    LOCAL_VOICES,
    PIPER_APERIODICITY_STEP_FRAMES,
    FestivalSingingVoice,
    PiperSingingVoice,
)
from services.synth.world import (
    APERIODICITY_STEP_FRAMES,
    SYNTHESIS_FFT_SIZE,
    PiecewiseAnalysis,
    analyse_f0,
    analyse_spectra,
    synthesis_bins,
)

RATE_HZ = 22_050


def _vowel_then_noise(seconds: float = 1.2) -> np.ndarray:
    """A gliding 'vowel' (harmonics of 110 -> 160 Hz) with a burst of noise in the middle."""
    t_s = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    phase = 2 * np.pi * np.cumsum(110 + 50 * t_s / seconds) / RATE_HZ
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    noise = np.random.default_rng(0).normal(0, 0.3, t_s.size)
    burst = (t_s > 0.5) & (t_s < 0.6)
    return (0.2 * np.where(burst, noise, voice)).astype(np.float32)


@pytest.mark.parametrize("step", [APERIODICITY_STEP_FRAMES, PIPER_APERIODICITY_STEP_FRAMES])
def test_analysing_in_two_pieces_gives_what_one_pass_gives(step: int) -> None:
    samples = _vowel_then_noise()
    mask = np.ones(int(len(samples) / RATE_HZ / FRAME_PERIOD_S) + 2)
    f0_hz, times_s = analyse_f0(samples.astype(np.float64), RATE_HZ, mask)
    whole_envelope, whole_aperiodicity = analyse_spectra(
        samples.astype(np.float64), f0_hz, times_s, RATE_HZ, 0, f0_hz.size, aperiodicity_step=step
    )

    analysis = PiecewiseAnalysis(samples, RATE_HZ, mask, aperiodicity_step=step)
    analysis.covering(37)  # a first block that needs an odd number of frames
    envelope, aperiodicity = analysis.covering(f0_hz.size)

    # CheapTrick and D4C add fresh safeguard noise to every window (WORLD's
    # kMySafeGuardMinimum): equal to within 0.01 dB above -180 dB, far beyond hearing.
    np.testing.assert_allclose(
        envelope, whole_envelope, rtol=1e-3, atol=1e-9 * whole_envelope.max()
    )
    # D4C's noise follows from the frames analysed before in the same call, and can move
    # single bins of a frame by up to ~0.2: the frames agree as a whole.
    assert float(np.median(np.abs(aperiodicity - whole_aperiodicity))) < 0.01


def test_frames_after_the_last_sung_one_are_not_analysed() -> None:
    samples = _vowel_then_noise()
    mask = np.ones(int(len(samples) / RATE_HZ / FRAME_PERIOD_S) + 2)

    analysis = PiecewiseAnalysis(samples, RATE_HZ, mask, frames_needed=150)
    analysis.covering(20)
    envelope, aperiodicity = analysis.covering(10_000)

    assert envelope.shape[0] == aperiodicity.shape[0] == 150


@pytest.mark.parametrize("step", [APERIODICITY_STEP_FRAMES, PIPER_APERIODICITY_STEP_FRAMES])
def test_sparse_aperiodicity_stays_close_to_analysing_every_frame(step: int) -> None:
    samples = _vowel_then_noise().astype(np.float64)
    f0_hz, times_s = analyse_f0(samples, RATE_HZ)
    every_frame = synthesis_bins(pyworld.d4c(samples, f0_hz, times_s, RATE_HZ, threshold=0.0))

    _, sparse = analyse_spectra(
        samples, f0_hz, times_s, RATE_HZ, 0, f0_hz.size, aperiodicity_step=step
    )

    assert step > 1
    voiced = f0_hz > 0
    error_db = np.abs(
        20 * np.log10(np.clip(sparse, 1e-3, 1)) - 20 * np.log10(np.clip(every_frame, 1e-3, 1))
    )[voiced]
    assert float(np.median(error_db)) < 0.5
    assert float(np.percentile(error_db, 95)) == pytest.approx(0.0, abs=3.0)


def test_tables_come_at_the_synthesis_fft_size() -> None:
    samples = _vowel_then_noise().astype(np.float64)
    f0_hz, times_s = analyse_f0(samples, RATE_HZ)

    envelope, aperiodicity = analyse_spectra(samples, f0_hz, times_s, RATE_HZ, 0, f0_hz.size)

    assert envelope.shape[1] == aperiodicity.shape[1] == SYNTHESIS_FFT_SIZE // 2 + 1


def test_synthesis_from_every_second_bin_sounds_as_the_full_analysis() -> None:
    # The periodic part (aperiodicity ~0, so WORLD's fresh noise does not differ between
    # the two calls) of the vowel resynthesized at 512 points from every second bin, and
    # at the 1024 points of the analysis.
    samples = _vowel_then_noise().astype(np.float64)
    f0_hz, times_s = analyse_f0(samples, RATE_HZ)
    full = pyworld.cheaptrick(samples, f0_hz, times_s, RATE_HZ)
    periodic = np.full_like(full, 1e-6)
    sung_f0 = np.where(f0_hz > 0, 1.5 * f0_hz, 0.0)  # sung a fifth above, as the synth does
    frame_ms = FRAME_PERIOD_S * 1000

    reference = pyworld.synthesize(sung_f0, full, periodic, RATE_HZ, frame_ms)
    halved = pyworld.synthesize(
        sung_f0, synthesis_bins(full), synthesis_bins(periodic), RATE_HZ, frame_ms
    )

    assert full.shape[1] == 2 * (SYNTHESIS_FFT_SIZE // 2) + 1
    difference = np.sqrt(np.mean((halved - reference) ** 2))
    assert difference < 0.05 * np.sqrt(np.mean(reference**2))


def test_piper_voices_analyse_aperiodicity_more_sparsely_and_festival_voices_do_not() -> None:
    steps = {}
    for voice_id, voice in LOCAL_VOICES.items():
        assert isinstance(voice, PiperSingingVoice | FestivalSingingVoice)
        steps[voice_id] = voice.timbre.aperiodicity_step_frames

    assert steps == {
        "joe": PIPER_APERIODICITY_STEP_FRAMES,
        "joe-high": PIPER_APERIODICITY_STEP_FRAMES,
        "slt": APERIODICITY_STEP_FRAMES,
        "festival": APERIODICITY_STEP_FRAMES,
    }
