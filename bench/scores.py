"""Score export speed: seconds to write a 300-note take as MIDI, MusicXML and OpenUtau.

``python -m bench.scores`` prints, per format, the median and slowest of 7 exports after
one warm-up call (the first MusicXML export also pays for importing music21), and the
file size. Exports run in the studio's request thread, so a slow one delays that reply.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from services.common.scores import SCORE_FORMATS, export_score
from tests.scores.takes import long_melody

NOTE_COUNT = 300
RUNS = 7


@dataclass(frozen=True)
class ExportTiming:
    score_format: str
    median_s: float
    slowest_s: float
    size_bytes: int


def export_timings(note_count: int = NOTE_COUNT, runs: int = RUNS) -> list[ExportTiming]:
    """Seconds per export of a ``note_count``-note take with words, per format."""
    melody, syllables = long_melody(note_count)
    rows = []
    for score_format in SCORE_FORMATS:
        score = export_score(score_format, melody, syllables, title="bench")  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            export_score(score_format, melody, syllables, title="bench")
            timings.append(time.perf_counter() - started)
        rows.append(
            ExportTiming(score_format, statistics.median(timings), max(timings), len(score.data))
        )
    return rows


def main() -> None:
    print(f"## Score exports ({NOTE_COUNT}-note take with words, {RUNS} runs after a warm-up)\n")
    print("| format | median | slowest | size |")
    print("|---|---|---|---|")
    for row in export_timings():
        print(
            f"| {row.score_format} | {row.median_s * 1000:.0f} ms | {row.slowest_s * 1000:.0f} ms "
            f"| {row.size_bytes / 1024:.0f} KiB |"
        )


if __name__ == "__main__":
    main()
