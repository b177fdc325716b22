"""Speech to singing: a spoken phrase re-timed to its notes and re-pitched to its
melody with the WORLD vocoder, block by block.

Any speaker (``services.synth.engines``: piper, Festival) makes the phrase's speech with
its phoneme timings; then

- time: :mod:`services.synth.timing` places every spoken sound on the notes' timeline
  (vowels on the beat and held, consonants before it, one legato line);
- pitch: the sung contour of :mod:`services.synth.contour` replaces the spoken f0 on every
  voiced sound; unvoiced consonants stay unvoiced;
- timbre: :mod:`services.synth.world` analyses the speech; its envelope can be warped
  along frequency (``formant_ratio`` > 1 is a shorter vocal tract, a lighter, higher
  voice) and its aperiodicity raised for breathiness, then it is resynthesized in blocks
  (:mod:`services.synth.blocks`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.synth.blocks import FRAME_PERIOD_S, synthesize_in_blocks
from services.synth.contour import Expression, sung_contour
from services.synth.phonemes import is_voiced
from services.synth.score import PhraseScore
from services.synth.speech import Speech
from services.synth.timing import Segment, layout, time_map
from services.synth.world import (
    APERIODICITY_STEP_FRAMES,
    FloatArray,
    PiecewiseAnalysis,
    add_breath,
    frames_at,
    synthesis_fft_size,
    warp_formants,
)

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Timbre:
    """How a voice is derived from the speaker: envelope warp (1 = as spoken), a level
    in dB that brings its singing to the loudness of the others (0 = as analysed), and
    how many frames apart its speech's aperiodicity is analysed (see
    ``world.APERIODICITY_STEP_FRAMES``)."""

    formant_ratio: float = 1.0
    level_gain_db: float = 0.0
    aperiodicity_step_frames: int = APERIODICITY_STEP_FRAMES


@dataclass(frozen=True)
class RenderedPhrase:
    """A sung phrase, or one block of it: samples of shape (n_samples,) float32 starting
    at ``start_s``.

    A phrase sung in blocks hands them out in order; each but the last ends with
    ``overlap`` samples that fade out while the next block, which starts there, fades in
    (the two are summed).
    """

    samples: Float32Array
    sample_rate_hz: int
    start_s: float
    overlap: int = 0


def sing_speech(
    phrase: PhraseScore,
    speech: Speech,
    expression: Expression,
    *,
    breathiness: float,
    timbre: Timbre,
    seed: int = 0,
) -> Iterator[RenderedPhrase]:
    """Sing ``speech`` (the phrase spoken, its spans numbered by the phrase's syllables)
    on the phrase's notes, block by block, as every local voice does (:mod:`services.synth.voices`).

    Any speaker will do whose spans say where each syllable's symbols are: every
    syllable's vowel is put on its note, consonants before it, and the sung contour on
    every voiced frame.
    """
    segments = layout(phrase, speech)
    yield from _resynthesize(phrase, speech, segments, expression, breathiness, timbre, seed)


def _resynthesize(
    phrase: PhraseScore,
    speech: Speech,
    segments: list[Segment],
    expression: Expression,
    breathiness: float,
    timbre: Timbre,
    seed: int,
) -> Iterator[RenderedPhrase]:
    rate = speech.sample_rate_hz
    source_frames = math.ceil(speech.samples.size / rate / FRAME_PERIOD_S) + 1
    source_times_s = np.arange(source_frames) * FRAME_PERIOD_S
    source_voiced = np.zeros(source_frames)
    for span in speech.spans:
        if span.syllable_index >= 0 and is_voiced(span.symbol):
            first = int(span.start_sample / rate / FRAME_PERIOD_S)
            last = math.ceil(span.end_sample / rate / FRAME_PERIOD_S)
            source_voiced[first:last] = 1.0
    start_s = segments[0].out_start_s
    end_s = segments[-1].out_end_s
    frame_count = math.ceil((end_s - start_s) / FRAME_PERIOD_S) + 1
    times_s = start_s + np.arange(frame_count, dtype=np.float64) * FRAME_PERIOD_S
    source_s, voiced = time_map(segments, times_s)
    positions = np.interp(source_s, source_times_s, np.arange(source_frames))
    # The contour is drawn for the whole phrase at once (its fine fluctuation is
    # normalised over the phrase); the (n_frames, n_bins) tables only block by block.
    f0_hz = sung_contour(phrase.notes, times_s, expression, seed=seed) * voiced
    sung_hz = f0_hz[f0_hz > 0]
    # frames_at reads the two frames around a position: nothing past the last one sung.
    analysis = PiecewiseAnalysis(
        speech.samples,
        rate,
        source_voiced,
        frames_needed=math.floor(float(positions.max())) + 2,
        fft_size=synthesis_fft_size(float(sung_hz.min()) if sung_hz.size else 0.0, rate),
        aperiodicity_step=timbre.aperiodicity_step_frames,
    )

    level_power = 10.0 ** (timbre.level_gain_db / 10.0)

    def rows(start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        at = positions[start:stop]
        envelope, aperiodicity = analysis.covering(math.ceil(float(np.max(at))) + 1)
        # The envelope is a power spectrum: WORLD's output scales with its square root.
        out_envelope = warp_formants(frames_at(envelope, at), timbre.formant_ratio) * level_power
        out_aperiodicity = frames_at(aperiodicity, at)
        breathy = add_breath(out_aperiodicity, breathiness, rate)
        return out_envelope, np.where(voiced[start:stop, None] > 0, breathy, out_aperiodicity)

    for block in synthesize_in_blocks(f0_hz, rows, rate):
        yield RenderedPhrase(block.samples, rate, start_s + block.start / rate, block.overlap)
