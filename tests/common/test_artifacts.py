"""The artifact store contract, run against local files and against S3 (a real moto server
on 127.0.0.1, reached through real boto3)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.common.artifacts import (
    ArtifactStore,
    LocalArtifactStore,
    S3ArtifactStore,
    artifact_store_from_settings,
    download_prefix,
)
from services.common.errors import InvalidInputError, NotFoundError
from services.common.settings import Settings
from tests.support.s3 import TEST_CREDENTIALS, running_s3_server, s3_client

_bucket_numbers = itertools.count()


@pytest.fixture(scope="module")
def moto_endpoint_url() -> Iterator[str]:
    with running_s3_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dummy credentials for moto; never let a test pick up real ones.
    for name, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _new_s3_store(endpoint_url: str) -> S3ArtifactStore:
    client = s3_client(endpoint_url)
    store = S3ArtifactStore(f"artifacts-{next(_bucket_numbers)}", endpoint_url, client=client)
    store.create_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    return _new_s3_store(request.getfixturevalue("moto_endpoint_url"))


def test_put_then_get_returns_the_same_bytes(store: ArtifactStore) -> None:
    payload = bytes(range(256)) * 10
    store.put("takes/take_1/mix.wav", payload, content_type="audio/wav")
    assert store.get("takes/take_1/mix.wav") == payload
    assert store.exists("takes/take_1/mix.wav")


def test_put_replaces_what_was_stored(store: ArtifactStore) -> None:
    store.put("notes.txt", b"first")
    store.put("notes.txt", b"second, longer")
    assert store.get("notes.txt") == b"second, longer"
    assert [info.size_bytes for info in store.list("notes")] == [len(b"second, longer")]


def test_empty_objects_are_kept(store: ArtifactStore) -> None:
    store.put("empty.bin", b"")
    assert store.exists("empty.bin")
    assert store.get("empty.bin") == b""


def test_missing_key_is_not_found(store: ArtifactStore) -> None:
    assert not store.exists("nothing/here.wav")
    with pytest.raises(NotFoundError):
        store.get("nothing/here.wav")
    with pytest.raises(NotFoundError):
        store.local_path("nothing/here.wav")


def test_a_directory_like_prefix_is_not_an_object(store: ArtifactStore) -> None:
    store.put("jobs/7/checkpoints/latest.pt", b"state")
    assert not store.exists("jobs/7")
    with pytest.raises(NotFoundError):
        store.get("jobs/7")


def test_delete_removes_one_key_and_is_idempotent(store: ArtifactStore) -> None:
    store.put("a/one", b"1")
    store.put("a/two", b"2")
    store.delete("a/one")
    store.delete("a/one")
    assert not store.exists("a/one")
    assert store.get("a/two") == b"2"


def test_list_filters_by_string_prefix_and_sorts_by_key(store: ArtifactStore) -> None:
    for key in ["jobs/12/b", "jobs/12/a", "jobs/123/a", "jobs/2/a", "datasets/x/c.wav"]:
        store.put(key, b"xyz")
    assert [info.key for info in store.list("jobs/12/")] == ["jobs/12/a", "jobs/12/b"]
    assert [info.key for info in store.list("jobs/12")] == ["jobs/12/a", "jobs/12/b", "jobs/123/a"]
    assert [info.key for info in store.list("")] == [
        "datasets/x/c.wav",
        "jobs/12/a",
        "jobs/12/b",
        "jobs/123/a",
        "jobs/2/a",
    ]
    assert store.list("nope/") == []


def test_list_reports_size_and_a_recent_utc_modification_time(store: ArtifactStore) -> None:
    store.put("sized/blob", b"x" * 1234)
    (info,) = store.list("sized/")
    assert info.size_bytes == 1234
    assert info.modified_at.tzinfo is not None
    assert abs(datetime.now(UTC) - info.modified_at) < timedelta(minutes=1)


def test_delete_prefix_removes_only_that_prefix(store: ArtifactStore) -> None:
    for index in range(5):
        store.put(f"jobs/1/checkpoints/step_{index}", b"s")
    store.put("jobs/2/checkpoints/step_0", b"s")
    assert store.delete_prefix("jobs/1/") == 5
    assert [info.key for info in store.list("jobs/")] == ["jobs/2/checkpoints/step_0"]
    assert store.delete_prefix("jobs/1/") == 0


def test_delete_older_than_expires_by_age(store: ArtifactStore) -> None:
    store.put("takes/old/mix.wav", b"a")
    store.put("takes/new/mix.wav", b"b")
    store.put("keep/me", b"c")
    assert store.delete_older_than("takes/", max_age_s=3600) == 0

    two_hours_later = datetime.now(UTC) + timedelta(hours=2)
    assert store.delete_older_than("takes/", max_age_s=3600, now=two_hours_later) == 2
    assert [info.key for info in store.list("")] == ["keep/me"]


@pytest.mark.parametrize(
    "bad_key",
    [
        "",
        "/etc/passwd",
        "../outside",
        "a/../../outside",
        "a/./b",
        "a//b",
        "trailing/",
        ".hidden",
        "a/.tmp-123",
        "back\\slash",
        "with space",
        "new\nline",
        "nul\x00byte",
        "ümlaut",
        "x" * 600,
    ],
)
def test_malformed_keys_are_refused(store: ArtifactStore, bad_key: str) -> None:
    with pytest.raises(InvalidInputError):
        store.put(bad_key, b"data")
    with pytest.raises(InvalidInputError):
        store.get(bad_key)
    with pytest.raises(InvalidInputError):
        store.delete(bad_key)


@pytest.mark.parametrize("bad_prefix", ["/", "/etc", "../", "a/../", ".", "a/.", "a b"])
def test_malformed_prefixes_are_refused(store: ArtifactStore, bad_prefix: str) -> None:
    with pytest.raises(InvalidInputError):
        store.list(bad_prefix)
    with pytest.raises(InvalidInputError):
        store.delete_prefix(bad_prefix)


def test_download_prefix_recreates_the_files_below_the_prefix(
    store: ArtifactStore, tmp_path: Path
) -> None:
    store.put("datasets/ds_1/chunk_0.wav", b"wav0")
    store.put("datasets/ds_1/chunk_0.txt", b"caption")
    store.put("datasets/ds_2/chunk_0.wav", b"other")
    written = download_prefix(store, "datasets/ds_1/", tmp_path / "out")
    assert sorted(path.name for path in written) == ["chunk_0.txt", "chunk_0.wav"]
    assert (tmp_path / "out" / "chunk_0.wav").read_bytes() == b"wav0"


def test_local_store_gives_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    store.put("takes/t1/mix.wav", b"RIFF")
    path = store.local_path("takes/t1/mix.wav")
    assert path is not None and path.read_bytes() == b"RIFF"
    assert os.listdir(tmp_path / "takes" / "t1") == ["mix.wav"]


def test_local_store_ignores_stray_temporary_files(tmp_path: Path) -> None:
    # What a crash mid-write leaves behind must never be listed as an artifact.
    store = LocalArtifactStore(tmp_path)
    store.put("takes/t1/mix.wav", b"RIFF")
    (tmp_path / "takes" / "t1" / ".tmp-abandoned").write_bytes(b"half")
    assert [info.key for info in store.list("takes/")] == ["takes/t1/mix.wav"]


def test_local_store_removes_directories_emptied_by_deletes(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "root")
    store.put("jobs/9/checkpoints/latest", b"s")
    store.delete_prefix("jobs/9/")
    assert list((tmp_path / "root").iterdir()) == []


def test_s3_store_has_no_local_files(moto_endpoint_url: str) -> None:
    store = _new_s3_store(moto_endpoint_url)
    store.put("k", b"v")
    assert store.local_path("k") is None


def test_settings_choose_local_files_by_default(tmp_path: Path) -> None:
    store = artifact_store_from_settings(Settings(data_dir=tmp_path))
    store.put("a/b", b"c")
    assert (tmp_path / "artifacts" / "a" / "b").read_bytes() == b"c"


@pytest.mark.usefixtures("aws_environment")
def test_settings_choose_s3_when_a_bucket_is_set(moto_endpoint_url: str) -> None:
    settings = Settings(s3_bucket="from-settings", s3_endpoint_url=moto_endpoint_url)
    store = artifact_store_from_settings(settings)
    assert isinstance(store, S3ArtifactStore)
    store.create_bucket()
    store.put("a/b", b"c")
    assert store.get("a/b") == b"c"
