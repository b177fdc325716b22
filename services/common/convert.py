"""Domain objects <-> protobuf messages for the musical types shared by services."""

from __future__ import annotations

import numpy as np
from expertmusic.pitch.v1 import pitch_pb2

from services.common.music import KeyEstimate, Melody, Note, Phrase, PitchTrack

_KEY_MODE_TO_PROTO = {
    "major": pitch_pb2.KEY_MODE_MAJOR,
    "minor": pitch_pb2.KEY_MODE_MINOR,
    "": pitch_pb2.KEY_MODE_UNSPECIFIED,
}
_KEY_MODE_FROM_PROTO = {value: name for name, value in _KEY_MODE_TO_PROTO.items()}


def note_to_proto(note: Note) -> pitch_pb2.Note:
    return pitch_pb2.Note(
        onset_s=note.onset_s,
        duration_s=note.duration_s,
        midi_pitch=note.midi_pitch,
        cents_offset=note.cents_offset,
        frequency_hz=note.frequency_hz,
        confidence=note.confidence,
    )


def note_from_proto(message: pitch_pb2.Note) -> Note:
    return Note(
        onset_s=message.onset_s,
        duration_s=message.duration_s,
        midi_pitch=message.midi_pitch,
        cents_offset=message.cents_offset,
        frequency_hz=message.frequency_hz,
        confidence=message.confidence,
    )


def melody_to_proto(melody: Melody) -> pitch_pb2.Melody:
    message = pitch_pb2.Melody(
        notes=[note_to_proto(note) for note in melody.notes],
        phrases=[
            pitch_pb2.Phrase(
                first_note_index=phrase.first_note_index,
                note_count=phrase.note_count,
                onset_s=phrase.onset_s,
                duration_s=phrase.duration_s,
            )
            for phrase in melody.phrases
        ],
        tempo_bpm=melody.tempo_bpm,
        key=pitch_pb2.KeyEstimate(
            tonic=melody.key.tonic,
            mode=_KEY_MODE_TO_PROTO.get(melody.key.mode, pitch_pb2.KEY_MODE_UNSPECIFIED),
            confidence=melody.key.confidence,
        ),
        duration_s=melody.duration_s,
        engine=melody.engine,
        warnings=melody.warnings,
    )
    if melody.contour is not None:
        message.contour.hop_s = melody.contour.hop_s
        message.contour.times_s.extend(melody.contour.times_s.tolist())
        message.contour.frequencies_hz.extend(melody.contour.frequencies_hz.tolist())
        message.contour.voicing_probabilities.extend(melody.contour.voicing_probabilities.tolist())
    return message


def melody_from_proto(message: pitch_pb2.Melody) -> Melody:
    """The inverse of :func:`melody_to_proto`."""
    notes = [note_from_proto(note) for note in message.notes]
    phrases = [
        Phrase(
            first_note_index=phrase.first_note_index,
            note_count=phrase.note_count,
            onset_s=phrase.onset_s,
            duration_s=phrase.duration_s,
        )
        for phrase in message.phrases
    ]
    contour = None
    if message.contour.times_s:
        contour = PitchTrack(
            hop_s=message.contour.hop_s,
            times_s=np.asarray(message.contour.times_s, dtype=np.float64),
            frequencies_hz=np.asarray(message.contour.frequencies_hz, dtype=np.float64),
            voicing_probabilities=np.asarray(
                message.contour.voicing_probabilities, dtype=np.float64
            ),
        )
    return Melody(
        notes=notes,
        phrases=phrases,
        duration_s=message.duration_s,
        engine=message.engine,
        tempo_bpm=message.tempo_bpm,
        key=KeyEstimate(
            tonic=message.key.tonic,
            mode=_KEY_MODE_FROM_PROTO.get(message.key.mode, ""),
            confidence=message.key.confidence,
        ),
        contour=contour,
        warnings=list(message.warnings),
    )
