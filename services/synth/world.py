"""WORLD analysis and resynthesis (pyworld): speech taken apart into its pitch (f0),
spectral envelope (the vowel colour, formants) and aperiodicity (breath and noise), 5 ms
per frame, and put back together on new pitches and times.

Source: M. Morise, F. Yokomori, K. Ozawa, "WORLD: a vocoder-based high-quality speech
synthesis system for real-time applications", IEICE Trans. Inf. & Syst. E99-D(7), 2016;
the DIO, StoneMask, CheapTrick and D4C analyses are pyworld's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from services.synth.blocks import FADE_IN_S, FADE_OUT_S, FRAME_PERIOD_S, MAX_PEAK, pyworld

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: Breath noise is added more at high frequencies, where real breath is heard.
BREATH_LOW_HZ, BREATH_HIGH_HZ = 500.0, 4000.0
#: DIO works on the speech decimated by this factor (pyworld's ``speed``, 1-12): a
#: quarter of the cost, and StoneMask then refines f0 on the full-rate signal (the sung
#: pitch, onsets and word error rate measured the same as at 1 in bench.synth).
DIO_SPEED = 4
#: D4C analyses one frame in this many (10 ms apart at 5 ms frames); the frames between
#: are interpolated. Against every frame, on voiced frames of a sung phrase: 0.04 dB
#: median / 1.6 dB 95th-percentile error at 2, 0.13 / 1.8 dB at 3 (measured 2026-12-01),
#: but 3 cost Festival's singing a word of the 19 Whisper heard in bench.synth. A voice
#: may ask for a longer step (``singing.Timbre.aperiodicity_step_frames``).
APERIODICITY_STEP_FRAMES = 2
#: WORLD synthesizes every pulse with FFTs of (n_bins - 1) * 2 points, as many as the
#: analysis used: 1024 at 22.05-24 kHz, because CheapTrick's window must hold three
#: periods of its 71 Hz floor. The synthesis needs far fewer: an envelope smoothed by
#: CheapTrick has (almost) no cepstrum past one pitch period and a vocal-tract response
#: dies away within a few milliseconds, so a 512-point response (23 ms at 22.05 kHz)
#: holds it, and every second bin of the analysed envelope is the envelope WORLD would
#: use at 512 points. Synthesis then costs half as much; the periodic part of a sung
#: 12 s take moved by 3 % RMS against 1024 points (median of its blocks, -30 dB;
#: measured 2026-12-01), sung pitch, onsets and the words Whisper heard in bench.synth
#: not at all. ``tests/synth/test_world_analysis.py`` holds a vowel to 5 % (256 points
#: would reach 9 %). A phrase sung below what 512 points can voice gets more: see
#: :func:`synthesis_fft_size`.
SYNTHESIS_FFT_SIZE = 512


def analyse(
    samples: Float32Array, sample_rate_hz: int, voiced_mask: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """WORLD analysis: (f0 Hz (n_frames,), envelope (n_frames, n_bins), aperiodicity).

    Where ``voiced_mask`` (one value per frame) says a sound is voiced but the f0
    tracker found none, f0 is interpolated from its neighbours so the envelope and
    aperiodicity are analysed as voiced.
    """
    signal = samples.astype(np.float64)
    f0, times_s = analyse_f0(signal, sample_rate_hz, voiced_mask)
    envelope, aperiodicity = analyse_spectra(signal, f0, times_s, sample_rate_hz, 0, f0.size)
    return f0, envelope, aperiodicity


def analyse_f0(
    signal: FloatArray, sample_rate_hz: int, voiced_mask: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """f0 in Hz and frame times in seconds, both (n_frames,); see :func:`analyse`."""
    f0, times_s = pyworld.dio(
        signal,
        sample_rate_hz,
        f0_floor=60.0,
        f0_ceil=600.0,
        frame_period=FRAME_PERIOD_S * 1000,
        speed=DIO_SPEED,
    )
    f0 = pyworld.stonemask(signal, f0, times_s, sample_rate_hz)
    if voiced_mask is not None and np.any(f0 > 0):
        found = f0 > 0
        frames = np.arange(f0.size)
        filled = np.interp(frames, frames[found], f0[found])
        f0 = np.where((voiced_mask[: f0.size] > 0) & ~found, filled, f0)
    return f0, times_s


def analyse_spectra(
    signal: FloatArray,
    f0_hz: FloatArray,
    times_s: FloatArray,
    sample_rate_hz: int,
    start: int,
    stop: int,
    fft_size: int = SYNTHESIS_FFT_SIZE,
    aperiodicity_step: int = APERIODICITY_STEP_FRAMES,
) -> tuple[FloatArray, FloatArray]:
    """Envelope and aperiodicity of frames [start, stop), each (stop - start, n_bins), at
    the resolution of a ``fft_size``-point synthesis (:func:`synthesis_bins`), the
    aperiodicity analysed on every ``aperiodicity_step``-th frame and interpolated.

    CheapTrick and D4C analyse every frame on its own (a window around its time, sized
    by its f0), so frames analysed in separate calls are the same as in one, up to the
    -240 dB safeguard noise D4C adds to each window (drawn afresh in every call).
    """
    envelope = pyworld.cheaptrick(
        signal,
        np.ascontiguousarray(f0_hz[start:stop]),
        np.ascontiguousarray(times_s[start:stop]),
        sample_rate_hz,
    )
    # D4C is two thirds of the analysis time; aperiodicity changes slowly, so it is
    # analysed on every ``aperiodicity_step``-th frame (a grid fixed in absolute frame
    # numbers, so pieces analysed apart agree) and interpolated. threshold=0 turns off
    # D4C's own voicing decision, which marks whole stretches of vowels as noise
    # (aperiodicity 1) at random; voicing is decided by f0.
    step = aperiodicity_step
    grid = np.arange(start - start % step, min(stop - 1 + step, f0_hz.size), step)
    sparse = pyworld.d4c(
        signal,
        np.ascontiguousarray(f0_hz[grid]),
        np.ascontiguousarray(times_s[grid]),
        sample_rate_hz,
        threshold=0.0,
    )
    aperiodicity = frames_at(sparse, (np.arange(start, stop) - grid[0]) / step)
    return synthesis_bins(envelope, fft_size), synthesis_bins(aperiodicity, fft_size)


def synthesis_bins(table: FloatArray, fft_size: int = SYNTHESIS_FFT_SIZE) -> FloatArray:
    """The bins of an analysed table (n_frames, n_bins) that a ``fft_size``-point WORLD
    synthesis uses: every k-th, where k is the analysis FFT size over it (1 when the
    analysis used no more points); shape (n_frames, n_bins // k + 1)."""
    every = max(1, (table.shape[1] - 1) * 2 // fft_size)
    return np.ascontiguousarray(table[:, ::every])


def synthesis_fft_size(lowest_f0_hz: float, sample_rate_hz: int) -> int:
    """The FFT size to synthesize a phrase whose lowest sung f0 is ``lowest_f0_hz``:
    SYNTHESIS_FFT_SIZE, doubled until WORLD voices that f0.

    WORLD's synthesis (synthesis.cpp, GetTimeBase) treats an f0 below
    ``sample_rate_hz / fft_size + 1`` as unvoiced: at 512 points and 22.05 kHz that is
    44 Hz (MIDI 29), which a voice transposed far below its range reaches, and such notes
    came out silent.
    """
    fft_size = SYNTHESIS_FFT_SIZE
    while lowest_f0_hz > 0 and sample_rate_hz / fft_size + 1.0 >= lowest_f0_hz:
        fft_size *= 2
    return fft_size


class PiecewiseAnalysis:
    """The speech's envelope and aperiodicity, analysed in two pieces as blocks ask.

    The phrase's first block needs only the start of the speech (its first half second
    of singing), so only those frames are analysed before it, the rest when a later block
    needs them: the first block does not wait for the analysis of the whole phrase. The
    f0 that drives the analysis is tracked over the whole speech first (it is the
    cheap part), so the pieces are what one pass gives.
    """

    def __init__(
        self,
        samples: Float32Array,
        sample_rate_hz: int,
        voiced_mask: FloatArray,
        frames_needed: int | None = None,
        fft_size: int = SYNTHESIS_FFT_SIZE,
        aperiodicity_step: int = APERIODICITY_STEP_FRAMES,
    ):
        """``frames_needed``: no frame from this one on is ever asked for (the speech
        after the last sung sound, e.g. the throw-away schwa piper ends a phrase with);
        those frames are not analysed. None analyses every frame. ``fft_size``: the
        synthesis's (:func:`synthesis_fft_size`), which sets the tables' bins.
        ``aperiodicity_step``: see :func:`analyse_spectra`."""
        self._signal = samples.astype(np.float64)
        self._rate = sample_rate_hz
        self._f0, self._times_s = analyse_f0(self._signal, sample_rate_hz, voiced_mask)
        self._frames = self._f0.size if frames_needed is None else min(frames_needed, self._f0.size)
        self._fft_size = fft_size
        self._aperiodicity_step = aperiodicity_step
        self._envelope: FloatArray | None = None
        self._aperiodicity: FloatArray | None = None

    def covering(self, frames: int) -> tuple[FloatArray, FloatArray]:
        """Envelope and aperiodicity tables (n, n_bins) with at least the first ``frames``
        frames, or all that are needed."""
        done = 0 if self._envelope is None else self._envelope.shape[0]
        if done >= min(frames, self._frames):
            assert self._envelope is not None and self._aperiodicity is not None
            return self._envelope, self._aperiodicity
        # The first call analyses what it asks for, a later one all the rest.
        stop = frames if done == 0 else self._frames
        envelope, aperiodicity = analyse_spectra(
            self._signal,
            self._f0,
            self._times_s,
            self._rate,
            done,
            min(stop, self._frames),
            self._fft_size,
            self._aperiodicity_step,
        )
        if self._envelope is not None and self._aperiodicity is not None:
            envelope = np.concatenate([self._envelope, envelope])
            aperiodicity = np.concatenate([self._aperiodicity, aperiodicity])
        self._envelope, self._aperiodicity = envelope, aperiodicity
        return envelope, aperiodicity


def frames_at(table: FloatArray, positions: FloatArray) -> FloatArray:
    """Rows of ``table`` (n_frames, n_bins) at fractional frame ``positions``, linearly."""
    positions = np.clip(positions, 0, table.shape[0] - 1)
    lower = np.floor(positions).astype(int)
    upper = np.minimum(lower + 1, table.shape[0] - 1)
    weight = (positions - lower)[:, None]
    return table[lower] * (1.0 - weight) + table[upper] * weight


def warp_formants(envelope: FloatArray, ratio: float) -> FloatArray:
    """Move every formant up by ``ratio`` (> 1) or down (< 1); shape kept (n_frames, n_bins)."""
    if ratio == 1.0:
        return envelope
    bins = envelope.shape[1]
    source_bins = np.clip(np.arange(bins) / ratio, 0, bins - 1)
    lower = np.floor(source_bins).astype(int)
    upper = np.minimum(lower + 1, bins - 1)
    weight = source_bins - lower
    return envelope[:, lower] * (1.0 - weight) + envelope[:, upper] * weight


def add_breath(aperiodicity: FloatArray, breathiness: float, sample_rate_hz: int) -> FloatArray:
    """Raise aperiodicity towards 1 (noise) by ``breathiness`` 0..1, more at high frequencies."""
    if breathiness <= 0:
        return aperiodicity
    frequencies_hz = np.linspace(0, sample_rate_hz / 2, aperiodicity.shape[1])
    tilt = np.clip((frequencies_hz - BREATH_LOW_HZ) / (BREATH_HIGH_HZ - BREATH_LOW_HZ), 0.0, 1.0)
    amount = breathiness * (0.15 + 0.75 * tilt)
    return aperiodicity + (1.0 - aperiodicity) * amount[None, :]


def render_world(
    f0_hz: FloatArray,
    envelope: FloatArray,
    aperiodicity: FloatArray,
    sample_rate_hz: int,
) -> Float32Array:
    """WORLD synthesis with short fades at both ends; float32 samples."""
    audio = pyworld.synthesize(
        np.ascontiguousarray(f0_hz),
        np.ascontiguousarray(envelope),
        np.ascontiguousarray(aperiodicity),
        sample_rate_hz,
        FRAME_PERIOD_S * 1000,
    )
    # Raising the pitch or the formants can raise the level: scale down, never clip.
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > MAX_PEAK:
        audio *= MAX_PEAK / peak
    fade_in = min(audio.size, int(FADE_IN_S * sample_rate_hz))
    fade_out = min(audio.size, int(FADE_OUT_S * sample_rate_hz))
    audio[:fade_in] *= np.linspace(0.0, 1.0, fade_in)
    audio[audio.size - fade_out :] *= np.linspace(1.0, 0.0, fade_out)
    return audio.astype(np.float32)
