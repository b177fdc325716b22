"""A melody as a Standard MIDI File, with one lyric event per note."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pretty_midi

from services.common.music import Melody

DEFAULT_TEMPO_BPM = 120.0
VOICE_OOHS_PROGRAM = 53  # General MIDI "Voice Oohs"
_MIN_VELOCITY = 40
_MAX_VELOCITY = 110


def melody_to_midi(melody: Melody, syllables: Sequence[str] | None = None) -> bytes:
    """Encode a melody as a type-1 MIDI file.

    Args:
        melody: Notes to write (onset_s, duration_s, midi_pitch, confidence); its tempo_bpm
            sets the file's tempo (120 when unknown), so beats line up in a sequencer.
        syllables: Optional lyrics, one per note, written as lyric meta events at the
            note onsets.

    Returns:
        The bytes of the MIDI file.

    Raises:
        ValueError: ``syllables`` is given and its length differs from the note count.
    """
    if syllables is not None and len(syllables) != len(melody.notes):
        raise ValueError(
            f"got {len(syllables)} syllables for {len(melody.notes)} notes; give one per note"
        )
    tempo_bpm = melody.tempo_bpm if melody.tempo_bpm > 0 else DEFAULT_TEMPO_BPM
    score = pretty_midi.PrettyMIDI(initial_tempo=tempo_bpm)
    voice = pretty_midi.Instrument(program=VOICE_OOHS_PROGRAM, name="melody")
    # A note must last at least a tick, or its note-off is written before its note-on.
    min_length_s = 60.0 / (tempo_bpm * score.resolution)
    next_onset_s: dict[int, float] = {}
    for note in reversed(melody.notes):
        pitch = int(min(127, max(0, note.midi_pitch)))
        velocity = round(_MIN_VELOCITY + (_MAX_VELOCITY - _MIN_VELOCITY) * note.confidence)
        # The same key may not be struck again while it still sounds.
        end_s = min(note.offset_s, next_onset_s.get(pitch, note.offset_s))
        voice.notes.append(
            pretty_midi.Note(
                velocity=int(min(127, max(1, velocity))),
                pitch=pitch,
                start=note.onset_s,
                end=max(end_s, note.onset_s + min_length_s),
            )
        )
        next_onset_s[pitch] = note.onset_s
    voice.notes.reverse()
    score.instruments.append(voice)
    if syllables is not None:
        score.lyrics.extend(
            pretty_midi.Lyric(text=syllable, time=note.onset_s)
            for syllable, note in zip(syllables, melody.notes, strict=True)
        )
    buffer = io.BytesIO()
    score.write(buffer)
    return buffer.getvalue()
