"""WORLD synthesis of one phrase in blocks, so its start is heard while the rest renders.

``pyworld.synthesize`` makes a whole phrase in one call: a 6 s phrase costs ~70 ms before
its first sample can leave. Here the phrase is synthesized in blocks, the first one short
(half a second) and each next one twice as long, and every block is handed out as soon
as it is made.

Continuity: WORLD puts a glottal pulse wherever the running phase of f0, summed from the
call's first sample, passes a multiple of 2π. A block synthesized on its own would start
its phase at zero and put its pulses elsewhere than the whole phrase does, and a
crossfade between the two pulse trains would double the pulses for its length. So each
block starts ``CONTEXT_S`` early (the pulses there reach into the block with half of
their response), and before that context come ``PAD_S`` of pad frames whose f0 is chosen
so that the phase at the context's first sample is the whole phrase's phase there: every
pulse of the block then falls exactly where the one-call synthesis puts it, and the
periodic part of consecutive blocks is the same signal. Only WORLD's noise (the
aperiodic part, drawn afresh in every call) differs, and a 10 ms crossfade covers that.

Level: the one-call synthesis scaled the whole phrase down when its peak passed
``MAX_PEAK``; a block cannot know the peaks still to come, so the gain starts at 1 and
only ever goes down, gliding to a block's gain just before the first sample that needs
it (see :func:`_limit`). Audio that was fine at gain 1 is no longer scaled down because
of a peak seconds later.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

with warnings.catch_warnings():
    # pyworld 0.3.5 imports pkg_resources only for its version string.
    warnings.simplefilter("ignore", UserWarning)
    import pyworld

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: WORLD's frame period: one f0, envelope and aperiodicity frame every 5 ms.
FRAME_PERIOD_S = 0.005
#: Fade at the phrase ends, in seconds, so no phrase starts or stops with a click.
FADE_IN_S, FADE_OUT_S = 0.01, 0.04
#: Highest peak of a rendered phrase; louder phrases are scaled down, never clipped.
MAX_PEAK = 0.9
#: The first block's length; each next block is twice as long as the one before.
FIRST_BLOCK_S = 0.5
#: Frames synthesized before a block: more than half of WORLD's pulse response (fft_size/2,
#: 12 ms at 22.05 kHz with world.SYNTHESIS_FFT_SIZE), so every pulse that reaches into
#: the block is there.
CONTEXT_S = 0.04
#: Pad frames before the context that set the pulse phase (their sound is thrown away).
PAD_S = 0.02
#: Consecutive blocks overlap by this much, the first fading out, the next fading in.
CROSSFADE_S = 0.01
#: WORLD's f0 for unvoiced samples when it places (noise) pulses, in Hz (kDefaultF0).
_WORLD_UNVOICED_F0_HZ = 500.0

#: Envelope and aperiodicity rows [start, stop) of the phrase's frames, each (n, n_bins).
FrameRows = Callable[[int, int], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True)
class Block:
    """Samples [start, start + samples.size) of the phrase, counted from its first frame.

    The last ``overlap`` samples fade out; the next block starts there, fading in, and
    the two are summed. The last block has no overlap.
    """

    samples: Float32Array
    start: int
    overlap: int


def synthesize_in_blocks(
    f0_hz: FloatArray, rows: FrameRows, sample_rate_hz: int
) -> Iterator[Block]:
    """WORLD synthesis of frames ``f0_hz`` (n_frames,), block by block, with the phrase's
    fades and peak limit; the blocks add up to the one-call synthesis (up to its noise)."""
    frame_count = f0_hz.size
    # pyworld's output length: one frame period per frame, the last one extrapolated.
    total = int(frame_count * FRAME_PERIOD_S * sample_rate_hz)
    # Blocks start on frames that fall on whole samples (every 4th frame at 22.05 kHz).
    step = Fraction(FRAME_PERIOD_S).limit_denominator(10**6) * sample_rate_hz
    grid = step.denominator

    def frames(seconds: float) -> int:
        return max(grid, math.ceil(seconds / FRAME_PERIOD_S / grid) * grid)

    def sample_of(frame: int) -> int:
        return int(frame * step)

    context, pad = frames(CONTEXT_S), frames(PAD_S)
    lookahead = context + frames(CROSSFADE_S)
    crossfade = int(CROSSFADE_S * sample_rate_hz)
    bounds = [0]
    length = frames(FIRST_BLOCK_S)
    while bounds[-1] + length + length // 2 < frame_count - 1:
        bounds.append(bounds[-1] + length)
        length *= 2
    bounds.append(frame_count - 1)

    phase: FloatArray | None = None  # WORLD's pulse phase over the phrase, once needed
    gain = 1.0
    for number, (first, last) in enumerate(itertools.pairwise(bounds)):
        final = number == len(bounds) - 2
        lo = max(0, first - context)
        hi = frame_count - 1 if final else min(frame_count - 1, last + lookahead)
        block_f0 = f0_hz[lo : hi + 1]
        envelope, aperiodicity = rows(lo, hi + 1)
        padding = 0
        if lo > 0:
            padding = pad
            if phase is None:
                phase = _world_phase(f0_hz, sample_rate_hz, envelope.shape[1])
            pad_f0 = _pad_f0(
                block_f0, phase[sample_of(lo) - 1], padding, sample_rate_hz, envelope.shape[1]
            )
            block_f0 = np.concatenate([np.full(padding, pad_f0), block_f0])
            envelope = np.concatenate([np.repeat(envelope[:1], padding, axis=0), envelope])
            aperiodicity = np.concatenate(
                [np.repeat(aperiodicity[:1], padding, axis=0), aperiodicity]
            )
        audio = pyworld.synthesize(
            np.ascontiguousarray(block_f0),
            np.ascontiguousarray(envelope),
            np.ascontiguousarray(aperiodicity),
            sample_rate_hz,
            FRAME_PERIOD_S * 1000,
        )
        origin = sample_of(lo) - sample_of(padding)  # the phrase sample of audio[0]
        start = sample_of(first)
        stop = total if final else sample_of(last) + crossfade
        samples = audio[start - origin : stop - origin]
        overlap = 0 if final else crossfade
        # The gain is set on what this block contributes once crossfaded: the tail it
        # hands to the next block is checked again there.
        samples, gain = _limit(samples, gain)
        if number > 0:
            samples[:crossfade] *= np.linspace(0.0, 1.0, crossfade, endpoint=False)
        if overlap:
            samples[-overlap:] *= np.linspace(1.0, 0.0, overlap, endpoint=False)
        _fade_phrase_ends(samples, start, total, sample_rate_hz)
        yield Block(samples.astype(np.float32), start, overlap)


def _limit(samples: FloatArray, gain: float) -> tuple[FloatArray, float]:
    """Scale ``samples`` so no peak passes MAX_PEAK, with a gain that never rises.

    The gain glides from ``gain`` (where the previous block left it) to this block's,
    reaching it at the first sample that needs it; samples before that are fine at any
    gain up to ``gain``, so the glide clips nothing. Returns the samples and the gain.
    """
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    target = min(gain, MAX_PEAK / peak) if peak > 0 else gain
    if target >= gain:
        return samples * gain, gain
    first_loud = int(np.argmax(np.abs(samples) * gain > MAX_PEAK))
    curve = np.full(samples.size, target)
    curve[:first_loud] = np.linspace(gain, target, first_loud, endpoint=False)
    return samples * curve, target


def _fade_phrase_ends(samples: FloatArray, start: int, total: int, sample_rate_hz: int) -> None:
    """The phrase's fade-in and fade-out, on the part of them inside this block."""
    fade_in = min(total, int(FADE_IN_S * sample_rate_hz))
    if start < fade_in:
        ramp = np.linspace(0.0, 1.0, fade_in)[start:]
        samples[: ramp.size] *= ramp[: samples.size]
    fade_out = min(total, int(FADE_OUT_S * sample_rate_hz))
    if start + samples.size > total - fade_out:
        ramp = np.linspace(1.0, 0.0, fade_out)
        begin = total - fade_out - start  # where the fade starts, in this block
        ramp = ramp[max(0, -begin) :]
        samples[max(0, begin) :][: ramp.size] *= ramp[: samples.size - max(0, begin)]


def _world_phase(f0_hz: FloatArray, sample_rate_hz: int, n_bins: int) -> FloatArray:
    """WORLD's running pulse phase (radians) at every output sample of ``f0_hz``.

    As in WORLD's synthesis.cpp (GetTimeBase): f0 below fs/fft_size + 1 is unvoiced, f0
    and voicing are interpolated linearly per sample, unvoiced samples run at 500 Hz.
    """
    fft_size = (n_bins - 1) * 2
    lowest_hz = sample_rate_hz / fft_size + 1.0
    count = int(f0_hz.size * FRAME_PERIOD_S * sample_rate_hz)
    coarse_f0 = np.where(f0_hz < lowest_hz, 0.0, f0_hz)
    coarse_vuv = (coarse_f0 > 0).astype(np.float64)
    coarse_times_s = np.arange(f0_hz.size + 1) * FRAME_PERIOD_S
    if f0_hz.size > 1:
        coarse_f0 = np.append(coarse_f0, 2 * coarse_f0[-1] - coarse_f0[-2])
        coarse_vuv = np.append(coarse_vuv, 2 * coarse_vuv[-1] - coarse_vuv[-2])
    else:
        coarse_f0, coarse_vuv = np.repeat(coarse_f0, 2), np.repeat(coarse_vuv, 2)
    times_s = np.arange(count) / sample_rate_hz
    f0 = np.interp(times_s, coarse_times_s, coarse_f0)
    voiced = np.interp(times_s, coarse_times_s, coarse_vuv) > 0.5
    f0 = np.where(voiced, f0, _WORLD_UNVOICED_F0_HZ)
    return np.cumsum(2.0 * np.pi * f0 / sample_rate_hz)


def _pad_f0(
    block_f0: FloatArray, target: float, padding: int, sample_rate_hz: int, n_bins: int
) -> float:
    """The pad frames' f0 that makes the phase before the block's first frame ``target``.

    The phase after the pad is affine in the pad's f0, so two trial values give it; the
    answer lies within one turn (~50 Hz for a 20 ms pad) above a value near the block's
    own pitch, so the pad sounds like the voice (not that it is heard).
    """
    base_hz = float(block_f0[0]) if block_f0[0] > 0 else 120.0
    pad_samples = int(padding * Fraction(FRAME_PERIOD_S).limit_denominator(10**6) * sample_rate_hz)

    def phase_after_pad(pad_hz: float) -> float:
        trial = np.concatenate([np.full(padding, pad_hz), block_f0[:2]])
        return float(_world_phase(trial, sample_rate_hz, n_bins)[pad_samples - 1])

    at_base = phase_after_pad(base_hz)
    slope = phase_after_pad(base_hz + 1.0) - at_base
    return base_hz + ((target - at_base) % (2 * np.pi)) / slope
