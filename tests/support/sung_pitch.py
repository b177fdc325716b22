"""Independent measurements of sung audio: pitch, onsets and voicing per note.

The tracker is Praat's autocorrelation pitch (``parselmouth``), which shares nothing with
the WORLD vocoder or the contour that made the audio, so a bug in our engine cannot hide
behind its own numbers. Used by tests/synth and by ``python -m bench.synth``.

Definitions (all on the output timeline, in seconds):

- pitch error: per voiced frame in the middle half of a note, cents from the note's
  equal-tempered pitch (A4 = 440 Hz).
- onset error: for two consecutive notes at least a semitone apart, the time the pitch
  crosses half-way between them (and stays past it for 15 ms), minus the written onset.
  Notes after a rest or on the same pitch have no pitch-defined onset and are skipped.
- voicing: the longest run of unvoiced frames inside a phrase.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import parselmouth
import soundfile

from services.synth.render import score_of
from services.synth.types import SingRequest

FloatArray = npt.NDArray[np.float64]

HOP_S = 0.005
#: Middle part of a note used for pitch errors: from 25 % to 75 % of its length.
MIDDLE_FROM, MIDDLE_TO = 0.25, 0.75
#: How far from the written onset the pitch crossing is looked for, in seconds.
ONSET_SEARCH_S = 0.1


@dataclass(frozen=True)
class TargetNote:
    """A note the audio should contain: [onset_s, offset_s) at ``midi_pitch``."""

    onset_s: float
    offset_s: float
    midi_pitch: float
    starts_phrase: bool = False


@dataclass(frozen=True)
class PitchTrack:
    times_s: FloatArray  # (n_frames,)
    frequencies_hz: FloatArray  # (n_frames,), 0 where unvoiced


@dataclass(frozen=True)
class SungQuality:
    """Summary figures over all notes."""

    median_cents: float  # median |pitch error| over all middle frames
    p90_cents: float  # 90th percentile of |pitch error|
    onset_errors_s: list[float]  # signed, one per measurable onset
    voiced_middle_fraction: float  # voiced frames / all frames in note middles
    longest_gap_s: float  # longest unvoiced run inside any phrase

    @property
    def max_abs_onset_error_s(self) -> float:
        return max((abs(e) for e in self.onset_errors_s), default=0.0)


def track_pitch(
    samples: npt.ArrayLike,
    sample_rate_hz: int,
    *,
    floor_hz: float = 60.0,
    ceiling_hz: float = 1000.0,
) -> PitchTrack:
    """Praat autocorrelation pitch every 5 ms between ``floor_hz`` and ``ceiling_hz``."""
    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64), float(sample_rate_hz))
    pitch = sound.to_pitch_ac(time_step=HOP_S, pitch_floor=floor_hz, pitch_ceiling=ceiling_hz)
    return PitchTrack(np.asarray(pitch.xs()), np.asarray(pitch.selected_array["frequency"]))


def _cents(frequencies_hz: FloatArray, midi_pitch: float) -> FloatArray:
    reference_hz = 440.0 * 2.0 ** ((midi_pitch - 69) / 12)
    return 1200.0 * np.log2(frequencies_hz / reference_hz)


def note_errors_cents(track: PitchTrack, note: TargetNote) -> tuple[FloatArray, float]:
    """Signed cents errors of the voiced middle frames, and the voiced share of the middle."""
    length_s = note.offset_s - note.onset_s
    middle = (track.times_s >= note.onset_s + MIDDLE_FROM * length_s) & (
        track.times_s < note.onset_s + MIDDLE_TO * length_s
    )
    frequencies = track.frequencies_hz[middle]
    voiced = frequencies > 0
    share = float(voiced.mean()) if frequencies.size else 0.0
    return _cents(frequencies[voiced], note.midi_pitch), share


def onset_error_s(track: PitchTrack, previous: TargetNote, note: TargetNote) -> float | None:
    """Signed error of the pitch-defined onset of ``note``; None when not measurable."""
    if note.starts_phrase or abs(note.midi_pitch - previous.midi_pitch) < 1:
        return None
    window = (track.times_s >= note.onset_s - ONSET_SEARCH_S) & (
        track.times_s <= note.onset_s + ONSET_SEARCH_S
    )
    times = track.times_s[window]
    frequencies = track.frequencies_hz[window]
    voiced = frequencies > 0
    if voiced.sum() < 4:
        return None
    halfway = (previous.midi_pitch + note.midi_pitch) / 2
    direction = np.sign(note.midi_pitch - previous.midi_pitch)
    past = np.zeros(frequencies.size, dtype=bool)
    past[voiced] = direction * _cents(frequencies[voiced], halfway) > 0
    hold = 3  # frames (15 ms) the pitch must stay past half-way
    for i in range(frequencies.size - hold + 1):
        if past[i : i + hold].all():
            if i > 0 and voiced[i - 1]:
                before = direction * _cents(frequencies[i - 1 : i], halfway)[0]
                after = direction * _cents(frequencies[i : i + 1], halfway)[0]
                crossing_s = times[i - 1] + (times[i] - times[i - 1]) * (-before) / (after - before)
            else:
                crossing_s = times[i]
            return float(crossing_s - note.onset_s)
    return None


def longest_unvoiced_run_s(track: PitchTrack, start_s: float, end_s: float) -> float:
    inside = (track.times_s >= start_s) & (track.times_s < end_s)
    longest = run = 0
    for voiced in track.frequencies_hz[inside] > 0:
        run = 0 if voiced else run + 1
        longest = max(longest, run)
    return longest * HOP_S


def measure(
    samples: npt.ArrayLike,
    sample_rate_hz: int,
    notes: list[TargetNote],
) -> SungQuality:
    """All figures for ``samples`` sung on ``notes`` (consecutive touching notes form a
    phrase unless ``starts_phrase`` says otherwise).

    The tracker's search range is set from the notes (an octave around them), as one
    sets Praat's range for a singer; a fixed 60 Hz floor lets it lock onto a third of
    the pitch on high notes (seen at 784 Hz).
    """
    frequencies_hz = [440.0 * 2.0 ** ((n.midi_pitch - 69) / 12) for n in notes]
    track = track_pitch(
        samples,
        sample_rate_hz,
        floor_hz=max(40.0, 0.5 * min(frequencies_hz)),
        ceiling_hz=2.0 * max(frequencies_hz),
    )
    errors: list[FloatArray] = []
    voiced_shares: list[float] = []
    onsets: list[float] = []
    for i, note in enumerate(notes):
        cents, share = note_errors_cents(track, note)
        errors.append(cents)
        voiced_shares.append(share)
        if i > 0:
            error = onset_error_s(track, notes[i - 1], note)
            if error is not None:
                onsets.append(error)
    longest_gap_s = 0.0
    phrase_start = 0
    for i in range(1, len(notes) + 1):
        if i == len(notes) or notes[i].starts_phrase:
            # From the first vowel's attack to the last note's release, 50 ms in.
            start_s = notes[phrase_start].onset_s + 0.05
            end_s = notes[i - 1].offset_s - 0.05
            longest_gap_s = max(longest_gap_s, longest_unvoiced_run_s(track, start_s, end_s))
            phrase_start = i
    magnitudes = np.abs(np.concatenate(errors)) if errors else np.zeros(0)
    return SungQuality(
        median_cents=float(np.median(magnitudes)) if magnitudes.size else float("nan"),
        p90_cents=float(np.percentile(magnitudes, 90)) if magnitudes.size else float("nan"),
        onset_errors_s=onsets,
        voiced_middle_fraction=float(np.mean(voiced_shares)),
        longest_gap_s=longest_gap_s,
    )


def measure_rendition(
    request: SingRequest, rendered_wav: bytes, *, max_duration_s: float = 300.0
) -> SungQuality:
    """How closely a rendered WAV of ``request`` follows its notes (as the synth placed them)."""
    _, score = score_of(request, max_duration_s=max_duration_s)
    targets = [
        TargetNote(note.onset_s, note.offset_s, note.midi_pitch, starts_phrase=i == 0)
        for phrase in score.phrases
        for i, note in enumerate(phrase.notes)
    ]
    samples, sample_rate_hz = soundfile.read(io.BytesIO(rendered_wav), dtype="float32")
    return measure(samples, sample_rate_hz, targets)
