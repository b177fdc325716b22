"""export_score: one call for every format, a clear error for an unknown one."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInputError
from services.common.scores import SCORE_FORMATS, export_score
from tests.scores.takes import MELODY, SYLLABLES


@pytest.mark.parametrize(
    ("score_format", "media_type", "extension", "starts_with"),
    [
        ("midi", "audio/midi", "mid", b"MThd"),
        ("musicxml", "application/vnd.recordare.musicxml+xml", "musicxml", b"<?xml"),
        ("ustx", "application/yaml", "ustx", b"name: "),
    ],
)
def test_each_format_comes_with_its_media_type_and_extension(
    score_format: str, media_type: str, extension: str, starts_with: bytes
) -> None:
    score = export_score(score_format, MELODY, SYLLABLES, title="Crème brûlée")
    assert (score.media_type, score.extension) == (media_type, extension)
    assert score.data.startswith(starts_with)


def test_format_names_ignore_case_and_spaces() -> None:
    assert export_score(" MusicXML ", MELODY).media_type.endswith("musicxml+xml")


def test_an_unknown_format_names_the_ones_there_are() -> None:
    assert SCORE_FORMATS == ("midi", "musicxml", "ustx")
    with pytest.raises(
        InvalidInputError, match="unknown score format 'pdf'; choose one of midi, musicxml, ustx"
    ):
        export_score("pdf", MELODY, SYLLABLES)
