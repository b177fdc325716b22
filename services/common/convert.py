"""Domain objects <-> protobuf messages for the musical types shared by services
(``expertmusic.music.v1``): melodies and lyrics."""

from __future__ import annotations

import numpy as np
from expertmusic.music.v1 import music_pb2

from services.common.music import (
    KeyEstimate,
    LyricLine,
    Lyrics,
    LyricsFit,
    Melody,
    Note,
    Phrase,
    PitchTrack,
    Syllable,
)

_KEY_MODE_TO_PROTO = {
    "major": music_pb2.KEY_MODE_MAJOR,
    "minor": music_pb2.KEY_MODE_MINOR,
    "": music_pb2.KEY_MODE_UNSPECIFIED,
}
_KEY_MODE_FROM_PROTO = {value: name for name, value in _KEY_MODE_TO_PROTO.items()}


def note_to_proto(note: Note) -> music_pb2.Note:
    return music_pb2.Note(
        onset_s=note.onset_s,
        duration_s=note.duration_s,
        midi_pitch=note.midi_pitch,
        cents_offset=note.cents_offset,
        frequency_hz=note.frequency_hz,
        confidence=note.confidence,
    )


def note_from_proto(message: music_pb2.Note) -> Note:
    return Note(
        onset_s=message.onset_s,
        duration_s=message.duration_s,
        midi_pitch=message.midi_pitch,
        cents_offset=message.cents_offset,
        frequency_hz=message.frequency_hz,
        confidence=message.confidence,
    )


def melody_to_proto(melody: Melody) -> music_pb2.Melody:
    message = music_pb2.Melody(
        notes=[note_to_proto(note) for note in melody.notes],
        phrases=[
            music_pb2.Phrase(
                first_note_index=phrase.first_note_index,
                note_count=phrase.note_count,
                onset_s=phrase.onset_s,
                duration_s=phrase.duration_s,
            )
            for phrase in melody.phrases
        ],
        tempo_bpm=melody.tempo_bpm,
        key=music_pb2.KeyEstimate(
            tonic=melody.key.tonic,
            mode=_KEY_MODE_TO_PROTO.get(melody.key.mode, music_pb2.KEY_MODE_UNSPECIFIED),
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


def melody_from_proto(message: music_pb2.Melody) -> Melody:
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


def syllable_to_proto(syllable: Syllable) -> music_pb2.Syllable:
    return music_pb2.Syllable(
        text=syllable.text,
        note_index=syllable.note_index,
        note_count=syllable.note_count,
        phonemes=list(syllable.phonemes),
        stressed=syllable.stressed,
        starts_word=syllable.starts_word,
    )


def syllable_from_proto(message: music_pb2.Syllable) -> Syllable:
    return Syllable(
        text=message.text,
        note_index=message.note_index,
        note_count=message.note_count or 1,
        phonemes=tuple(message.phonemes),
        stressed=message.stressed,
        starts_word=message.starts_word,
    )


def lyrics_to_proto(lyrics: Lyrics) -> music_pb2.Lyrics:
    fit = lyrics.fit
    return music_pb2.Lyrics(
        lines=[
            music_pb2.LyricLine(
                text=line.text,
                phrase_index=line.phrase_index,
                rhyme_label=line.rhyme_label,
                user_written=line.user_written,
                syllables=[syllable_to_proto(syllable) for syllable in line.syllables],
            )
            for line in lyrics.lines
        ],
        provider=lyrics.provider,
        model=lyrics.model,
        fit=music_pb2.LyricsFit(
            syllable_match_rate=fit.syllable_match_rate,
            raw_syllable_match_rate=fit.raw_syllable_match_rate,
            raw_llm_fit=fit.raw_llm_fit,
            rhymes_requested=fit.rhymes_requested,
            rhymes_achieved=fit.rhymes_achieved,
            stress_on_strong_rate=fit.stress_on_strong_rate,
            llm_repair_requests=fit.llm_repair_requests,
            locally_repaired_lines=fit.locally_repaired_lines,
        ),
        warnings=list(lyrics.warnings),
        seed=lyrics.seed,
    )


def lyrics_from_proto(message: music_pb2.Lyrics) -> Lyrics:
    """The inverse of :func:`lyrics_to_proto`."""
    fit = message.fit
    return Lyrics(
        lines=tuple(
            LyricLine(
                text=line.text,
                syllables=tuple(syllable_from_proto(syllable) for syllable in line.syllables),
                phrase_index=line.phrase_index,
                rhyme_label=line.rhyme_label,
                user_written=line.user_written,
            )
            for line in message.lines
        ),
        provider=message.provider,
        model=message.model,
        fit=LyricsFit(
            syllable_match_rate=fit.syllable_match_rate,
            raw_syllable_match_rate=fit.raw_syllable_match_rate,
            raw_llm_fit=fit.raw_llm_fit,
            rhymes_requested=fit.rhymes_requested,
            rhymes_achieved=fit.rhymes_achieved,
            stress_on_strong_rate=fit.stress_on_strong_rate,
            llm_repair_requests=fit.llm_repair_requests,
            locally_repaired_lines=fit.locally_repaired_lines,
        ),
        seed=message.seed,
        warnings=tuple(message.warnings),
    )
