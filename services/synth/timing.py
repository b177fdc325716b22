"""Where each spoken sound of a phrase goes on the notes' timeline.

Every syllable's vowel starts on its note and is held until the next syllable's
consonants; consonants keep their spoken length (shortened only when the notes are too
short), onset consonants go *before* the beat as singers do, and word gaps vanish, so a
phrase is one legato line. A held vowel repeats the middle of the spoken vowel, its onset
and release transitions keep their natural speed (:func:`time_map`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.synth.phonemes import VOWEL_SYMBOLS, is_voiced, split_syllable
from services.synth.score import PhraseScore
from services.synth.speech import PhonemeSpan, Speech

FloatArray = npt.NDArray[np.float64]

#: The vowel keeps at least this share of a syllable's time; consonants shrink to fit.
MIN_VOWEL_SHARE = 0.6
#: Part of a syllable's first note that may go to onset consonants when no rest precedes.
MAX_ONSET_SHARE_OF_NOTE = 0.3
#: The held part of a stretched vowel: this central fraction of the spoken vowel.
HOLD_FROM, HOLD_TO = 0.3, 0.7


@dataclass(frozen=True)
class Segment:
    """One IPA symbol placed on the output timeline (seconds), with its source span."""

    out_start_s: float
    out_end_s: float
    src_start_s: float
    src_end_s: float
    voiced: bool
    held: bool  # a vowel that is stretched around its middle


def layout(phrase: PhraseScore, speech: Speech) -> list[Segment]:
    """Place every spoken symbol of the phrase on the notes' timeline."""
    rate = float(speech.sample_rate_hz)
    by_syllable: dict[int, list[PhonemeSpan]] = {}
    for span in speech.spans:
        if span.syllable_index >= 0:
            by_syllable.setdefault(span.syllable_index, []).append(span)

    count = len(phrase.syllables)
    parts = []
    for index in range(count):
        spans = by_syllable.get(index, [])
        split = split_syllable([span.symbol for span in spans])
        onset = spans[: len(split.onset)]
        nucleus = spans[len(split.onset) : len(split.onset) + len(split.nucleus)]
        coda = spans[len(split.onset) + len(split.nucleus) :]
        parts.append((onset, nucleus, coda))

    def natural_s(spans: list[PhonemeSpan]) -> float:
        return sum(span.end_sample - span.start_sample for span in spans) / rate

    vowel_onsets_s = [phrase.syllable_span_s(s)[0] for s in phrase.syllables]
    phrase_end_s = phrase.offset_s

    # How much each consonant run is squeezed: the run between vowel i and vowel i+1
    # (coda i + onset i+1) lives in syllable i's time, and the vowel keeps its share.
    onset_scale = [1.0] * count
    coda_scale = [1.0] * count
    first_onset_s = natural_s(parts[0][0])
    first_span_s = (vowel_onsets_s[1] if count > 1 else phrase_end_s) - vowel_onsets_s[0]
    allowed_s = phrase.preroll_s + MAX_ONSET_SHARE_OF_NOTE * first_span_s
    onset_scale[0] = min(1.0, allowed_s / first_onset_s) if first_onset_s > 0 else 1.0
    first_onset_s *= onset_scale[0]
    pre_s = min(first_onset_s, phrase.preroll_s)
    vowel_starts_s = list(vowel_onsets_s)
    vowel_starts_s[0] += first_onset_s - pre_s
    for i in range(count):
        next_onset_s = natural_s(parts[i + 1][0]) if i + 1 < count else 0.0
        run_s = natural_s(parts[i][2]) + next_onset_s
        end_s = vowel_onsets_s[i + 1] if i + 1 < count else phrase_end_s
        budget_s = (1.0 - MIN_VOWEL_SHARE) * (end_s - vowel_starts_s[i])
        scale = min(1.0, budget_s / run_s) if run_s > 0 else 1.0
        coda_scale[i] = scale
        if i + 1 < count:
            onset_scale[i + 1] = scale

    segments: list[Segment] = []
    cursor_s = vowel_starts_s[0] - first_onset_s

    def place(spans: list[PhonemeSpan], scale: float) -> None:
        nonlocal cursor_s
        for span in spans:
            length_s = (span.end_sample - span.start_sample) / rate * scale
            segments.append(
                Segment(
                    cursor_s,
                    cursor_s + length_s,
                    span.start_sample / rate,
                    span.end_sample / rate,
                    is_voiced(span.symbol),
                    held=False,
                )
            )
            cursor_s += length_s

    for i, (onset, nucleus, coda) in enumerate(parts):
        place(onset, onset_scale[i])
        cursor_s = vowel_starts_s[i]  # absorbs rounding; the vowel starts on the beat
        next_start_s = vowel_onsets_s[i + 1] if i + 1 < count else phrase_end_s
        next_onset_s = natural_s(parts[i + 1][0]) * onset_scale[i + 1] if i + 1 < count else 0.0
        coda_s = natural_s(coda) * coda_scale[i]
        nucleus_end_s = max(cursor_s, next_start_s - next_onset_s - coda_s)
        _place_nucleus(segments, nucleus, cursor_s, nucleus_end_s, rate)
        cursor_s = nucleus_end_s
        place(coda, coda_scale[i])
    return segments


def _place_nucleus(
    segments: list[Segment],
    spans: list[PhonemeSpan],
    start_s: float,
    end_s: float,
    rate: float,
) -> None:
    """Stretch a vowel nucleus over [start_s, end_s].

    The first vowel (with its length mark) is the one held, as a singer holds the "a"
    of "aɪ" and glides to "ɪ" only at the end; every other symbol keeps its spoken
    length, unless there is not even time for that, when all shrink alike.
    """
    if not spans:
        return
    natural = [(s.end_sample - s.start_sample) / rate for s in spans]
    total_natural_s = sum(natural)
    hold = next((i for i, s in enumerate(spans) if s.symbol in VOWEL_SYMBOLS), 0)
    hold_end = hold + 1
    while hold_end < len(spans) and spans[hold_end].symbol == "ː":
        hold_end += 1
    available_s = end_s - start_s
    fixed_s = total_natural_s - sum(natural[hold:hold_end])
    stretch = available_s >= total_natural_s and available_s > fixed_s
    cursor_s = start_s
    if not stretch:
        scale = available_s / total_natural_s if total_natural_s > 0 else 0.0
    for i, span in enumerate(spans):
        src_start_s, src_end_s = span.start_sample / rate, span.end_sample / rate
        if stretch and hold <= i < hold_end:
            hold_share = natural[i] / sum(natural[hold:hold_end])
            length_s = (available_s - fixed_s) * hold_share
            held = True
        else:
            length_s = natural[i] if stretch else natural[i] * scale
            held = False
        segments.append(Segment(cursor_s, cursor_s + length_s, src_start_s, src_end_s, True, held))
        cursor_s += length_s


def time_map(segments: list[Segment], times_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Source time and voicing (1/0) for each output time, via the segments."""
    # Symbols squeezed to nothing (no time left for them) are skipped.
    segments = [s for s in segments if s.out_end_s - s.out_start_s > 1e-6]
    out_points: list[float] = []
    src_points: list[float] = []
    for segment in segments:
        out_length_s = segment.out_end_s - segment.out_start_s
        src_length_s = segment.src_end_s - segment.src_start_s
        out_points.append(segment.out_start_s)
        src_points.append(segment.src_start_s)
        if segment.held and out_length_s > src_length_s:
            # Natural speed into and out of the vowel, the middle repeated slowly.
            lead_s = HOLD_FROM * src_length_s
            tail_s = (1.0 - HOLD_TO) * src_length_s
            out_points += [segment.out_start_s + lead_s, segment.out_end_s - tail_s]
            src_points += [segment.src_start_s + lead_s, segment.src_end_s - tail_s]
        out_points.append(segment.out_end_s - 1e-9)
        src_points.append(segment.src_end_s)
    source_s = np.interp(times_s, out_points, src_points)
    starts = np.array([s.out_start_s for s in segments])
    voiced = np.array([s.voiced for s in segments], dtype=np.float64)
    which = np.clip(np.searchsorted(starts, times_s, side="right") - 1, 0, len(segments) - 1)
    return source_s, voiced[which]
