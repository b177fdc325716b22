"""A take belongs to the client that made it; deleting it removes every file of it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from expertmusic.studio.v1 import studio_pb2

from services.common.artifacts import LocalArtifactStore
from services.common.errors import NotFoundError
from services.studio.idempotency import IdempotencyKeys
from services.studio.takes import TakeStore, new_take_id
from tests.studio.test_takes import WAV


def take_of(store: TakeStore, owner: str) -> str:
    take_id = new_take_id()
    store.save_recording(take_id, WAV)
    store.save_audio(take_id, WAV)
    store.save_record(studio_pb2.Take(take_id=take_id, owner=owner))
    return take_id


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


def test_another_clients_take_is_not_found_as_if_it_did_not_exist(tmp_path: Path) -> None:
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    alices = take_of(store, "alice")
    assert store.load(alices, "alice").owner == "alice"
    unknown_id = new_take_id()
    with pytest.raises(NotFoundError) as refused:
        store.load(alices, "bob")
    with pytest.raises(NotFoundError) as unknown:
        store.load(unknown_id, "bob")
    # The same words: Bob cannot tell Alice's take from no take at all.
    assert str(refused.value).replace(alices, "?") == str(unknown.value).replace(unknown_id, "?")
    assert store.load(alices).take_id == alices  # the service itself sees every take


def test_a_client_lists_its_own_takes_only(tmp_path: Path) -> None:
    store = TakeStore(LocalArtifactStore(tmp_path), time_to_live_s=60)
    mine = []
    for _ in range(5):
        mine.append(take_of(store, "alice"))
        take_of(store, "bob")
        time.sleep(0.01)  # distinct modification times, newest first
    pages, token = [], ""
    while True:
        page, token = store.list_page(2, token, owner="alice")
        pages.append([take.take_id for take in page])
        if not token:
            break
    listed = [take_id for page in pages for take_id in page]
    assert listed == mine[::-1]
    assert {take.owner for take in store.list_page(100, "", owner="bob")[0]} == {"bob"}
    assert store.list_page(100, "", owner="carol")[0] == []


def test_deleting_a_take_removes_every_file_of_it_and_its_key(tmp_path: Path) -> None:
    artifacts = LocalArtifactStore(tmp_path)
    store = TakeStore(artifacts, time_to_live_s=60)
    keys = IdempotencyKeys(artifacts, time_to_live_s=60)
    kept = take_of(store, "alice")
    files_before = files_under(tmp_path)
    with keys.request("alice", "retry-1", "digest", lambda: None) as earlier:
        take_id = take_of(store, "alice")
        earlier.remember(take_id)
    with pytest.raises(NotFoundError):
        store.delete(take_id, "bob")
    keys.forget(take_id)
    assert store.delete(take_id, "alice") == 4  # record, audio, recording, key reference
    assert files_under(tmp_path) == files_before
    with pytest.raises(NotFoundError):
        store.load(take_id)
    # The key is free again: a new request under it makes a new take.
    with keys.request("alice", "retry-1", "other digest", lambda: None) as earlier:
        assert earlier.take_id == ""
    assert store.load(kept, "alice").take_id == kept
