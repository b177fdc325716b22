"""Scores that travel: a take's melody and words as MIDI, MusicXML and OpenUtau files.

One module per format (``midi``, ``musicxml``, ``ustx``), the grid and syllable layout they
share (``layout``), and :func:`export_score` (in ``export``) to pick one by name.
``export_score``, ``ScoreFile`` and ``SCORE_FORMATS`` are loaded on first use, so that a
service importing one format module (the pitch service's MIDI writer) does not load
music21 (~0.7 s and ~50 MB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.common.scores.export import SCORE_FORMATS, ScoreFile, export_score

__all__ = ["SCORE_FORMATS", "ScoreFile", "export_score"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from services.common.scores import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
