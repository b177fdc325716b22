"""One entry point for the servers: a score file by format name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from services.common.errors import InvalidInputError
from services.common.music import Melody, Syllable
from services.common.scores import midi, musicxml, ustx


class ScoreFile(NamedTuple):
    """An exported score: its bytes, media type (HTTP Content-Type) and usual file
    extension (no dot)."""

    data: bytes
    media_type: str
    extension: str


_Writer = Callable[[Melody, Sequence[Syllable], str], bytes]
_FORMATS: dict[str, tuple[_Writer, str, str]] = {
    "midi": (midi.melody_to_midi, midi.CONTENT_TYPE, midi.FILE_EXTENSION),
    "musicxml": (musicxml.melody_to_musicxml, musicxml.CONTENT_TYPE, musicxml.FILE_EXTENSION),
    "ustx": (ustx.melody_to_ustx, ustx.CONTENT_TYPE, ustx.FILE_EXTENSION),
}
SCORE_FORMATS = tuple(_FORMATS)


def export_score(
    score_format: str, melody: Melody, syllables: Sequence[Syllable] = (), *, title: str = ""
) -> ScoreFile:
    """Writes the melody and its words in ``score_format``.

    Args:
        score_format: "midi" (timing as sung), "musicxml" (MusicXML 4.0 on a sixteenth
            grid) or "ustx" (an OpenUtau project on the same grid); case and surrounding
            spaces are ignored.
        melody: The notes, tempo and key.
        syllables: The words, each on ``note_count`` notes from ``note_index``.
        title: The score's title ("" for none).

    Returns:
        The file's bytes, media type and extension.

    Raises:
        InvalidInputError: Unknown format, or a syllable that points outside the melody or
            shares a note with another.
    """
    entry = _FORMATS.get(score_format.strip().lower())
    if entry is None:
        raise InvalidInputError(
            f"unknown score format {score_format!r}; choose one of {', '.join(SCORE_FORMATS)}"
        )
    write, media_type, extension = entry
    return ScoreFile(write(melody, syllables, title), media_type, extension)
