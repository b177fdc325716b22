"""A melody and its words as a MusicXML 4.0 score: one voice part in 4/4.

music21 (BSD-3-Clause) builds the score: it splits the notes into bars, ties notes across
bar lines, writes durations a grid cannot hold in one note value (five sixteenths) as tied
notes, beams and spells accidentals against the key signature. What it leaves out is added
to its XML before it is written: ``<extend/>`` on the first note of a melisma (music21's
exporter has no lyric extensions) and our own ``<identification>`` (music21 signs the score
"Music21" and dates it, which would make two exports of one take differ).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.etree.ElementTree import Element, SubElement

from music21 import instrument, meter, spanner, stream
from music21 import key as m21_key
from music21 import metadata as m21_metadata
from music21 import note as m21_note
from music21 import pitch as m21_pitch
from music21 import tempo as m21_tempo
from music21.musicxml.m21ToXml import ScoreExporter

from services.common.music import Melody, Syllable
from services.common.scores.layout import (
    BEAT_UNIT,
    BEATS_PER_BAR,
    SIXTEENTHS_PER_QUARTER,
    GridNote,
    NoteLyric,
    bars_end_16,
    key_signature_fifths,
    lyrics_by_note,
    quantise_to_sixteenths,
    score_tempo_bpm,
)

CONTENT_TYPE = "application/vnd.recordare.musicxml+xml"
FILE_EXTENSION = "musicxml"
SOFTWARE = "Expert Music AI"
PART_ID = "P1"
PART_NAME = "Voice"
INSTRUMENT_ID = "P1-I1"
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")


def melody_to_musicxml(
    melody: Melody, syllables: Sequence[Syllable] = (), title: str = ""
) -> bytes:
    """Writes the melody as a MusicXML 4.0 partwise score (UTF-8).

    Notes are quantised to sixteenths at the melody's tempo (120 BPM when it is 0; see
    :func:`services.common.scores.layout.quantise_to_sixteenths`), gaps become rests, the
    last bar is filled with rests, notes that cross a bar line are split and tied. The
    key signature is the melody's key (none when unknown), the tempo a metronome mark.
    Each syllable is a ``<lyric>`` with its ``<syllabic>`` on its first note; the other
    notes of a melisma carry no lyric, are slurred to the first, and the first note's lyric
    has ``<extend/>``.

    Args:
        melody: ``notes`` in time order (``onset_s``, ``duration_s``, ``midi_pitch``),
            ``tempo_bpm`` and ``key``.
        syllables: The words, each on ``note_count`` notes from ``note_index``.
        title: The work title ("" writes none).

    Returns:
        The score as UTF-8 XML bytes.

    Raises:
        InvalidInputError: A syllable points outside the melody or shares a note.
    """
    tempo_bpm = score_tempo_bpm(melody.tempo_bpm)
    grid = quantise_to_sixteenths(melody.notes, tempo_bpm)
    lyrics = lyrics_by_note(syllables, len(grid))
    fifths = key_signature_fifths(melody.key)

    part = stream.Part()
    singer = instrument.Vocalist()
    # Fixed ids: music21 would make random ones, and one take should give one file.
    singer.partId, singer.instrumentId, singer.partName = PART_ID, INSTRUMENT_ID, PART_NAME
    part.insert(0, singer)
    part.insert(0, meter.TimeSignature(f"{BEATS_PER_BAR}/{BEAT_UNIT}"))
    if fifths is not None:
        part.insert(0, m21_key.KeySignature(fifths).asKey(melody.key.mode))
    part.insert(
        0, m21_tempo.MetronomeMark(number=tempo_bpm, referent=m21_note.Note(type="quarter"))
    )

    cursor_16 = 0
    melisma: list[m21_note.Note] = []
    for grid_note, lyric in zip(grid, lyrics, strict=True):
        if grid_note.start_16 > cursor_16:
            _insert_rest(part, cursor_16, grid_note.start_16)
        sung = _note(grid_note, fifths, lyric)
        part.insert(_quarters(grid_note.start_16), sung)
        cursor_16 = grid_note.end_16
        if lyric is not None and (lyric.melisma_continues or lyric.continues_melisma):
            melisma.append(sung)
            if not lyric.melisma_continues:
                part.insert(0, spanner.Slur(melisma))
                melisma = []
    _insert_rest(part, cursor_16, bars_end_16(cursor_16))

    score = stream.Score()
    title = xml_text(title)
    if title:
        score.metadata = m21_metadata.Metadata(title=title)
    score.insert(0, part)
    # As music21's own writer does: bars and ties first, then the exporter splits what
    # no single note value can hold (3.75 quarters) into tied notes.
    score.makeNotation(inPlace=True)
    exporter = ScoreExporter(score)
    root = exporter.parse()
    _mark_melismas(root, [lyric for lyric in lyrics if lyric is not None and lyric.text])
    _replace_identification(root)
    return exporter.asBytes()


def _quarters(sixteenths: int) -> float:
    return sixteenths / SIXTEENTHS_PER_QUARTER  # exact: multiples of 1/4 are binary fractions


def _insert_rest(part: stream.Part, start_16: int, end_16: int) -> None:
    if end_16 > start_16:
        part.insert(_quarters(start_16), m21_note.Rest(quarterLength=_quarters(end_16 - start_16)))


#: Characters XML 1.0 does not allow in a document (its ``Char`` production, section 2.2):
#: control characters but tab and line breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 does not allow ("\x01", "\x00"), which
    would make the whole score unreadable to every MusicXML reader."""
    return _NOT_XML.sub("", text)


def _note(grid_note: GridNote, fifths: int | None, lyric: NoteLyric | None) -> m21_note.Note:
    # Black keys are spelled as flats in flat keys, as sharps otherwise.
    names = _FLAT_NAMES if fifths is not None and fifths < 0 else _SHARP_NAMES
    octave = grid_note.midi_pitch // 12 - 1
    sung = m21_note.Note(
        m21_pitch.Pitch(names[grid_note.midi_pitch % 12], octave=octave),
        quarterLength=_quarters(grid_note.length_16),
    )
    if lyric is not None and lyric.text:
        sung.lyrics.append(
            m21_note.Lyric(text=xml_text(lyric.text), number=1, syllabic=lyric.syllabic)
        )
    return sung


def _mark_melismas(root: Element, sung: list[NoteLyric]) -> None:
    # Every <lyric> music21 wrote is one syllable, in order (tied pieces of a note carry
    # none), so the n-th <lyric> is the n-th sung syllable.
    written = list(root.iter("lyric"))
    if len(written) != len(sung):
        raise RuntimeError(f"music21 wrote {len(written)} lyrics for {len(sung)} syllables")
    for element, lyric in zip(written, sung, strict=True):
        if lyric.melisma_continues:
            # The schema wants <extend> right after the last <text>.
            text_index = max(i for i, child in enumerate(element) if child.tag == "text")
            element.insert(text_index + 1, Element("extend", type="start"))


def _replace_identification(root: Element) -> None:
    identification = root.find("identification")
    if identification is None:
        identification = Element("identification")
        root.insert(_identification_index(root), identification)
    for child in list(identification):
        identification.remove(child)
    encoding = SubElement(identification, "encoding")
    SubElement(encoding, "software").text = SOFTWARE


def _identification_index(root: Element) -> int:
    # score-header order: work, movement-number, movement-title, identification, ...
    names = [child.tag for child in root]
    return sum(1 for name in names if name in ("work", "movement-number", "movement-title"))
