"""MIDI export: the file parses back to the same notes, tempo, key and lyrics, in UTF-8."""

from __future__ import annotations

import io
from dataclasses import replace

import mido
import pretty_midi
import pytest

from services.common.errors import InvalidInputError
from services.common.music import Melody, Note, Syllable
from services.common.scores.midi import melody_to_midi
from tests.scores.takes import MELODY, NOTES, SYLLABLES

TWINKLE = [
    Note(onset_s=0.5, duration_s=0.4, midi_pitch=60, confidence=0.9),
    Note(onset_s=1.0, duration_s=0.4, midi_pitch=64, confidence=0.8),
    Note(onset_s=1.5, duration_s=0.9, midi_pitch=67, confidence=1.0),
]
TWINKLE_MELODY = Melody(notes=TWINKLE, phrases=[], duration_s=3.0, engine="swift", tempo_bpm=100)
TWINKLE_SYLLABLES = [
    Syllable("twin", 0),
    Syllable("kle", 1, starts_word=False),
    Syllable("star", 2),
]


def read(data: bytes) -> pretty_midi.PrettyMIDI:
    return pretty_midi.PrettyMIDI(io.BytesIO(data), charset="utf-8")


def test_midi_round_trip_keeps_notes_and_lyrics() -> None:
    score = read(melody_to_midi(TWINKLE_MELODY, TWINKLE_SYLLABLES))

    (voice,) = score.instruments
    assert [n.pitch for n in voice.notes] == [60, 64, 67]
    for parsed_note, note in zip(voice.notes, TWINKLE, strict=True):
        assert parsed_note.start == pytest.approx(note.onset_s, abs=0.005)
        assert parsed_note.end == pytest.approx(note.offset_s, abs=0.005)
    assert [lyric.text for lyric in score.lyrics] == ["twin", "kle", "star"]
    assert [lyric.time for lyric in score.lyrics] == pytest.approx([0.5, 1.0, 1.5], abs=0.005)


def test_lyrics_are_utf8_and_survive_mido_and_pretty_midi() -> None:
    words = ["Don’t", "touch", "Zoë’s", "crème", "brûlée"]
    notes = [Note(onset_s=0.5 * i, duration_s=0.4, midi_pitch=60 + i) for i in range(len(words))]
    melody = Melody(notes=notes, phrases=[], duration_s=3.0, engine="swift")
    data = melody_to_midi(melody, [Syllable(word, i) for i, word in enumerate(words)], "Zoë’s")

    assert "Zoë’s".encode() in data  # UTF-8 bytes, not Latin-1 (which has no ’)
    midi = mido.MidiFile(file=io.BytesIO(data), charset="utf-8")
    texts = [m.text for track in midi.tracks for m in track if m.type == "lyrics"]
    assert texts == words
    assert midi.tracks[0][0] == mido.MetaMessage("track_name", name="Zoë’s", time=0)
    assert [lyric.text for lyric in read(data).lyrics] == words


def test_a_melisma_has_one_lyric_at_its_first_note() -> None:
    score = read(melody_to_midi(MELODY, SYLLABLES))
    assert [lyric.text for lyric in score.lyrics] == [s.text for s in SYLLABLES]
    assert [lyric.time for lyric in score.lyrics] == pytest.approx(
        [NOTES[s.note_index].onset_s for s in SYLLABLES], abs=0.002
    )
    assert len(score.instruments[0].notes) == len(NOTES)


def test_timing_is_as_sung_not_on_a_grid() -> None:
    (voice,) = read(melody_to_midi(MELODY, SYLLABLES)).instruments
    assert [note.start for note in voice.notes] == pytest.approx(
        [note.onset_s for note in NOTES], abs=0.002
    )


def test_midi_tempo_is_the_melodys() -> None:
    midi = mido.MidiFile(file=io.BytesIO(melody_to_midi(TWINKLE_MELODY)))

    tempos = [m.tempo for track in midi.tracks for m in track if m.type == "set_tempo"]
    assert mido.tempo2bpm(tempos[0]) == pytest.approx(100.0)


def test_melody_without_tempo_is_written_at_120_bpm_in_four_four() -> None:
    score = read(melody_to_midi(replace(TWINKLE_MELODY, tempo_bpm=0.0)))

    assert score.get_tempo_changes()[1][0] == pytest.approx(120.0)
    (time_signature,) = score.time_signature_changes
    assert (time_signature.numerator, time_signature.denominator) == (4, 4)
    assert score.lyrics == []


def test_the_key_signature_is_the_melodys_and_absent_when_unknown() -> None:
    (key,) = read(melody_to_midi(MELODY)).key_signature_changes
    assert pretty_midi.key_number_to_key_name(key.key_number) == "A minor"
    flat = replace(MELODY, key=replace(MELODY.key, tonic="A#", mode="major"))
    (key,) = read(melody_to_midi(flat)).key_signature_changes
    assert pretty_midi.key_number_to_key_name(key.key_number) == "Bb Major"
    assert read(melody_to_midi(TWINKLE_MELODY)).key_signature_changes == []


def test_syllables_outside_the_melody_are_refused() -> None:
    with pytest.raises(
        InvalidInputError, match=r"sung on notes 4\.\.4 \(note_index 3\), but the melody has 3"
    ):
        melody_to_midi(TWINKLE_MELODY, [*TWINKLE_SYLLABLES, Syllable("la", 3)])


def test_an_empty_melody_is_a_valid_empty_file() -> None:
    empty = Melody(notes=[], phrases=[], duration_s=1.0, engine="swift")

    score = read(melody_to_midi(empty))

    assert sum(len(instrument.notes) for instrument in score.instruments) == 0


def test_re_struck_and_tiny_notes_are_well_formed_midi_notes() -> None:
    notes = [
        Note(onset_s=0.5, duration_s=0.3, midi_pitch=71, confidence=0.9),
        # struck again at once, its end a hair past the next onset from float sums
        Note(onset_s=0.8, duration_s=0.2000001, midi_pitch=71, confidence=0.9),
        Note(onset_s=1.0, duration_s=0.0, midi_pitch=71, confidence=0.9),
        Note(onset_s=1.2, duration_s=0.5, midi_pitch=69, confidence=0.9),
    ]
    melody = Melody(notes=notes, phrases=[], duration_s=2.0, engine="swift", tempo_bpm=120.0)

    data = melody_to_midi(melody)

    sounding: set[int] = set()
    struck = 0
    for message in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(data)).tracks):
        if message.type == "note_on" and message.velocity > 0:
            assert message.note not in sounding  # never struck again while it sounds
            sounding.add(message.note)
            struck += 1
        elif message.type in ("note_on", "note_off"):
            assert message.note in sounding  # every note-off closes a sounding note
            sounding.remove(message.note)
    assert struck == 4 and not sounding
    assert all(note.end > note.start for note in read(data).instruments[0].notes)
