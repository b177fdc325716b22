"""The take store: records and audio in the artifact store, ids checked, expiry enforced."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile
from expertmusic.music.v1 import music_pb2
from expertmusic.studio.v1 import studio_pb2

from services.common.artifacts import LocalArtifactStore
from services.common.audio import encode_wav
from services.common.errors import InvalidInputError, NotFoundError
from services.studio.takes import TakeStore, new_take_id, take_score

WAV = encode_wav(np.sin(np.linspace(0, 400, 8000)).astype(np.float32) * 0.5, 8000)


def saved_take(store: TakeStore) -> studio_pb2.Take:
    take = studio_pb2.Take(
        take_id=new_take_id(),
        melody=music_pb2.Melody(
            notes=[
                music_pb2.Note(onset_s=0.0, duration_s=0.5, midi_pitch=60),
                music_pb2.Note(onset_s=0.5, duration_s=0.5, midi_pitch=62),
                music_pb2.Note(onset_s=1.0, duration_s=0.5, midi_pitch=64),
            ]
        ),
        lyrics=music_pb2.Lyrics(
            lines=[
                music_pb2.LyricLine(
                    text="hap py",
                    syllables=[
                        music_pb2.Syllable(
                            text="hap", note_index=0, note_count=2, starts_word=True
                        ),
                        music_pb2.Syllable(text="py", note_index=2),
                    ],
                )
            ]
        ),
    )
    store.save_audio(take.take_id, WAV)
    return store.save_record(take)


def test_a_saved_take_loads_back_with_its_audio_in_either_format(tmp_path: Path) -> None:
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    take = saved_take(store)
    assert store.load(take.take_id) == take
    wav, media_type = store.audio(take)
    assert (wav, media_type) == (WAV, "audio/wav")
    flac, media_type = store.audio(take, "flac")
    assert media_type == "audio/flac"
    assert soundfile.info(io.BytesIO(flac)).frames == soundfile.info(io.BytesIO(WAV)).frames


def test_a_flac_recording_is_served_as_the_same_type_as_flac_audio(tmp_path: Path) -> None:
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    take = saved_take(store)
    flac_recording = io.BytesIO()
    soundfile.write(flac_recording, soundfile.read(io.BytesIO(WAV))[0], 8000, format="FLAC")
    store.save_recording(take.take_id, flac_recording.getvalue())

    _, recording_type = store.recording(take)
    _, audio_type = store.audio(take, "flac")
    assert recording_type == audio_type == "audio/flac"


def test_a_takes_score_is_its_notes_and_the_syllables_on_them(tmp_path: Path) -> None:
    take = saved_take(TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60))
    melody, syllables = take_score(take)
    assert [note.midi_pitch for note in melody.notes] == [60, 62, 64]
    assert [(s.text, s.note_index, s.note_count, s.starts_word) for s in syllables] == [
        ("hap", 0, 2, True),
        ("py", 2, 1, False),
    ]


def test_an_expired_take_is_gone_for_readers_and_swept_from_storage(tmp_path: Path) -> None:
    artifacts = LocalArtifactStore(tmp_path)
    take = saved_take(TakeStore(artifacts, time_to_live_s=-1))  # expired on arrival
    with pytest.raises(NotFoundError, match="expired"):
        TakeStore(artifacts, time_to_live_s=60).load(take.take_id)
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert artifacts.delete_older_than("takes/", 60, now=later) == 2
    assert artifacts.list("takes/") == []


@pytest.mark.parametrize("take_id", ["../../etc/passwd", "ABC", "0" * 31, "g" * 32, ""])
def test_malformed_take_ids_are_refused_before_touching_storage(
    tmp_path: Path, take_id: str
) -> None:
    with pytest.raises(InvalidInputError, match="not a take id"):
        TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60).load(take_id)


def test_a_take_id_in_upper_case_names_the_same_take(tmp_path: Path) -> None:
    """Hexadecimal is hexadecimal in either case (a person may copy an id from a log
    that upper-cases it)."""
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    take = saved_take(store)
    assert store.load(take.take_id.upper()) == take
    assert store.delete(take.take_id.upper()) == 2
    with pytest.raises(NotFoundError):
        store.load(take.take_id)


def test_unknown_take_and_unknown_format_are_clear(tmp_path: Path) -> None:
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    with pytest.raises(NotFoundError, match="no take"):
        store.load(new_take_id())
    take = saved_take(store)
    with pytest.raises(InvalidInputError, match="wav, flac"):
        store.audio(take, "mp3")
