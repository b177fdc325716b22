"""The range sweep: at which notes each local voice still sings well, measured.

    python -m bench.voice_ranges            # sweep every local voice, print the table
    python -m bench.voice_ranges --write    # ... and rewrite services/synth/voice_ranges.json
    python -m bench.voice_ranges slt joe    # only these voices (--write keeps the others)

Each voice sings the fixed lines of ``tests/support/songs.SUNG_LINES`` (24 syllables of
everyday words in three phrases) with every note on one MIDI pitch, with the range policy
"keep" (no transposition) and no vibrato. At each pitch:

- pitch: Praat's tracker (``tests/support/sung_pitch.py``, independent of our engine)
  over the middle half of every note: the median |error| in cents, and the voiced share
  of those middles;
- words: Whisper tiny.en (``tests/support/recognizer.py``) transcribes the take; the
  word error rate against the lines' words.

A pitch passes when the median error is at most ``MAX_MEDIAN_CENTS`` (the issue's quality
bar: 10 cents), at least ``MIN_VOICED_SHARE`` of the note middles are voiced, the word
error rate is at most ``MAX_WORD_ERROR_RATE``, and the pitch lies in the voice's natural
span (below). Onsets are not swept: on one pitch there is no pitch-defined onset, and the
re-timing that places them does not depend on the pitch (tests/synth/
test_singing_quality.py checks them on melodies).

The natural span. WORLD re-pitches speech cleanly far beyond where a person could sing:
measured, every voice kept its pitch within 3 cents, its voicing and its words down to A1,
a woman's voice included. What is heard there is a recording pitched down (a woman's
vowels on a bass note), which none of the three measures hears. So each voice's span is
anchored on its own speaking pitch, measured here: the median f0 (Praat) of the voice
saying the same lines, unsung. A singer's range runs from a few semitones below the
speaking pitch to about two octaves above it (speaking pitch around A2 for men and A3
for women; choral ranges bass E2-E4 to tenor C3-C5, alto F3-F5 to soprano C4-C6), so the
span is ``SPAN_BELOW_SPEAKING`` semitones below to ``SPAN_ABOVE_SPEAKING`` above it.

The walk starts in the middle of the span and goes down, then up, ``COARSE_STEP``
semitones at a time until a pitch fails or the span ends; from the last passing pitch it
then goes one semitone at a time to the first failure, so each end of the range is found
to the semitone and the pitches inside are sampled every ``COARSE_STEP`` semitones (every
pitch of every voice took about an hour on our two cores). Whisper runs only where the
pitch already meets its bar. The range is the run of passing pitches the walk found: a
pitch that fails, even from a recogniser's slip, ends it there, so a range is never
wider than what was heard to work.

Whisper hears singing less well than speech and its errors vary from pitch to pitch, so
the word bar is loose: it tells a voice that still says the words from one whose vowels
have gone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from services.synth.render import score_of, sing_to_bytes
from services.synth.types import RangePolicy, SingOptions, SingRequest
from services.synth.voices import LOCAL_VOICES, RANGES_PATH
from tests.support.recognizer import heard_words, word_error_rate
from tests.support.songs import SUNG_LINES, line_words, on_one_pitch, song
from tests.support.sung_pitch import measure_rendition, track_pitch

SPAN_BELOW_SPEAKING = 4
SPAN_ABOVE_SPEAKING = 24
#: The walk's stride, in semitones, until a pitch fails; then it goes back one by one.
COARSE_STEP = 3
MAX_MEDIAN_CENTS = 10.0
#: Short notes of these lines lose part of their middle to the next consonants: voices
#: at ease measured 0.89..0.97 voiced; below 0.85 notes break up.
MIN_VOICED_SHARE = 0.85
MAX_WORD_ERROR_RATE = 0.5


@dataclass(frozen=True)
class PitchFigures:
    """How a voice sang the lines on one pitch."""

    midi_pitch: int
    median_cents: float
    voiced_share: float
    #: None where the recogniser was not run (the pitch had failed already).
    word_error_rate: float | None

    @property
    def passes(self) -> bool:
        return (
            self.median_cents <= MAX_MEDIAN_CENTS
            and self.voiced_share >= MIN_VOICED_SHARE
            and self.word_error_rate is not None
            and self.word_error_rate <= MAX_WORD_ERROR_RATE
        )


def _on_one_pitch(voice_id: str, midi_pitch: int) -> SingRequest:
    melody, syllables = song(on_one_pitch(SUNG_LINES, midi_pitch))
    return SingRequest(
        melody,
        syllables,
        voice_id=voice_id,
        options=SingOptions(range_policy=RangePolicy.KEEP, vibrato_depth_cents=0.0),
    )


def speaking_midi(voice_id: str) -> float:
    """The voice's own speaking pitch: the median f0 (Praat) of the fixed lines said
    by it, as a MIDI number."""
    _, score = score_of(_on_one_pitch(voice_id, 60), max_duration_s=300.0)
    voiced: list[np.ndarray] = []
    for phrase in score.phrases:
        speech = LOCAL_VOICES[voice_id].speech(phrase)
        track = track_pitch(speech.samples, speech.sample_rate_hz, floor_hz=60, ceiling_hz=500)
        voiced.append(track.frequencies_hz[track.frequencies_hz > 0])
    return float(69 + 12 * np.log2(np.median(np.concatenate(voiced)) / 440.0))


def sing_on(voice_id: str, midi_pitch: int) -> PitchFigures:
    """The voice's figures for the fixed lines sung on ``midi_pitch``."""
    request = _on_one_pitch(voice_id, midi_pitch)
    audio = sing_to_bytes(request)
    quality = measure_rendition(request, audio)
    median = quality.median_cents if quality.median_cents == quality.median_cents else 1200.0
    pitch_only = PitchFigures(
        midi_pitch, round(median, 1), round(quality.voiced_middle_fraction, 3), None
    )
    if not (median <= MAX_MEDIAN_CENTS and pitch_only.voiced_share >= MIN_VOICED_SHARE):
        return pitch_only  # fails already; the recogniser is the slow part
    wer = word_error_rate(line_words(SUNG_LINES), heard_words(audio))
    return replace(pitch_only, word_error_rate=round(wer, 3))


def measured_range(figures: list[PitchFigures]) -> tuple[int, int] | None:
    """(lowest, highest) MIDI pitch of the longest run of consecutive passing pitches."""
    best: tuple[int, int] | None = None
    start: int | None = None
    for i, figure in enumerate(figures):
        if figure.passes and start is None:
            start = i
        if start is not None and (not figure.passes or i == len(figures) - 1):
            end = i if figure.passes else i - 1
            if best is None or end - start > best[1] - best[0]:
                best = (start, end)
            start = None
    if best is None:
        return None
    return figures[best[0]].midi_pitch, figures[best[1]].midi_pitch


def sweep(voice_id: str, span: tuple[int, int]) -> list[PitchFigures]:
    """Figures from the middle of ``span`` (lowest, highest MIDI) down, then up (see the
    module's notes); sorted by pitch."""
    start = (span[0] + span[1]) // 2
    figures: dict[int, PitchFigures] = {}

    def passes(midi_pitch: int) -> bool:
        if midi_pitch not in figures:
            figure = sing_on(voice_id, midi_pitch)
            figures[midi_pitch] = figure
            wer = "-" if figure.word_error_rate is None else f"{figure.word_error_rate:.2f}"
            print(
                f"  {voice_id} {midi_pitch}: {figure.median_cents:.1f} cents, voiced "
                f"{figure.voiced_share:.2f}, WER {wer}{'' if figure.passes else '  (fails)'}",
                flush=True,
            )
        return figures[midi_pitch].passes

    if not passes(start):
        return [figures[start]]
    for step, limit in ((-1, span[0]), (1, span[1])):
        last_pass = start
        while last_pass != limit:
            probe = last_pass + step * COARSE_STEP
            probe = max(probe, limit) if step < 0 else min(probe, limit)
            if passes(probe):
                last_pass = probe
                continue
            # The edge lies between last_pass and probe: semitone by semitone from the
            # passing side to the first failure.
            edge = last_pass
            while edge + step != probe and passes(edge + step):
                edge += step
            break
    return [figures[pitch] for pitch in sorted(figures)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("voices", nargs="*", help="voice ids (default: every local voice)")
    parser.add_argument("--write", action="store_true", help=f"rewrite {RANGES_PATH.name}")
    args = parser.parse_args(argv)
    voice_ids = args.voices or list(LOCAL_VOICES)
    swept: dict[str, dict[str, object]] = {}
    rows = []
    for voice_id in voice_ids:
        reason = LOCAL_VOICES[voice_id].unavailable_reason()
        if reason:
            print(f"{voice_id}: unavailable ({reason}); not swept")
            continue
        began = time.perf_counter()
        speaking = speaking_midi(voice_id)
        span = (
            round(speaking) - SPAN_BELOW_SPEAKING,
            round(speaking) + SPAN_ABOVE_SPEAKING,
        )
        print(f"{voice_id}: speaks at MIDI {speaking:.1f}; natural span {span[0]}..{span[1]}")
        figures = sweep(voice_id, span)
        found = measured_range(figures)
        if found is None:
            print(f"{voice_id}: no pitch meets the bar")
            continue
        swept[voice_id] = {
            "lowest_midi": found[0],
            "highest_midi": found[1],
            "speaking_midi": round(speaking, 2),
            "natural_span_midi": list(span),
            "pitches": [asdict(figure) for figure in figures],
        }
        rows.append((voice_id, found, time.perf_counter() - began))
    print("\n| voice | measured range (MIDI) | swept in (s) |\n|---|---|---|")
    for voice_id, (lowest, highest), seconds in rows:
        print(f"| {voice_id} | {lowest}..{highest} | {seconds:.0f} |")
    if args.write:
        # Read again: another sweep (of other voices) may have written since.
        stored = json.loads(RANGES_PATH.read_text(encoding="utf-8")) if RANGES_PATH.exists() else {}
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        document = {
            "generated_by": "python -m bench.voice_ranges --write",
            "commit": commit,
            "date": time.strftime("%Y-%m-%d"),
            "load_average": round(os.getloadavg()[0], 1),
            "bar": {
                "max_median_cents": MAX_MEDIAN_CENTS,
                "min_voiced_share": MIN_VOICED_SHARE,
                "max_word_error_rate": MAX_WORD_ERROR_RATE,
                "span_below_speaking": SPAN_BELOW_SPEAKING,
                "span_above_speaking": SPAN_ABOVE_SPEAKING,
            },
            "voices": {**stored.get("voices", {}), **swept},
        }
        Path(RANGES_PATH).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {RANGES_PATH}")


if __name__ == "__main__":
    main()
