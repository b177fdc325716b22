"""``Idempotency-Key``: a retried upload gets the take its first try made, not a second one.

A client that lost the answer to ``POST /melody-to-vocals`` (or ``MelodyToVocals`` /
``StreamTake``) sends the same request again with the same ``Idempotency-Key`` header
(gRPC metadata ``idempotency-key``). The first request that completes remembers which
take it made under the key; a later one with the key gets that take back without any
work. Keys belong to the client that sent them (another client's key of the same text
is another key), and are remembered as long as takes are kept.

- While the first request still runs, a retry in the same studio waits for it (up to its
  own deadline) and gets its take; if the first one fails, the retry runs afresh.
- A key reused for a different request (another recording or other options) is refused
  (INVALID_ARGUMENT): the client is confused, and guessing which take it wants is wrong.
- Deleting a take forgets its key.

Stored as ``idempotency/<sha256(client, key)>`` (the take id and a digest of the request)
with a back-reference ``takes/<take_id>/idempotency-key``, so the key goes with the take.
Between several studio replicas two retries racing within a take's making may both run
(nothing shared holds a lock); the key then names the later one.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from expertmusic.studio.v1 import studio_pb2

from services.common.artifacts import ArtifactStore
from services.common.errors import InvalidInputError, NotFoundError
from services.studio.takes import TAKES_PREFIX

#: The gRPC metadata key of the header (the gateway passes HTTP headers on as metadata).
IDEMPOTENCY_KEY_METADATA_KEY = "idempotency-key"
#: Visible ASCII, as HTTP header values allow, and not so long as to be a payload.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
INDEX_PREFIX = "idempotency/"
BACK_REFERENCE_FILE = "idempotency-key"


def request_digest(audio: bytes, options: studio_pb2.VocalsOptions) -> str:
    """What makes two take requests the same: the recording's bytes and the options."""
    digest = hashlib.sha256(audio)
    digest.update(options.SerializeToString(deterministic=True))
    return digest.hexdigest()


@dataclass
class Earlier:
    """What a request with an Idempotency-Key found, and how it records its own take."""

    #: The take an earlier request with this key made, or "" (then make one).
    take_id: str = ""
    #: Stores "this key made that take" (nothing without a key).
    record: Callable[[str], None] = field(default=lambda take_id: None)

    def remember(self, take_id: str) -> None:
        """Called with the id of the take this request made, as soon as it is stored (the
        caller may stop reading the events right after)."""
        self.record(take_id)


class IdempotencyKeys:
    """The takes made under each client's Idempotency-Keys."""

    def __init__(self, artifacts: ArtifactStore, time_to_live_s: float) -> None:
        self._artifacts = artifacts
        self._time_to_live_s = time_to_live_s
        self._locks: dict[str, threading.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._guard = threading.Lock()

    @contextmanager
    def request(
        self,
        client: str,
        key: str,
        digest: str,
        time_remaining_s: Callable[[], float | None],
    ) -> Iterator[Earlier]:
        """Holds ``client``'s ``key`` for one request (no key: nothing is held).

        Raises:
            InvalidInputError: the key is malformed, or was used for another request.
            TimeoutError: the caller's deadline passed while another request with the key
                was still running.
        """
        if not key:
            yield Earlier()
            return
        if not KEY_PATTERN.fullmatch(key):
            raise InvalidInputError(
                "an Idempotency-Key is 1-255 visible ASCII characters (a UUID, say)"
            )
        scoped = hashlib.sha256(client.encode() + b"\0" + key.encode()).hexdigest()
        index = f"{INDEX_PREFIX}{scoped}"

        def record(take_id: str) -> None:
            entry = {"take_id": take_id, "request_digest": digest}
            self._artifacts.put(index, json.dumps(entry).encode(), "application/json")
            self._artifacts.put(
                f"{TAKES_PREFIX}{take_id}/{BACK_REFERENCE_FILE}", index.encode(), "text/plain"
            )

        with self._held(index, time_remaining_s):
            yield Earlier(take_id=self._lookup(index, digest), record=record)

    def forget(self, take_id: str) -> None:
        """Forgets the key a take was made under (before the take is deleted)."""
        back_reference = f"{TAKES_PREFIX}{take_id}/{BACK_REFERENCE_FILE}"
        try:
            index = self._artifacts.get(back_reference).decode()
        except NotFoundError:
            return
        if index.startswith(INDEX_PREFIX):
            self._artifacts.delete(index)

    def delete_expired(self) -> int:
        """Forgets keys older than takes live; returns how many."""
        return self._artifacts.delete_older_than(INDEX_PREFIX, self._time_to_live_s)

    def _lookup(self, index: str, digest: str) -> str:
        try:
            record = json.loads(self._artifacts.get(index))
        except NotFoundError:
            return ""
        if not self._artifacts.exists(f"{TAKES_PREFIX}{record['take_id']}/take.json"):
            return ""  # deleted or expired: the key is free again
        if record["request_digest"] != digest:
            raise InvalidInputError(
                "this Idempotency-Key was already used for a different request (another"
                " recording or other options); send a new key for a new take"
            )
        return str(record["take_id"])

    @contextmanager
    def _held(self, index: str, time_remaining_s: Callable[[], float | None]) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(index, threading.Lock())
            self._waiting[index] = self._waiting.get(index, 0) + 1
        try:
            remaining_s = time_remaining_s()
            # gRPC reports "no deadline" as an enormous number of seconds.
            forever = remaining_s is None or remaining_s >= threading.TIMEOUT_MAX
            if not lock.acquire(timeout=-1 if forever else max(remaining_s or 0.0, 0.0)):
                raise TimeoutError(
                    "a request with the same Idempotency-Key is still running; try again later"
                )
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                self._waiting[index] -= 1
                if not self._waiting[index]:
                    del self._waiting[index], self._locks[index]
