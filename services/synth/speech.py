"""A spoken phrase with where each of its sounds is: what every engine's speaker makes
and what :mod:`services.synth.singing` sings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PhonemeSpan:
    """Where one IPA symbol of the input is in the speech, in samples [start, end).

    syllable_index is -1 for symbols that belong to no syllable (utterance start and end,
    gaps between words).
    """

    symbol: str
    syllable_index: int
    start_sample: int
    end_sample: int


@dataclass(frozen=True)
class Speech:
    """A spoken phrase: samples of shape (n_samples,) float32 and the phoneme timings."""

    samples: Float32Array
    sample_rate_hz: int
    spans: list[PhonemeSpan]
