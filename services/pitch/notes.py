"""Note segmentation: a frame-level f0 track (plus loudness and onsets) in, notes out.

The track is cut into notes and rests by optimal partitioning (Jackson et al., 2005),
solved exactly by dynamic programming. Each note holds one pitch level; the segmentation
minimises

    sum over notes [ note_cost(onset frame) + sum over its frames (pitch + voicing + dip) ]

where, for a frame with semitone pitch m and voicing probability c,

- pitch   = c * min(|m - level|, 2): a robust (capped L1) fit, so vibrato around the level,
  the ends of glides and stray octave jumps cost little and do not start notes;
- voicing = -log(c / (1 - c)): negative for confident frames, so notes cover voiced
  frames, while a short unvoiced consonant inside a held note costs less than a new note;
- dip     = how far the frame's loudness lies below the peaks on both sides: a valley in
  loudness is a gap between two syllables, even when they share a pitch;
- note_cost = hold_s / hop_s * (1 - onset_weight * attack), with attack the spectral-flux
  onset strength at the note's first frame (peaks only) or the re-attack below, so a new
  note is cheap where the audio shows an attack;
- reattack = hold_s / hop_s * valley_depth / reattack_dip_full_db, paid by a note that
  carries on through the frame where the voice comes back up out of a loudness valley
  (see loudness_reattacks): a note struck again on the same pitch, after a silence as
  short as a few milliseconds or a blip of another pitch, becomes two notes even though
  both halves fit one pitch level. The valley is measured on the floor level (the
  quietest millisecond-scale moment of each frame, onsets.frame_floor_db), which a 10 ms
  gap reaches while a 32 ms loudness window barely notices it.

After the partition, a note shorter than hold_s that glides towards the note it touches
next is that note's attack (a scoop: the voice slides up or down into a pitch), so it is
merged into it and the note begins where the scoop does. Notes shorter than the minimum
duration are merged into a touching neighbour, never across a re-attack (they are
dropped instead), and a note followed by a re-attack ends where its valley begins.

Rests cost nothing. Levels lie on a 10-cent grid, so a singer need not be in tune with
A440 and each note's pitch is the level fitted to its frames, which the vibrato, scoops
and glides at its ends do not pull. Runtime is O(frames x levels) with a numpy inner loop:
about 4 ms for 10 s of audio at SwiftF0's 16 ms hop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import maximum_filter1d, median_filter

from services.common.music import FloatArray, Note, PitchTrack, midi_to_hz


@dataclass(frozen=True)
class SegmentationConfig:
    """Constants of the note segmentation, in seconds, semitones and dB."""

    hold_s: float = 0.10  # a pitch change this long (1 semitone off) pays for a new note
    onset_weight: float = 0.7  # fraction of the note cost an onset of strength 1 waives
    onset_peak_radius_s: float = 0.048  # an onset counts only at its local flux maximum
    pitch_cap_semitones: float = 2.0
    level_step_semitones: float = 0.1
    dip_window_s: float = 0.064  # loudness peaks are looked for this far on each side
    dip_margin_db: float = 3.0
    dip_weight_per_db: float = 0.3
    octave_window_s: float = 0.3  # context against which octave jumps are judged
    min_note_duration_s: float = 0.05
    # A held pitch drifts slower than this; a scoop into a note moves faster.
    glide_rate_semitones_per_s: float = 10.0
    # Carrying a note on through a valley this deep (beyond dip_margin_db) costs a whole
    # note cost, and a new note starting there is as cheap as at an onset of strength 1;
    # together a held pitch splits at valleys from about 5 dB. Within the annotated notes
    # of the vocadito clips no 32 ms loudness valley reached 6 dB; between re-struck
    # notes of one pitch most were 12-28 dB deep.
    reattack_dip_full_db: float = 3.0


DEFAULT_CONFIG = SegmentationConfig()


def segment_notes(
    track: PitchTrack,
    *,
    loudness_db: FloatArray | None = None,
    onset_strength: FloatArray | None = None,
    floor_db: FloatArray | None = None,
    min_note_duration_s: float | None = None,
    config: SegmentationConfig = DEFAULT_CONFIG,
) -> list[Note]:
    """Segment an f0 track into notes.

    Args:
        track: Frame-level f0: frequencies_hz (0 = unvoiced) and voicing_probabilities,
            shape (n_frames,), frames ``track.hop_s`` apart.
        loudness_db: Frame level in dB, shape (n_frames,) (see onsets.frame_loudness_db);
            None ignores loudness.
        onset_strength: Onset strength in [0, 1], shape (n_frames,) (see
            onsets.onset_strength); None ignores onsets.
        floor_db: The quietest moment of each frame in dB, shape (n_frames,) (see
            onsets.frame_floor_db), where re-attacks are looked for; None looks for them
            in ``loudness_db`` (and ignores them when that is None too).
        min_note_duration_s: Shorter notes are merged into a touching neighbour or
            dropped; None uses ``config.min_note_duration_s``.
        config: Segmentation constants.

    Returns:
        Notes in time order, without overlaps. Each note's frequency_hz is its fitted
        level, midi_pitch the nearest MIDI number, cents_offset the rest, confidence the
        mean voicing probability of its frames.
    """
    n_frames = len(track.times_s)
    voiced = (track.frequencies_hz > 0) & np.isfinite(track.frequencies_hz)
    if n_frames == 0 or not voiced.any():
        return []
    hop_s = track.hop_s
    semitones = np.zeros(n_frames)
    semitones[voiced] = 69.0 + 12.0 * np.log2(track.frequencies_hz[voiced] / 440.0)
    semitones[voiced] = fold_octave_errors(
        semitones[voiced], window_frames=max(3, round(config.octave_window_s / hop_s))
    )
    voicing = np.clip(np.nan_to_num(track.voicing_probabilities), 0.0, 1.0)
    pitch_weight = np.where(voiced, voicing, 0.0)
    clipped = np.clip(voicing, 0.01, 0.99)
    frame_cost = -np.log(clipped / (1.0 - clipped))
    if loudness_db is not None:
        frame_cost += config.dip_weight_per_db * loudness_dip_db(
            loudness_db,
            radius_frames=max(1, round(config.dip_window_s / hop_s)),
            margin_db=config.dip_margin_db,
        )
    # attack: evidence in [0, 1] that a note starts at a frame; reattack: how strongly the
    # frame says "struck again", in note costs (may exceed 1).
    attack = np.zeros(n_frames)
    reattack = np.zeros(n_frames)
    valley_start = np.full(n_frames, -1, dtype=np.int64)  # at each re-attack frame
    valley_level_db = floor_db if floor_db is not None else loudness_db
    if valley_level_db is not None:
        for valley in loudness_reattacks(
            valley_level_db,
            radius_frames=max(1, round(config.dip_window_s / hop_s)),
            margin_db=config.dip_margin_db,
        ):
            strength = valley.depth_db / config.reattack_dip_full_db
            if strength > reattack[valley.rise_frame]:
                reattack[valley.rise_frame] = strength
                valley_start[valley.rise_frame] = valley.start_frame
        attack = np.minimum(reattack, 1.0)
    if onset_strength is not None:
        attack = np.maximum(
            attack,
            onset_peaks(
                onset_strength, radius_frames=max(1, round(config.onset_peak_radius_s / hop_s))
            ),
        )
    note_cost = (config.hold_s / hop_s) * (1.0 - config.onset_weight * attack)
    continue_cost = (config.hold_s / hop_s) * reattack

    low, high = np.percentile(semitones[voiced], [0.5, 99.5])
    levels = np.arange(np.floor(low) - 1.0, np.ceil(high) + 1.0 + 1e-9, config.level_step_semitones)
    spans = _optimal_partition(
        semitones,
        pitch_weight,
        frame_cost,
        note_cost,
        continue_cost,
        levels,
        config.pitch_cap_semitones,
    )
    spans = _merge_scoops(
        spans,
        semitones,
        voiced,
        levels,
        max_frames=config.hold_s / hop_s,
        min_rate_per_frame=config.glide_rate_semitones_per_s * hop_s,
    )
    min_frames = (
        config.min_note_duration_s if min_note_duration_s is None else min_note_duration_s
    ) / hop_s
    struck_again = reattack >= 1.0
    spans = _merge_short_spans(spans, min_frames, struck_again)
    spans = _end_before_reattacks(spans, valley_start, struck_again, min_frames)
    return [_note(track, voicing, start, end, levels[level]) for start, end, level in spans]


def fold_octave_errors(semitones: FloatArray, *, window_frames: int) -> FloatArray:
    """Move frames that jump by about an octave back next to their context.

    Args:
        semitones: Pitch of the voiced frames in (fractional) MIDI numbers, shape (n,).
        window_frames: Length of the running median that stands for the context.

    Returns:
        Shape (n,): each frame within 2 semitones of a whole number of octaves (one or more)
        away from the running median is shifted by those octaves.
    """
    context = median_filter(semitones, size=window_frames, mode="nearest")
    octaves = np.round((semitones - context) / 12.0)
    near_octave = (octaves != 0) & (np.abs(semitones - context - 12.0 * octaves) < 2.0)
    return np.where(near_octave, semitones - 12.0 * octaves, semitones)


def loudness_dip_db(loudness_db: FloatArray, *, radius_frames: int, margin_db: float) -> FloatArray:
    """Depth in dB of each frame below the quieter of the loudness peaks on its two sides.

    Args:
        loudness_db: Frame level in dB, shape (n_frames,).
        radius_frames: How many frames before and after a frame hold its side peaks.
        margin_db: Depth that does not count (level wobbles within a sustained vowel).

    Returns:
        Shape (n_frames,): ``max(0, min(peak_before, peak_after) - level - margin_db)``.
    """
    level = np.asarray(loudness_db, dtype=np.float64)
    n_frames = len(level)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(level, radius_frames, mode="edge"), radius_frames + 1
    )
    peak_before = windows[:n_frames].max(axis=1)  # frames t - radius .. t
    peak_after = windows[radius_frames:].max(axis=1)  # frames t .. t + radius
    return np.maximum(0.0, np.minimum(peak_before, peak_after) - level - margin_db)


@dataclass(frozen=True)
class Valley:
    """A loudness valley that the voice comes back out of: frames and depth."""

    start_frame: int  # the first frame of the valley
    rise_frame: int  # the first frame after its bottom that is back halfway up
    depth_db: float  # its deepest dip beyond the margin


def loudness_reattacks(
    level_db: FloatArray, *, radius_frames: int, margin_db: float
) -> list[Valley]:
    """The valleys of a level curve that the sound rises out of again: the re-attacks.

    A valley is a run of frames with a dip (see loudness_dip_db). It is a re-attack only if
    the sound rises again after it: a note that fades into a valley and ends there has not
    been struck again. Its rise frame is the first frame after the valley's quietest one
    whose level is back at least halfway (in dB) to the loudest frame within
    ``radius_frames`` after the valley.

    Args:
        level_db: Frame level in dB, shape (n_frames,).
        radius_frames: How far on each side the peaks are looked for.
        margin_db: Depth that does not count.

    Returns:
        The valleys in time order.
    """
    level = np.asarray(level_db, dtype=np.float64)
    depth = loudness_dip_db(level, radius_frames=radius_frames, margin_db=margin_db)
    in_valley = np.concatenate(([False], depth > 0, [False]))
    starts = np.flatnonzero(in_valley[1:] & ~in_valley[:-1])
    ends = np.flatnonzero(~in_valley[1:] & in_valley[:-1])
    valleys = []
    for start, end in zip(starts, ends, strict=True):
        bottom = int(start + np.argmin(level[start:end]))
        after = level[bottom + 1 : end + radius_frames]
        if after.size == 0:
            continue
        halfway_db = (level[bottom] + after.max()) / 2.0
        rise = bottom + 1 + int(np.argmax(after >= halfway_db))
        valleys.append(Valley(int(start), rise, float(depth[start:end].max())))
    return valleys


def onset_peaks(onset_strength: FloatArray, *, radius_frames: int) -> FloatArray:
    """Onset strength kept only where it is the maximum within ``radius_frames``; else 0."""
    strength = np.clip(np.asarray(onset_strength, dtype=np.float64), 0.0, 1.0)
    local_max = maximum_filter1d(strength, size=2 * radius_frames + 1, mode="constant")
    return np.where((strength >= local_max) & (strength > 0), strength, 0.0)


def _optimal_partition(
    semitones: FloatArray,
    pitch_weight: FloatArray,
    frame_cost: FloatArray,
    note_cost: FloatArray,
    continue_cost: FloatArray,
    levels: FloatArray,
    pitch_cap_semitones: float,
) -> list[tuple[int, int, int]]:
    """Exact minimum-cost split into notes and rests: (start_frame, end_frame, level_index).

    ``note_cost[t]`` is paid by a note that starts at frame t, ``continue_cost[t]`` by one
    that goes on through frame t after frame t - 1.
    """
    n_frames = len(semitones)
    # cost[k]: best total cost of frames [0, t] with frame t inside a note at levels[k];
    # note_start[k]: the first frame of that note.
    cost = np.full(len(levels), np.inf)
    note_start = np.zeros(len(levels), dtype=np.int64)
    span_start = np.zeros(n_frames + 1, dtype=np.int64)
    span_level = np.full(n_frames + 1, -1, dtype=np.int64)
    deviation = np.empty(len(levels))
    best = 0.0  # best total cost of frames [0, t)
    for t in range(n_frames):
        cost += continue_cost[t]
        opening = best + note_cost[t]
        restart = opening < cost
        note_start[restart] = t
        np.minimum(cost, opening, out=cost)
        np.subtract(levels, semitones[t], out=deviation)
        np.abs(deviation, out=deviation)
        np.minimum(deviation, pitch_cap_semitones, out=deviation)
        deviation *= pitch_weight[t]
        deviation += frame_cost[t]
        cost += deviation
        k = int(np.argmin(cost))
        if cost[k] < best:  # frame t ends a note; otherwise it is a rest, which costs nothing
            best = float(cost[k])
            span_start[t + 1] = note_start[k]
            span_level[t + 1] = k
        else:
            span_start[t + 1] = t
    spans = []
    end = n_frames
    while end > 0:
        start = int(span_start[end])
        if span_level[end] >= 0:
            spans.append((start, end, int(span_level[end])))
        end = start
    spans.reverse()
    return spans


def _merge_scoops(
    spans: list[tuple[int, int, int]],
    semitones: FloatArray,
    voiced: npt.NDArray[np.bool_],
    levels: FloatArray,
    *,
    max_frames: float,
    min_rate_per_frame: float,
) -> list[tuple[int, int, int]]:
    """Merge each short span that glides towards the span it touches next into that span.

    A span shorter than ``max_frames`` whose voiced frames move (least-squares slope of at
    least ``min_rate_per_frame`` semitones a frame) in the direction of the next span's
    level is the attack of the next note: the next note takes its frames and its onset.
    """
    merged = list(spans)
    i = 0
    while i + 1 < len(merged):
        start, end, level = merged[i]
        next_start, next_end, next_level = merged[i + 1]
        frames = np.flatnonzero(voiced[start:end]) + start
        if end == next_start and end - start < max_frames and len(frames) >= 2:
            slope = float(np.polyfit(frames, semitones[frames], 1)[0])
            towards = slope * np.sign(levels[next_level] - levels[level])
            if towards >= min_rate_per_frame:
                merged[i + 1] = (start, next_end, next_level)
                del merged[i]
                continue
        i += 1
    return merged


def _merge_short_spans(
    spans: list[tuple[int, int, int]], min_frames: float, struck_again: npt.NDArray[np.bool_]
) -> list[tuple[int, int, int]]:
    """Fold spans shorter than min_frames into a touching neighbour (nearest level) or drop them.

    A neighbour across a re-attack (``struck_again`` at the frame where the later span
    starts) is a note of its own, so a short span is never folded into it.
    """
    merged = list(spans)
    while True:
        short = [i for i, (start, end, _) in enumerate(merged) if end - start < min_frames]
        if not short:
            return merged
        i = min(short, key=lambda j: merged[j][1] - merged[j][0])
        start, end, level = merged[i]
        touching = [
            j
            for j in (i - 1, i + 1)
            if 0 <= j < len(merged)
            and (
                (merged[j][1] == start and not struck_again[start])
                or (merged[j][0] == end and not struck_again[end])
            )
        ]
        if touching:
            j = min(touching, key=lambda j: abs(merged[j][2] - level))
            merged[j] = (min(merged[j][0], start), max(merged[j][1], end), merged[j][2])
        del merged[i]


def _end_before_reattacks(
    spans: list[tuple[int, int, int]],
    valley_start: npt.NDArray[np.int64],
    struck_again: npt.NDArray[np.bool_],
    min_frames: float,
) -> list[tuple[int, int, int]]:
    """End each note that the next one re-attacks where the valley between them begins.

    The partition hands the valley's frames to the earlier note (the tracker still hears
    its pitch there); the sung note ended when the level fell. A note keeps at least
    ``min_frames``.
    """
    ended = list(spans)
    for i in range(len(ended) - 1):
        start, end, level = ended[i]
        next_start = ended[i + 1][0]
        if end == next_start and struck_again[next_start]:
            ended[i] = (
                start,
                max(
                    min(end, int(valley_start[next_start])),
                    start + int(np.ceil(min_frames)),
                    start + 1,
                ),
                level,
            )
    return ended


def _note(track: PitchTrack, voicing: FloatArray, start: int, end: int, level_midi: float) -> Note:
    midi_pitch = round(level_midi)
    return Note(
        onset_s=float(track.times_s[start]),
        duration_s=float(track.times_s[end - 1] - track.times_s[start] + track.hop_s),
        midi_pitch=int(midi_pitch),
        cents_offset=float(round((level_midi - midi_pitch) * 100.0, 1)),
        frequency_hz=float(midi_to_hz(level_midi)),
        confidence=float(np.mean(voicing[start:end])),
    )
