"""Benchmark of the local singing voices: speed and how well they follow the notes.

    python -m bench.synth

For each voice, on a ten-second melody (three phrases, tests/support/songs.py):

- x realtime: seconds of audio per second of wall-clock render, warm (voice loaded);
- first chunk: wall-clock time from the call to the first audio bytes, in ms;
- pitch: median and 90th percentile of |error| in cents over the middle half of every
  note, and onset: largest |error| in ms of the pitch-defined onsets, both measured by
  Praat's autocorrelation tracker (independent of our engine), with vibrato off;
- the same median with the default vibrato, to show it does not pull notes off pitch;
- words: the word error rate of an offline recogniser (Whisper tiny.en,
  tests/support/recognizer.py) on the fixed lines of ``SUNG_LINES`` sung by the voice
  (moved by octaves into its range, default vibrato). Whisper hears singing less well
  than speech: compare voices with each other, not with speech figures.

The machine's load average is printed with the table: renders share two cores with
everything else running, so speed figures vary with it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from services.synth.render import sing
from services.synth.types import AudioChunk, SingOptions, SingRequest
from services.synth.voices import LOCAL_VOICES
from tests.support.recognizer import heard_words, word_error_rate
from tests.support.songs import SUNG_LINES, TEN_SECONDS, line_words, song
from tests.support.sung_pitch import measure_rendition

REPEATS = 3
SAMPLE_PATH = "/tmp/expert-music-synth-sample-{voice}.wav"


@dataclass(frozen=True)
class VoiceFigures:
    voice_id: str
    realtime_factor: float
    first_chunk_ms: float
    median_cents: float
    p90_cents: float
    max_onset_error_ms: float
    vibrato_median_cents: float
    word_error_rate: float


def _render(request: SingRequest) -> tuple[bytes, float, float]:
    """The file, seconds to the first chunk, seconds in all."""
    started = time.perf_counter()
    first_s = 0.0
    data = b""
    for event in sing(request):
        if isinstance(event, AudioChunk) and event.data:
            first_s = first_s or time.perf_counter() - started
            data += event.data
    return data, first_s, time.perf_counter() - started


def _quality(request: SingRequest, data: bytes) -> tuple[float, float, float]:
    quality = measure_rendition(request, data)
    return quality.median_cents, quality.p90_cents, quality.max_abs_onset_error_s * 1000


def bench_voice(voice_id: str) -> VoiceFigures:
    melody, syllables = song(TEN_SECONDS)
    plain = SingOptions(vibrato_depth_cents=0.0)
    request = SingRequest(melody, syllables, voice_id=voice_id, options=plain)
    _render(request)  # loads the voice
    runs = [_render(request) for _ in range(REPEATS)]
    data = runs[0][0]
    duration_s = melody.notes[-1].offset_s + 0.2
    best_total_s = min(total for _, _, total in runs)
    best_first_s = min(first for _, first, _ in runs)
    median_cents, p90_cents, onset_ms = _quality(request, data)
    vibrato_request = SingRequest(melody, syllables, voice_id=voice_id)
    vibrato_data, _, _ = _render(vibrato_request)
    with open(SAMPLE_PATH.format(voice=voice_id), "wb") as sample:
        sample.write(vibrato_data)
    vibrato_median, _, _ = _quality(vibrato_request, vibrato_data)
    lines_melody, lines_syllables = song(SUNG_LINES)
    lines_data, _, _ = _render(SingRequest(lines_melody, lines_syllables, voice_id=voice_id))
    wer = word_error_rate(line_words(SUNG_LINES), heard_words(lines_data))
    return VoiceFigures(
        voice_id,
        duration_s / best_total_s,
        best_first_s * 1000,
        median_cents,
        p90_cents,
        onset_ms,
        vibrato_median,
        wer,
    )


def main() -> None:
    print(
        "| voice | × realtime | first chunk (ms) | median / p90 error (cents) "
        "| max onset error (ms) | median with vibrato (cents) | word error rate |"
    )
    print("|---|---|---|---|---|---|---|")
    for voice_id, voice in LOCAL_VOICES.items():
        if voice.unavailable_reason():
            print(f"| {voice_id} | unavailable: {voice.unavailable_reason()} | | | | | |")
            continue
        f = bench_voice(voice_id)
        print(
            f"| {f.voice_id} | {f.realtime_factor:.1f} | {f.first_chunk_ms:.0f} | "
            f"{f.median_cents:.1f} / {f.p90_cents:.1f} | {f.max_onset_error_ms:.0f} | "
            f"{f.vibrato_median_cents:.1f} | {f.word_error_rate:.0%} |"
        )
    load_1min = os.getloadavg()[0]
    print(
        f"\n10 s melody, best of {REPEATS} warm runs; load average {load_1min:.2f} on "
        f"{os.cpu_count()} cores. Samples: {SAMPLE_PATH.format(voice='<voice>')}. Word "
        f"error rate: Whisper tiny.en on the {len(line_words(SUNG_LINES))} words of the "
        "fixed lines (tests/support/songs.py SUNG_LINES)."
    )


if __name__ == "__main__":
    main()
