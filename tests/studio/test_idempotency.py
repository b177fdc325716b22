"""Idempotency-Key: a retry gets the first request's take, never a second take."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path

import pytest
from expertmusic.studio.v1 import studio_pb2

from services.common.artifacts import LocalArtifactStore
from services.common.errors import InvalidInputError
from services.studio.idempotency import IdempotencyKeys, request_digest
from services.studio.takes import TakeStore, new_take_id


def forever() -> float | None:
    return None


def no_grpc_deadline() -> float | None:
    return 1e300  # what grpc's time_remaining() says of a call without a deadline


@pytest.fixture
def store(tmp_path: Path) -> tuple[TakeStore, IdempotencyKeys]:
    artifacts = LocalArtifactStore(tmp_path)
    return TakeStore(artifacts, time_to_live_s=60), IdempotencyKeys(artifacts, time_to_live_s=60)


def make_take(takes: TakeStore, owner: str = "alice") -> str:
    take_id = new_take_id()
    takes.save_record(studio_pb2.Take(take_id=take_id, owner=owner))
    return take_id


def test_a_retry_with_the_same_key_finds_the_first_take(
    store: tuple[TakeStore, IdempotencyKeys],
) -> None:
    takes, keys = store
    digest = request_digest(b"hum", studio_pb2.VocalsOptions(theme="rain"))
    with keys.request("alice", "upload-7", digest, forever) as first:
        assert first.take_id == ""
        take_id = make_take(takes)
        first.remember(take_id)
    with keys.request("alice", "upload-7", digest, no_grpc_deadline) as retry:
        assert retry.take_id == take_id
    # Another client's key of the same text is another key.
    with keys.request("bob", "upload-7", digest, forever) as bobs:
        assert bobs.take_id == ""


def test_a_request_without_a_key_or_whose_first_try_failed_makes_a_new_take(
    store: tuple[TakeStore, IdempotencyKeys],
) -> None:
    takes, keys = store
    with keys.request("alice", "", "d", forever) as no_key:
        assert no_key.take_id == ""
        no_key.remember(make_take(takes))
    with pytest.raises(RuntimeError), keys.request("alice", "k-1", "d", forever):
        raise RuntimeError("the synth failed")
    with keys.request("alice", "k-1", "d", forever) as retry:
        assert retry.take_id == ""


def test_a_key_reused_for_another_request_or_malformed_is_refused(
    store: tuple[TakeStore, IdempotencyKeys],
) -> None:
    takes, keys = store
    first = request_digest(b"hum", studio_pb2.VocalsOptions())
    other = request_digest(b"hum", studio_pb2.VocalsOptions(voice="festival"))
    assert first != other
    with keys.request("alice", "k-2", first, forever) as earlier:
        earlier.remember(make_take(takes))
    with (
        pytest.raises(InvalidInputError, match="different request"),
        keys.request("alice", "k-2", other, forever),
    ):
        pass
    for malformed in ("has space", "x" * 256, "caf\u00e9"):
        with (
            pytest.raises(InvalidInputError, match="1-255 visible ASCII"),
            keys.request("alice", malformed, first, forever),
        ):
            pass


def test_a_retry_while_the_first_still_runs_waits_and_gets_its_take(
    store: tuple[TakeStore, IdempotencyKeys],
) -> None:
    takes, keys = store
    first_inside = threading.Event()
    finish_first = threading.Event()
    made: list[str] = []

    def first_request() -> None:
        with keys.request("alice", "k-3", "d", forever) as earlier:
            first_inside.set()
            finish_first.wait(5)
            made.append(make_take(takes))
            earlier.remember(made[0])

    first = threading.Thread(target=first_request)
    first.start()
    first_inside.wait(5)
    found: list[str] = []
    retry = threading.Thread(
        target=lambda: found.append(_take_found(keys, "alice", "k-3", "d", forever))
    )
    retry.start()
    time.sleep(0.1)
    assert not found, "the retry must wait for the first request"
    finish_first.set()
    first.join(5)
    retry.join(5)
    assert found == made

    deadline = time.monotonic() + 0.2
    with (
        keys.request("alice", "k-4", "d", forever),
        pytest.raises(TimeoutError, match="still running"),
    ):
        _take_found(keys, "alice", "k-4", "d", lambda: deadline - time.monotonic())


def _take_found(
    keys: IdempotencyKeys,
    client: str,
    key: str,
    digest: str,
    remaining: Callable[[], float | None],
) -> str:
    with keys.request(client, key, digest, remaining) as earlier:
        return earlier.take_id


def test_the_take_is_remembered_even_if_the_caller_stops_reading_at_it(
    store: tuple[TakeStore, IdempotencyKeys],
) -> None:
    """CreateTake returns at the take event and drops the rest of the stream."""
    takes, keys = store

    def events() -> Generator[str, None, None]:
        with keys.request("alice", "k-5", "d", forever) as earlier:
            take_id = make_take(takes)
            earlier.remember(take_id)
            yield take_id
            yield "progress after the take"

    stream = events()
    made = next(stream)
    stream.close()
    with keys.request("alice", "k-5", "d", forever) as retry:
        assert retry.take_id == made
