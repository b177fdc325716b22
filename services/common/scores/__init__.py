"""Score files of a melody and its words (interim: MIDI only until the exporters land)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common.errors import InvalidInputError
from services.common.music import Melody, Syllable
from services.pitch.midi import melody_to_midi


@dataclass(frozen=True)
class ScoreFile:
    data: bytes
    media_type: str
    extension: str


def export_score(
    score_format: str, melody: Melody, syllables: Sequence[Syllable] = (), *, title: str = ""
) -> ScoreFile:
    if score_format != "midi":
        raise InvalidInputError(f"unknown score format {score_format!r}")
    per_note = [""] * len(melody.notes)
    for syllable in syllables:
        per_note[syllable.note_index] = syllable.text
    return ScoreFile(melody_to_midi(melody, per_note), "audio/midi", "mid")
