"""A melody and its words as a Standard MIDI File, lyrics in UTF-8.

Timing is the take's as sung (seconds, not quantised): a MIDI file plays back, so it keeps
the performance, while the MusicXML and OpenUtau exports put notes on a grid. Written with
mido (MIT). Lyric and name meta events are UTF-8: mido's default, Latin-1, cannot hold
"’" and most words outside Western Europe. Readers must decode them as UTF-8 (mido and
pretty_midi: ``charset="utf-8"``); the Standard MIDI File format itself names no encoding.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import mido

from services.common.media_types import AUDIO_MEDIA_TYPES
from services.common.music import Melody, Syllable
from services.common.scores.layout import (
    BEAT_UNIT,
    BEATS_PER_BAR,
    key_signature_fifths,
    lyrics_by_note,
    score_tempo_bpm,
)

CONTENT_TYPE = AUDIO_MEDIA_TYPES["midi"]
FILE_EXTENSION = "mid"
TEXT_CHARSET = "utf-8"
TICKS_PER_QUARTER = 480
VOICE_OOHS_PROGRAM = 53  # General MIDI "Voice Oohs" (0-based)
VOICE_CHANNEL = 0
TRACK_NAME = "Voice"
_MIN_VELOCITY = 40
_MAX_VELOCITY = 110
# mido's key names, from seven flats to seven sharps.
_MAJOR_KEYS_BY_FIFTHS = "Cb Gb Db Ab Eb Bb F C G D A E B F# C#"
_MINOR_KEYS_BY_FIFTHS = "Ab Eb Bb F C G D A E B F# C# G# D# A#"
# Events at one tick: a note ends before the next starts, its lyric just before it sounds.
_NOTE_OFF, _LYRIC, _NOTE_ON = 0, 1, 2


def melody_to_midi(melody: Melody, syllables: Sequence[Syllable] = (), title: str = "") -> bytes:
    """Encodes the melody as a type-1 MIDI file (480 ticks per quarter note).

    Track 0 holds the title (sequence name), the tempo (the melody's, 120 BPM when it is 0,
    so beats line up in a sequencer), 4/4 time and the key signature (none when the key is
    unknown). Track 1 ("Voice", General MIDI Voice Oohs) holds the notes, velocity from
    their confidence, and one lyric event per syllable at the onset of its first note (the
    later notes of a melisma carry none).

    Args:
        melody: ``notes`` in time order (``onset_s``, ``duration_s``, ``midi_pitch``,
            ``confidence``), ``tempo_bpm`` and ``key``.
        syllables: The words, each on ``note_count`` notes from ``note_index``.
        title: The sequence name ("" writes none).

    Returns:
        The bytes of the MIDI file.

    Raises:
        InvalidInputError: A syllable points outside the melody or shares a note.
    """
    lyrics = lyrics_by_note(syllables, len(melody.notes))
    tempo_us = mido.bpm2tempo(score_tempo_bpm(melody.tempo_bpm))

    def ticks(seconds: float) -> int:
        return max(0, round(seconds * 1e6 / tempo_us * TICKS_PER_QUARTER))

    conductor = mido.MidiTrack()
    if title:
        conductor.append(mido.MetaMessage("track_name", name=title, time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=tempo_us, time=0))
    conductor.append(
        mido.MetaMessage("time_signature", numerator=BEATS_PER_BAR, denominator=BEAT_UNIT, time=0)
    )
    fifths = key_signature_fifths(melody.key)
    if fifths is not None:
        minor = melody.key.mode == "minor"
        names = (_MINOR_KEYS_BY_FIFTHS if minor else _MAJOR_KEYS_BY_FIFTHS).split()
        key_name = names[fifths + 7] + ("m" if minor else "")
        conductor.append(mido.MetaMessage("key_signature", key=key_name, time=0))

    # (tick, order at that tick, what happens), made into messages once sorted: mido
    # checks every message it builds, which is most of the time this takes.
    events: list[tuple[int, int, int, int | str]] = []
    notes = melody.notes
    for index, note in enumerate(notes):
        start_tick = ticks(note.onset_s)
        end_tick = ticks(note.offset_s)
        if index + 1 < len(notes) and notes[index + 1].onset_s > note.onset_s:
            end_tick = min(end_tick, ticks(notes[index + 1].onset_s))  # one note at a time
        end_tick = max(end_tick, start_tick + 1)
        pitch = min(127, max(0, note.midi_pitch))
        velocity = round(_MIN_VELOCITY + (_MAX_VELOCITY - _MIN_VELOCITY) * note.confidence)
        events.append((start_tick, _NOTE_ON, pitch, min(127, max(1, velocity))))
        events.append((end_tick, _NOTE_OFF, pitch, 0))
        lyric = lyrics[index]
        if lyric is not None and lyric.text:
            events.append((start_tick, _LYRIC, 0, lyric.text))
    events.sort(key=lambda event: (event[0], event[1]))

    voice = mido.MidiTrack()
    voice.append(mido.MetaMessage("track_name", name=TRACK_NAME, time=0))
    voice.append(
        mido.Message("program_change", channel=VOICE_CHANNEL, program=VOICE_OOHS_PROGRAM, time=0)
    )
    previous_tick = 0
    for tick, kind, pitch, value in events:
        delta = tick - previous_tick
        previous_tick = tick
        if kind == _LYRIC:
            voice.append(mido.MetaMessage("lyrics", text=str(value), time=delta))
        else:
            message_type = "note_on" if kind == _NOTE_ON else "note_off"
            voice.append(
                mido.Message(
                    message_type, channel=VOICE_CHANNEL, note=pitch, velocity=value, time=delta
                )
            )

    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER, charset=TEXT_CHARSET)
    midi.tracks.extend([conductor, voice])
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()
