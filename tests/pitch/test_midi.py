"""melody_to_midi: the file parses back to the same notes, tempo and lyrics."""

from __future__ import annotations

import io

import mido
import pretty_midi
import pytest

from services.common.music import Melody, Note
from services.pitch.midi import melody_to_midi

NOTES = [
    Note(onset_s=0.5, duration_s=0.4, midi_pitch=60, confidence=0.9),
    Note(onset_s=1.0, duration_s=0.4, midi_pitch=64, confidence=0.8),
    Note(onset_s=1.5, duration_s=0.9, midi_pitch=67, confidence=1.0),
]
MELODY = Melody(notes=NOTES, phrases=[], duration_s=3.0, engine="swift", tempo_bpm=100.0)


def test_midi_round_trip_keeps_notes_and_lyrics():
    data = melody_to_midi(MELODY, syllables=["twin", "kle", "star"])

    score = pretty_midi.PrettyMIDI(io.BytesIO(data))

    parsed = score.instruments[0].notes
    assert [n.pitch for n in parsed] == [60, 64, 67]
    for parsed_note, note in zip(parsed, NOTES, strict=True):
        assert parsed_note.start == pytest.approx(note.onset_s, abs=0.005)
        assert parsed_note.end == pytest.approx(note.offset_s, abs=0.005)
    assert [lyric.text for lyric in score.lyrics] == ["twin", "kle", "star"]
    assert [lyric.time for lyric in score.lyrics] == pytest.approx([0.5, 1.0, 1.5], abs=0.005)


def test_midi_tempo_is_the_melodys():
    midi = mido.MidiFile(file=io.BytesIO(melody_to_midi(MELODY)))

    tempos = [m.tempo for track in midi.tracks for m in track if m.type == "set_tempo"]
    assert mido.tempo2bpm(tempos[0]) == pytest.approx(100.0)


def test_melody_without_tempo_is_written_at_120_bpm():
    melody = Melody(notes=NOTES, phrases=[], duration_s=3.0, engine="swift")

    score = pretty_midi.PrettyMIDI(io.BytesIO(melody_to_midi(melody)))

    assert score.get_tempo_changes()[1][0] == pytest.approx(120.0)
    assert score.lyrics == []


def test_one_syllable_per_note_is_required():
    with pytest.raises(ValueError, match="2 syllables for 3 notes"):
        melody_to_midi(MELODY, syllables=["la", "la"])


def test_an_empty_melody_is_a_valid_empty_file():
    empty = Melody(notes=[], phrases=[], duration_s=1.0, engine="swift")

    score = pretty_midi.PrettyMIDI(io.BytesIO(melody_to_midi(empty)))

    assert sum(len(instrument.notes) for instrument in score.instruments) == 0


def test_re_struck_and_tiny_notes_are_well_formed_midi_notes():
    notes = [
        Note(onset_s=0.5, duration_s=0.3, midi_pitch=71, confidence=0.9),
        # struck again at once, with an end a hair past the next onset from float sums
        Note(onset_s=0.8, duration_s=0.2000001, midi_pitch=71, confidence=0.9),
        Note(onset_s=1.0, duration_s=0.0, midi_pitch=71, confidence=0.9),
        Note(onset_s=1.2, duration_s=0.5, midi_pitch=69, confidence=0.9),
    ]
    melody = Melody(notes=notes, phrases=[], duration_s=2.0, engine="swift", tempo_bpm=120.0)

    messages = [
        m
        for m in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(melody_to_midi(melody))).tracks)
        if m.type in ("note_on", "note_off")
    ]

    sounding: set[int] = set()
    starts = 0
    for message in messages:
        if message.type == "note_on" and message.velocity > 0:
            assert message.note not in sounding  # never struck while it still sounds
            sounding.add(message.note)
            starts += 1
        else:
            assert message.note in sounding  # every note-off closes a sounding note
            sounding.remove(message.note)
    assert starts == 4 and not sounding
    parsed = pretty_midi.PrettyMIDI(io.BytesIO(melody_to_midi(melody))).instruments[0].notes
    assert all(note.end > note.start for note in parsed)
