"""Training-data preparation: chunking, silence, loudness, captions, and hostile uploads.

The audio is made here: plucked-string notes of an A-minor arpeggio at 120 BPM.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from services.common.artifacts import LocalArtifactStore
from services.common.audio import decode_audio, encode_wav
from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database
from services.common.errors import InvalidInputError, ResourceLimitError
from services.registry.archives import UploadLimits
from services.registry.preparation import (
    MAX_CHUNK_S,
    SAMPLE_RATE_HZ,
    TARGET_RMS_DBFS,
    DatasetPreparer,
    sound_intervals,
)

SOURCE_RATE_HZ = 44_100
A_MINOR_ARPEGGIO_HZ = [220.0, 261.63, 329.63, 440.0, 329.63, 261.63]
LIMITS = UploadLimits(
    max_upload_bytes=40_000_000,
    max_uncompressed_bytes=40_000_000,
    max_members=10,
    max_compression_ratio=20.0,
)


def plucked_notes(duration_s: float, amplitude: float = 0.5, bpm: float = 120.0) -> np.ndarray:
    """Decaying harmonic notes, one per beat, cycling through an A-minor arpeggio."""
    t = np.arange(int(duration_s * SOURCE_RATE_HZ)) / SOURCE_RATE_HZ
    beat_s = 60.0 / bpm
    note_index = (t // beat_s).astype(int)
    since_onset_s = t - note_index * beat_s
    f0 = np.take(A_MINOR_ARPEGGIO_HZ, note_index % len(A_MINOR_ARPEGGIO_HZ))
    tone = sum(np.sin(2 * np.pi * k * f0 * since_onset_s) / k for k in range(1, 5))
    return (amplitude * tone * np.exp(-3.0 * since_onset_s) / 2).astype(np.float32)


def wav(samples: np.ndarray) -> bytes:
    return encode_wav(samples, SOURCE_RATE_HZ)


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def artifacts(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    database = Database(str(tmp_path / "registry.sqlite3"))
    database.migrate()
    return database


@pytest.fixture
def preparer(artifacts: LocalArtifactStore, sqlite_database: Database) -> DatasetPreparer:
    return DatasetPreparer(
        artifacts, DatasetRepository(sqlite_database), LIMITS, max_duration_s=200.0
    )


def test_a_long_recording_becomes_chunks_of_at_most_30_s_at_32_khz(
    preparer: DatasetPreparer, artifacts: LocalArtifactStore
) -> None:
    dataset = preparer.prepare(
        wav(plucked_notes(70.0)), name="arpeggio", filename="take1.wav", caption="arpeggio"
    )
    assert dataset.chunk_count == 3
    assert dataset.total_duration_s == pytest.approx(70.0, abs=0.5)
    assert dataset.sample_rate_hz == SAMPLE_RATE_HZ
    for index in range(3):
        audio = decode_audio(artifacts.get(f"{dataset.artifact_prefix}chunk_{index:04d}.wav"))
        assert audio.sample_rate_hz == SAMPLE_RATE_HZ
        assert 20.0 < audio.duration_s <= MAX_CHUNK_S
        rms_dbfs = 20 * np.log10(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2)))
        assert rms_dbfs == pytest.approx(TARGET_RMS_DBFS, abs=0.5)


def test_derived_captions_name_instrument_tempo_and_key(
    preparer: DatasetPreparer, artifacts: LocalArtifactStore
) -> None:
    dataset = preparer.prepare(
        wav(plucked_notes(12.0)), name="arpeggio", instrument="Telecaster guitar"
    )
    caption = artifacts.get(f"{dataset.artifact_prefix}chunk_0000.txt").decode()
    assert caption.startswith("Telecaster guitar, ")
    bpm = float(caption.split(", ")[1].removesuffix(" BPM"))
    assert bpm == pytest.approx(120.0, rel=0.05)
    assert caption.endswith("A minor") or caption.endswith("C major")  # relative keys


def test_a_given_caption_is_used_for_every_chunk(
    preparer: DatasetPreparer, artifacts: LocalArtifactStore
) -> None:
    dataset = preparer.prepare(
        wav(plucked_notes(40.0)), name="arpeggio", caption="twangy clean electric guitar"
    )
    captions = {
        artifacts.get(f"{dataset.artifact_prefix}chunk_{index:04d}.txt")
        for index in range(dataset.chunk_count)
    }
    assert captions == {b"twangy clean electric guitar"}
    assert dataset.caption == "twangy clean electric guitar"


def test_silence_is_dropped(preparer: DatasetPreparer) -> None:
    silence = np.zeros(10 * SOURCE_RATE_HZ, dtype=np.float32)
    hum = 1e-4 * np.random.default_rng(0).standard_normal(5 * SOURCE_RATE_HZ).astype(np.float32)
    recording = np.concatenate([silence, plucked_notes(8.0), hum, silence, plucked_notes(6.0)])
    dataset = preparer.prepare(wav(recording), name="gappy")
    assert dataset.chunk_count == 2
    assert dataset.total_duration_s == pytest.approx(14.0, abs=0.6)


def test_short_pauses_stay_inside_a_chunk() -> None:
    note = plucked_notes(3.0)
    pause = np.zeros(int(0.2 * SOURCE_RATE_HZ), dtype=np.float32)
    intervals = sound_intervals(np.concatenate([note, pause, note]), SOURCE_RATE_HZ)
    assert len(intervals) == 1


def test_a_silent_upload_is_refused(preparer: DatasetPreparer) -> None:
    with pytest.raises(InvalidInputError, match="no sound"):
        preparer.prepare(wav(np.zeros(5 * SOURCE_RATE_HZ, dtype=np.float32)), name="quiet")


def test_a_zip_of_recordings_is_prepared_with_its_sources(
    preparer: DatasetPreparer, artifacts: LocalArtifactStore
) -> None:
    upload = zip_of(
        {
            "licks/": b"",
            "licks/one.wav": wav(plucked_notes(5.0)),
            "licks/two.wav": wav(plucked_notes(4.0, amplitude=0.05)),
            "__MACOSX/licks/._one.wav": b"\x00\x05\x16\x07",
        }
    )
    dataset = preparer.prepare(upload, name="licks", filename="licks.zip")
    assert dataset.chunk_count == 2
    manifest = json.loads(artifacts.get(f"{dataset.artifact_prefix}manifest.json"))
    assert [chunk["source"] for chunk in manifest["chunks"]] == ["licks/one.wav", "licks/two.wav"]


@pytest.mark.parametrize(
    "name", ["../escape.wav", "/etc/cron.d/evil.wav", "C:/x.wav", "a/../../b.wav"]
)
def test_unsafe_member_paths_are_refused(preparer: DatasetPreparer, name: str) -> None:
    with pytest.raises(InvalidInputError, match="unsafe path"):
        preparer.prepare(zip_of({name: wav(plucked_notes(2.0))}), name="evil")


def test_non_audio_members_are_refused_by_name(preparer: DatasetPreparer) -> None:
    upload = zip_of({"one.wav": wav(plucked_notes(2.0)), "notes.txt": b"hello"})
    with pytest.raises(InvalidInputError, match=r"'notes\.txt' is not an audio file"):
        preparer.prepare(upload, name="mixed")


def test_undecodable_audio_is_refused_by_name_and_leaves_nothing(
    preparer: DatasetPreparer, artifacts: LocalArtifactStore, sqlite_database: Database
) -> None:
    upload = zip_of({"a.wav": wav(plucked_notes(3.0)), "b.wav": b"RIFF, but not really"})
    with pytest.raises(InvalidInputError, match=r"b\.wav"):
        preparer.prepare(upload, name="broken")
    assert artifacts.list("datasets/") == []
    assert DatasetRepository(sqlite_database).list_datasets() == []


def test_a_zip_bomb_is_refused_before_extraction(preparer: DatasetPreparer) -> None:
    upload = zip_of({"bomb.wav": bytes(30_000_000)})
    assert len(upload) < 100_000
    with pytest.raises(ResourceLimitError, match="zip bomb"):
        preparer.prepare(upload, name="bomb")


def test_a_zip_too_big_once_extracted_is_refused(
    artifacts: LocalArtifactStore, sqlite_database: Database
) -> None:
    small_limits = UploadLimits(
        max_upload_bytes=10_000_000,
        max_uncompressed_bytes=1_000_000,
        max_members=10,
        max_compression_ratio=1000.0,
    )
    preparer = DatasetPreparer(artifacts, DatasetRepository(sqlite_database), small_limits, 60)
    upload = zip_of({"long.wav": wav(plucked_notes(20.0))}, method=zipfile.ZIP_STORED)
    with pytest.raises(ResourceLimitError, match="extracts to"):
        preparer.prepare(upload, name="big")


def test_too_many_members_are_refused(preparer: DatasetPreparer) -> None:
    upload = zip_of({f"take_{n}.wav": b"" for n in range(11)})
    with pytest.raises(ResourceLimitError, match="11 entries"):
        preparer.prepare(upload, name="many")


def test_too_much_audio_is_refused(
    artifacts: LocalArtifactStore, sqlite_database: Database
) -> None:
    preparer = DatasetPreparer(artifacts, DatasetRepository(sqlite_database), LIMITS, 10.0)
    with pytest.raises(ResourceLimitError, match="more than 10 s"):
        preparer.prepare(wav(plucked_notes(12.0)), name="long")


def test_an_oversized_upload_is_refused(preparer: DatasetPreparer) -> None:
    with pytest.raises(ResourceLimitError, match="the limit is"):
        preparer.prepare(bytes(LIMITS.max_upload_bytes + 1), name="huge")


@pytest.mark.parametrize("bad_name", ["../up", "Has Space", "", "x" * 65, "a;drop"])
def test_dataset_names_are_validated(preparer: DatasetPreparer, bad_name: str) -> None:
    with pytest.raises(InvalidInputError):
        preparer.prepare(wav(plucked_notes(2.0)), name=bad_name)
