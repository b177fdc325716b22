"""The library at the core, in process: one line per job, no server, no gRPC."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile

import expert_music
from expert_music import NoMelodyError, extract_melody, melody_to_midi, melody_to_vocals
from services.common.errors import InvalidInputError, PreconditionError

EXAMPLE_HUM = Path(__file__).resolve().parents[2] / "examples" / "twinkle-hum.flac"
TWINKLE_PITCHES = [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]


def test_a_hummed_file_becomes_its_notes_in_one_line() -> None:
    melody = extract_melody(EXAMPLE_HUM)

    assert [note.midi_pitch for note in melody.notes] == TWINKLE_PITCHES
    assert melody.engine == "swift"
    assert len(melody.phrases) == 2


def test_the_files_bytes_and_a_path_as_text_give_the_same_melody() -> None:
    from_bytes = extract_melody(EXAMPLE_HUM.read_bytes())
    from_text = extract_melody(str(EXAMPLE_HUM))

    assert from_bytes.notes == from_text.notes


def test_the_melody_as_midi_holds_the_same_notes() -> None:
    melody = extract_melody(EXAMPLE_HUM)

    score = pretty_midi.PrettyMIDI(io.BytesIO(melody_to_midi(melody)))

    assert [note.pitch for note in score.instruments[0].notes] == TWINKLE_PITCHES


def test_a_file_that_is_not_there_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"nowhere\.wav is not a file"):
        extract_melody(tmp_path / "nowhere.wav")


def test_bytes_that_are_not_audio_are_refused_as_input() -> None:
    with pytest.raises(ValueError, match="audio"):
        extract_melody(b"this is a text file, not a recording")


def test_silence_has_no_melody_to_sing(tmp_path: Path) -> None:
    silence = tmp_path / "silence.wav"
    soundfile.write(silence, np.zeros(16_000 * 2, dtype=np.float32), 16_000)

    assert extract_melody(silence).notes == []
    with pytest.raises(NoMelodyError, match="no melody was found") as raised:
        melody_to_vocals(silence)
    assert isinstance(raised.value, PreconditionError)


def test_a_hum_is_sung_back_with_words_on_every_note(tmp_path: Path) -> None:
    stages: list[str] = []

    vocals = melody_to_vocals(EXAMPLE_HUM, theme="stars", seed=7, on_stage=stages.append)

    assert stages == ["pitch", "lyrics", "synth"]
    assert [note.midi_pitch for note in vocals.melody.notes] == TWINKLE_PITCHES
    assert len(vocals.lyrics.lines) == 2
    assert sum(s.note_count for s in vocals.lyrics.syllables) == len(TWINKLE_PITCHES)
    samples, sample_rate_hz = soundfile.read(vocals.save(tmp_path / "out.wav"))
    assert len(samples) / sample_rate_hz == pytest.approx(vocals.summary.duration_s, abs=0.01)
    assert vocals.summary.duration_s > 6.0
    assert vocals.media_type == "audio/wav"
    assert set(vocals.timings_s) == {"pitch", "lyrics", "synth", "total"}
    # The same words with the same seed: the library is the lyrics service's own writer.
    again = expert_music.write_lyrics(vocals.melody, theme="stars", seed=7)
    assert again.text == vocals.lyrics.text


def test_an_unknown_synth_engine_is_refused_with_the_choices() -> None:
    melody = extract_melody(EXAMPLE_HUM)
    lyrics = expert_music.write_lyrics(melody, user_lyrics="la " * len(melody.notes))

    with pytest.raises(InvalidInputError, match="choose one of: local, bark, musicgen-melody"):
        expert_music.sing(melody, lyrics, engine="theremin")
