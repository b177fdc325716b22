"""Speech to singing with the WORLD vocoder (pyworld).

A phrase is spoken by piper, then WORLD splits the speech into its pitch (f0), spectral
envelope (the vowel colour, formants) and aperiodicity (breath and noise), 5 ms per frame.
We then rebuild it on the notes' timeline:

- time: every syllable's vowel starts on its note and is held until the next syllable's
  consonants; consonants keep their spoken length (shortened only when the notes are too
  short), onset consonants go *before* the beat as singers do, and word gaps vanish, so
  a phrase is one legato line. A held vowel repeats the middle of the spoken vowel, its
  onset and release transitions keep their natural speed.
- pitch: the sung contour of :mod:`services.synth.contour` replaces the spoken f0 on every
  voiced sound; unvoiced consonants stay unvoiced.
- timbre: the envelope can be warped along frequency (``formant_ratio`` > 1 is a shorter
  vocal tract, a lighter, higher voice) and aperiodicity raised for breathiness.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.synth.blocks import (
    FADE_IN_S,
    FADE_OUT_S,
    FRAME_PERIOD_S,
    MAX_PEAK,
    pyworld,
    synthesize_in_blocks,
)
from services.synth.contour import Expression, sung_contour
from services.synth.phonemes import (
    VOWEL_SYMBOLS,
    arpabet_to_ipa,
    is_voiced,
    split_syllable,
    split_word_into_syllables,
)
from services.synth.score import PhraseScore
from services.synth.speech import PhonemeSpan, PiperSpeaker, Speech

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

#: The vowel keeps at least this share of a syllable's time; consonants shrink to fit.
MIN_VOWEL_SHARE = 0.6
#: Part of a syllable's first note that may go to onset consonants when no rest precedes.
MAX_ONSET_SHARE_OF_NOTE = 0.3
#: The held part of a stretched vowel: this central fraction of the spoken vowel.
HOLD_FROM, HOLD_TO = 0.3, 0.7
#: Breath noise is added more at high frequencies, where real breath is heard.
BREATH_LOW_HZ, BREATH_HIGH_HZ = 500.0, 4000.0
_TRAILING_SCHWA = "ə"


@dataclass(frozen=True)
class Timbre:
    """How a voice is derived from the speaker: envelope warp (1 = as spoken)."""

    formant_ratio: float = 1.0


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


@dataclass(frozen=True)
class _Segment:
    """One IPA symbol placed on the output timeline (seconds), with its source span."""

    out_start_s: float
    out_end_s: float
    src_start_s: float
    src_end_s: float
    voiced: bool
    held: bool  # a vowel that is stretched around its middle


def sing_phrase(
    phrase: PhraseScore,
    speaker: PiperSpeaker,
    expression: Expression,
    *,
    breathiness: float,
    timbre: Timbre,
    seed: int = 0,
) -> Iterator[RenderedPhrase]:
    """Sing one phrase with the piper speaker, block by block.

    Yields the phrase's samples at the speaker's rate in consecutive, crossfaded blocks
    (:mod:`services.synth.blocks`), each as soon as it is synthesized: the first covers
    the phrase's first half second. The phrase starts before its first note by the time
    its first consonants take (at most ``phrase.preroll_s``).
    """
    speech = speak_phrase(phrase, speaker)
    yield from sing_speech(
        phrase, speech, expression, breathiness=breathiness, timbre=timbre, seed=seed
    )


def speak_phrase(phrase: PhraseScore, speaker: PiperSpeaker) -> Speech:
    """The phrase's words as piper says them, its spans numbered by the phrase's syllables."""
    syllable_symbols = _syllable_symbols(phrase, speaker)
    words: list[list[list[str]]] = []
    position = 0
    for word in phrase.words():
        words.append(syllable_symbols[position : position + len(word)])
        position += len(word)
    # Speech fades and creaks on its last syllable; a throw-away schwa after the phrase
    # keeps the last sung syllable at full voice (its spans are never used).
    return speaker.speak([*words, [[_TRAILING_SCHWA]]])


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
    on the phrase's notes, block by block, as :func:`sing_phrase` does for piper.

    Any speaker will do whose spans say where each syllable's symbols are: every
    syllable's vowel is put on its note, consonants before it, and the sung contour on
    every voiced frame.
    """
    segments = _layout(phrase, speech)
    yield from _resynthesize(phrase, speech, segments, expression, breathiness, timbre, seed)


def _syllable_symbols(phrase: PhraseScore, speaker: PiperSpeaker) -> list[list[str]]:
    """IPA symbols per syllable: from the ARPAbet when given, else from the word's text."""
    symbols: list[list[str]] = []
    for word in phrase.words():
        if all(syllable.arpabet for syllable in word):
            symbols.extend(arpabet_to_ipa(syllable.arpabet) for syllable in word)
            continue
        text = "".join(syllable.text.strip().rstrip("-") for syllable in word)
        spoken = [s for s in speaker.phonemize(text) if s != " "]
        symbols.extend(split_word_into_syllables(spoken, len(word), text))
    return symbols


def _layout(phrase: PhraseScore, speech: Speech) -> list[_Segment]:
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

    segments: list[_Segment] = []
    cursor_s = vowel_starts_s[0] - first_onset_s

    def place(spans: list[PhonemeSpan], scale: float) -> None:
        nonlocal cursor_s
        for span in spans:
            length_s = (span.end_sample - span.start_sample) / rate * scale
            segments.append(
                _Segment(
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
    segments: list[_Segment],
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
        segments.append(_Segment(cursor_s, cursor_s + length_s, src_start_s, src_end_s, True, held))
        cursor_s += length_s


def _time_map(segments: list[_Segment], times_s: FloatArray) -> tuple[FloatArray, FloatArray]:
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
        signal, sample_rate_hz, f0_floor=60.0, f0_ceil=600.0, frame_period=FRAME_PERIOD_S * 1000
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
) -> tuple[FloatArray, FloatArray]:
    """Envelope and aperiodicity of frames [start, stop), each (stop - start, n_bins).

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
    # analysed every other frame (the even ones) and interpolated (halves the cost,
    # inaudible). threshold=0 turns off D4C's own voicing decision, which marks whole
    # stretches of vowels as noise (aperiodicity 1) at random; voicing is decided by f0.
    evens = np.arange(start - start % 2, min(stop + 1, f0_hz.size), 2)
    sparse = pyworld.d4c(
        signal,
        np.ascontiguousarray(f0_hz[evens]),
        np.ascontiguousarray(times_s[evens]),
        sample_rate_hz,
        threshold=0.0,
    )
    aperiodicity = _frames_at(sparse, (np.arange(start, stop) - evens[0]) / 2.0)
    return envelope, aperiodicity


class _PiecewiseAnalysis:
    """The speech's envelope and aperiodicity, analysed in two pieces as blocks ask.

    The phrase's first block needs only the start of the speech (its first half second
    of singing), so only those frames are analysed before it, the rest when a later block
    needs them: the first block does not wait for the analysis of the whole phrase. The
    f0 that drives the analysis is tracked over the whole speech first (it is the
    cheap part), so the pieces are what one pass gives.
    """

    def __init__(self, samples: Float32Array, sample_rate_hz: int, voiced_mask: FloatArray):
        self._signal = samples.astype(np.float64)
        self._rate = sample_rate_hz
        self._f0, self._times_s = analyse_f0(self._signal, sample_rate_hz, voiced_mask)
        self._envelope: FloatArray | None = None
        self._aperiodicity: FloatArray | None = None

    def covering(self, frames: int) -> tuple[FloatArray, FloatArray]:
        """Envelope and aperiodicity tables (n, n_bins) with at least the first ``frames``
        frames, or all of them."""
        done = 0 if self._envelope is None else self._envelope.shape[0]
        if done >= min(frames, self._f0.size):
            assert self._envelope is not None and self._aperiodicity is not None
            return self._envelope, self._aperiodicity
        # The first call analyses what it asks for, a later one all the rest.
        stop = frames if done == 0 else self._f0.size
        envelope, aperiodicity = analyse_spectra(
            self._signal, self._f0, self._times_s, self._rate, done, min(stop, self._f0.size)
        )
        if self._envelope is not None and self._aperiodicity is not None:
            envelope = np.concatenate([self._envelope, envelope])
            aperiodicity = np.concatenate([self._aperiodicity, aperiodicity])
        self._envelope, self._aperiodicity = envelope, aperiodicity
        return envelope, aperiodicity


def _frames_at(table: FloatArray, positions: FloatArray) -> FloatArray:
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


def _resynthesize(
    phrase: PhraseScore,
    speech: Speech,
    segments: list[_Segment],
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
    analysis = _PiecewiseAnalysis(speech.samples, rate, source_voiced)

    start_s = segments[0].out_start_s
    end_s = segments[-1].out_end_s
    frame_count = math.ceil((end_s - start_s) / FRAME_PERIOD_S) + 1
    times_s = start_s + np.arange(frame_count, dtype=np.float64) * FRAME_PERIOD_S
    source_s, voiced = _time_map(segments, times_s)
    positions = np.interp(source_s, source_times_s, np.arange(source_frames))
    # The contour is drawn for the whole phrase at once (its fine fluctuation is
    # normalised over the phrase); the (n_frames, n_bins) tables only block by block.
    f0_hz = sung_contour(phrase.notes, times_s, expression, seed=seed) * voiced

    def rows(start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        at = positions[start:stop]
        envelope, aperiodicity = analysis.covering(math.ceil(float(np.max(at))) + 1)
        out_envelope = warp_formants(_frames_at(envelope, at), timbre.formant_ratio)
        out_aperiodicity = _frames_at(aperiodicity, at)
        breathy = add_breath(out_aperiodicity, breathiness, rate)
        return out_envelope, np.where(voiced[start:stop, None] > 0, breathy, out_aperiodicity)

    for block in synthesize_in_blocks(f0_hz, rows, rate):
        yield RenderedPhrase(block.samples, rate, start_s + block.start / rate, block.overlap)
