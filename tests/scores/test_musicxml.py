"""MusicXML export: valid against the MusicXML 4.0 XSD, and music21 reads back the same
pitches, onsets (within one sixteenth) and words."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree
from music21 import converter, meter, stream
from music21 import key as m21_key
from music21 import note as m21_note
from music21 import tempo as m21_tempo

from services.common.errors import InvalidInputError
from services.common.music import Melody, Note, Syllable
from services.common.scores.musicxml import melody_to_musicxml
from tests.scores.musicxml_schema import schema_errors
from tests.scores.takes import (
    MELODY,
    NOTES,
    SIXTEENTH_S,
    SYLLABIC,
    SYLLABLES,
    WORDS,
    long_melody,
    with_key,
)


def read_back(document: bytes) -> stream.Part:
    score = converter.parseData(document, format="musicxml")
    assert isinstance(score, stream.Score)
    (part,) = score.parts
    return part


def sung_notes(part: stream.Part) -> list[m21_note.Note]:
    """The notes as sung: tied pieces joined back into one."""
    return list(part.stripTies().flatten().getElementsByClass(m21_note.Note))


def test_the_take_is_valid_musicxml_4_0() -> None:
    document = melody_to_musicxml(MELODY, SYLLABLES, title="Crème brûlée")
    assert b'<score-partwise version="4.0">' in document
    assert schema_errors(document) == []


def test_music21_reads_back_the_same_pitches_in_order() -> None:
    notes = sung_notes(read_back(melody_to_musicxml(MELODY, SYLLABLES)))
    assert [sung.pitch.midi for sung in notes] == [note.midi_pitch for note in NOTES]


def test_onsets_read_back_within_one_sixteenth() -> None:
    notes = sung_notes(read_back(melody_to_musicxml(MELODY, SYLLABLES)))
    onsets_s = [float(sung.offset) * 0.5 for sung in notes]  # 120 BPM: 0.5 s a quarter
    for onset_s, note in zip(onsets_s, NOTES, strict=True):
        assert abs(onset_s - note.onset_s) <= SIXTEENTH_S


def test_the_words_read_back_one_syllable_per_note_and_none_on_a_melismas_held_notes() -> None:
    notes = sung_notes(read_back(melody_to_musicxml(MELODY, SYLLABLES)))
    assert [sung.lyric for sung in notes] == [
        "Don’t",
        "touch",
        "Zoë’s",
        "crè",
        None,
        "me",
        "brû",
        "lée",
        None,
    ]
    with_words = [sung for sung in notes if sung.lyrics]
    assert [sung.lyrics[0].syllabic for sung in with_words] == SYLLABIC
    words = ""
    for lyric in (sung.lyrics[0] for sung in with_words):
        words += (" " if words and lyric.syllabic in ("single", "begin") else "") + lyric.text
    assert words == WORDS


def test_a_melisma_is_slurred_and_its_syllable_extended() -> None:
    root = etree.fromstring(melody_to_musicxml(MELODY, SYLLABLES))
    (held_from,) = root.xpath("//note[lyric/text='crè']")
    assert held_from.find("lyric/extend") is not None
    assert held_from.find("notations/slur").get("type") == "start"
    held = held_from.getnext()
    assert held.find("lyric") is None
    assert held.find("notations/slur").get("type") == "stop"
    extended = [lyric for lyric in root.iter("lyric") if lyric.find("extend") is not None]
    assert [lyric.findtext("text") for lyric in extended] == ["crè"]


def test_a_note_across_the_bar_line_is_split_and_tied_with_its_word_on_the_first_half() -> None:
    part = read_back(melody_to_musicxml(MELODY, SYLLABLES))
    measures = list(part.getElementsByClass(stream.Measure))
    *_, last_of_bar_2 = measures[1].getElementsByClass(m21_note.Note)
    first_of_bar_3, *_ = measures[2].getElementsByClass(m21_note.Note)
    assert last_of_bar_2.pitch.midi == first_of_bar_3.pitch.midi == 69
    assert last_of_bar_2.tie is not None and last_of_bar_2.tie.type == "start"
    assert first_of_bar_3.tie is not None and first_of_bar_3.tie.type == "stop"
    assert last_of_bar_2.lyric == "lée" and first_of_bar_3.lyric is None
    assert last_of_bar_2.quarterLength + first_of_bar_3.quarterLength == 2.0


def test_a_note_too_short_for_the_grid_is_a_sixteenth() -> None:
    notes = sung_notes(read_back(melody_to_musicxml(MELODY, SYLLABLES)))
    assert notes[6].lyric == "brû"
    assert notes[6].quarterLength == 0.25


def test_rests_fill_every_bar_of_four_quarters() -> None:
    part = read_back(melody_to_musicxml(MELODY, SYLLABLES))
    measures = list(part.getElementsByClass(stream.Measure))
    assert len(measures) == 3
    assert all(measure.duration.quarterLength == 4.0 for measure in measures)
    assert part.flatten().getElementsByClass(meter.TimeSignature)[0].ratioString == "4/4"
    rests = list(part.flatten().getElementsByClass(m21_note.Rest))
    # Rests on the grid: 0-2, 8-12, 19-28, 36-38 and 41-48 (the end of bar 3), in sixteenths.
    assert sum(rest.quarterLength for rest in rests) == (2 + 4 + 9 + 2 + 7) / 4


def test_a_take_without_tempo_is_written_at_120_bpm_and_a_found_tempo_as_found() -> None:
    for tempo_bpm, written_bpm in ((0.0, 120.0), (97.4, 97.4)):
        melody = replace(MELODY, tempo_bpm=tempo_bpm)
        part = read_back(melody_to_musicxml(melody, SYLLABLES))
        (mark,) = part.flatten().getElementsByClass(m21_tempo.MetronomeMark)
        assert mark.number == pytest.approx(written_bpm)


def test_the_key_signature_is_the_takes_key() -> None:
    part = read_back(melody_to_musicxml(MELODY, SYLLABLES))
    (key,) = part.flatten().getElementsByClass(m21_key.KeySignature)
    assert key.sharps == 0
    assert isinstance(key, m21_key.Key) and key.mode == "minor"

    flat_key = read_back(melody_to_musicxml(with_key(MELODY, "A#", "major"), SYLLABLES))
    (key,) = flat_key.flatten().getElementsByClass(m21_key.KeySignature)
    assert key.sharps == -2  # B-flat major


def test_black_keys_are_spelled_with_the_keys_accidentals() -> None:
    melody = replace(
        MELODY, notes=[Note(onset_s=0.0, duration_s=0.5, midi_pitch=70)], tempo_bpm=120
    )
    sharp = sung_notes(read_back(melody_to_musicxml(with_key(melody, "E", "major"))))
    flat = sung_notes(read_back(melody_to_musicxml(with_key(melody, "F", "major"))))
    assert (sharp[0].pitch.name, flat[0].pitch.name) == ("A#", "B-")


def test_an_unknown_key_writes_no_key_signature() -> None:
    document = melody_to_musicxml(with_key(MELODY, "", ""), SYLLABLES)
    assert schema_errors(document) == []
    assert etree.fromstring(document).find(".//key") is None


def test_the_title_is_the_work_title() -> None:
    root = etree.fromstring(melody_to_musicxml(MELODY, SYLLABLES, title="Zoë’s song"))
    assert root.findtext("work/work-title") == "Zoë’s song"
    untitled = etree.fromstring(melody_to_musicxml(MELODY, SYLLABLES))
    assert untitled.find("work") is None


@pytest.mark.parametrize("unspeakable", ["\x00", "\x01", "\x0b", "\x1b", "\ufffe"])
def test_characters_xml_does_not_allow_are_left_out_of_the_title_and_the_words(
    unspeakable: str,
) -> None:
    # One of them anywhere and no MusicXML reader opens the file.
    syllables = [replace(SYLLABLES[0], text=f"{SYLLABLES[0].text}{unspeakable}"), *SYLLABLES[1:]]
    document = melody_to_musicxml(MELODY, syllables, title=f"a{unspeakable}b")

    root = etree.fromstring(document)
    assert root.findtext("work/work-title") == "ab"
    assert root.findtext(".//lyric/text") == SYLLABLES[0].text
    assert schema_errors(document) == []


def test_the_same_take_always_gives_the_same_file() -> None:
    assert melody_to_musicxml(MELODY, SYLLABLES) == melody_to_musicxml(MELODY, SYLLABLES)


def test_a_melody_without_words_or_notes_is_still_a_valid_score() -> None:
    assert schema_errors(melody_to_musicxml(MELODY)) == []
    empty = Melody(notes=[], phrases=[], duration_s=1.0, engine="test")
    document = melody_to_musicxml(empty)
    assert schema_errors(document) == []
    part = read_back(document)
    assert len(part.getElementsByClass(stream.Measure)) == 1
    assert sung_notes(part) == []


def test_a_long_take_is_valid_and_reads_back_note_for_note() -> None:
    melody, syllables = long_melody()
    document = melody_to_musicxml(melody, syllables)
    assert schema_errors(document) == []
    notes = sung_notes(read_back(document))
    assert [sung.pitch.midi for sung in notes] == [note.midi_pitch for note in melody.notes]
    quarter_s = 60 / 97.4
    part_onsets_s = [float(sung.offset) * quarter_s for sung in notes]
    sixteenth_s = quarter_s / 4
    errors_s = [abs(a - note.onset_s) for a, note in zip(part_onsets_s, melody.notes, strict=True)]
    assert max(errors_s) <= sixteenth_s
    first_notes = {syllable.note_index: syllable.text for syllable in syllables}
    assert [sung.lyric for sung in notes] == [
        first_notes.get(index) for index in range(len(melody.notes))
    ]


def test_syllables_that_do_not_fit_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="the melody has 9 notes"):
        melody_to_musicxml(MELODY, [*SYLLABLES, Syllable("encore", 9)])
