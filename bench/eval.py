"""Note F1 against human annotations: ``python -m bench.eval`` (``make eval``).

Scores each engine's notes, and SwiftF0's own ``segment_notes`` as the baseline, on the
vocadito clips in ``shared/eval`` (set EXPERT_MUSIC_EVAL_DIR to use another copy) with
mir_eval's note matching: 50-cent pitch tolerance, 100 ms onset tolerance, offsets ignored.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np
import soundfile

from services.common.music import Note
from services.pitch.melody import extract_melody

ANNOTATORS = ("A1", "A2")
ONSET_TOLERANCE_S = 0.1
PITCH_TOLERANCE_CENTS = 50.0
SWIFT_BASELINE = "swift+segment_notes"


def eval_dir() -> Path:
    """Where the vocadito clips lie: $EXPERT_MUSIC_EVAL_DIR or shared/eval next to the repo."""
    override = os.environ.get("EXPERT_MUSIC_EVAL_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared" / "eval"


def clip_names(directory: Path) -> list[str]:
    """Clips with audio and at least one annotation, e.g. ["vocadito_1", "vocadito_10"]."""
    vocadito = directory / "vocadito"
    names = sorted(
        path.stem
        for path in vocadito.glob("*.wav")
        if any(vocadito.glob(f"{path.stem}_notes*.csv"))
    )
    return sorted(names, key=lambda name: (len(name), name))


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float


def load_reference(directory: Path, clip: str, annotator: str) -> tuple[np.ndarray, np.ndarray]:
    """Annotated notes: intervals (n, 2) in seconds and frequencies (n,) in Hz."""
    rows = np.loadtxt(
        directory / "vocadito" / f"{clip}_notes{annotator}.csv", delimiter=",", ndmin=2
    )
    return np.column_stack([rows[:, 0], rows[:, 0] + rows[:, 2]]), rows[:, 1]


def note_f1(
    reference_intervals_s: np.ndarray,
    reference_hz: np.ndarray,
    estimated_intervals_s: np.ndarray,
    estimated_hz: np.ndarray,
) -> Score:
    """mir_eval note precision/recall/F1 with onsets only (offset_ratio=None)."""
    if len(estimated_hz) == 0:
        return Score(0.0, 0.0, 0.0)
    precision, recall, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
        reference_intervals_s,
        reference_hz,
        estimated_intervals_s,
        estimated_hz,
        onset_tolerance=ONSET_TOLERANCE_S,
        pitch_tolerance=PITCH_TOLERANCE_CENTS,
        offset_ratio=None,
    )
    return Score(float(precision), float(recall), float(f1))


def transcribe(
    samples: np.ndarray, sample_rate_hz: int, engine: str
) -> list[tuple[float, float, float]]:
    """(onset_s, offset_s, frequency_hz) of each note, from our pipeline or the baseline."""
    if engine == SWIFT_BASELINE:
        import swift_f0

        result = swift_f0.SwiftF0(threads=1, spin=False).detect(samples, sample_rate_hz)
        return [(n.start, n.end, n.pitch_hz) for n in swift_f0.segment_notes(result)]
    notes: Sequence[Note] = extract_melody(samples, sample_rate_hz, engine=engine).notes
    return [(n.onset_s, n.offset_s, n.frequency_hz) for n in notes]


def score_clip(
    clip: str, engine: str = "swift", *, directory: Path | None = None
) -> dict[str, Score]:
    """Note scores of one engine on one clip against every annotator present.

    Args:
        clip: Clip name, e.g. "vocadito_1".
        engine: A pitch engine name, or SWIFT_BASELINE for SwiftF0's own segmenter.
        directory: The eval directory; None uses eval_dir().

    Returns:
        Annotator name ("A1", "A2") to Score.
    """
    directory = eval_dir() if directory is None else directory
    samples, sample_rate_hz = soundfile.read(
        directory / "vocadito" / f"{clip}.wav", dtype="float32", always_2d=True
    )
    notes = transcribe(samples.mean(axis=1), int(sample_rate_hz), engine)
    estimated_intervals_s = np.array([[onset, offset] for onset, offset, _ in notes]).reshape(-1, 2)
    estimated_hz = np.array([hz for *_, hz in notes])
    scores = {}
    for annotator in ANNOTATORS:
        if (directory / "vocadito" / f"{clip}_notes{annotator}.csv").exists():
            reference = load_reference(directory, clip, annotator)
            scores[annotator] = note_f1(*reference, estimated_intervals_s, estimated_hz)
    return scores


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crepe-full", action="store_true", help="also score crepe-full (slow)")
    args = parser.parse_args(argv)
    directory = eval_dir()
    if not (directory / "vocadito").is_dir():
        raise SystemExit(f"no eval data at {directory}; set EXPERT_MUSIC_EVAL_DIR")
    engines = [SWIFT_BASELINE, "swift", "crepe-tiny"] + (["crepe-full"] if args.crepe_full else [])
    print(
        f"{'engine':<22} {'clip':<13} "
        + " ".join(f"{a + ' P/R/F1':>19}" for a in ANNOTATORS)
        + "  seconds"
    )
    for clip in clip_names(directory):
        for engine in engines:
            started = time.perf_counter()
            scores = score_clip(clip, engine, directory=directory)
            elapsed_s = time.perf_counter() - started
            cells = " ".join(
                f"{s.precision:5.3f} {s.recall:5.3f} {s.f1:5.3f}"
                if (s := scores.get(a))
                else f"{'-':>17}"
                for a in ANNOTATORS
            )
            print(f"{engine:<22} {clip:<13} {cells}  {elapsed_s:7.2f}")


if __name__ == "__main__":
    main()
