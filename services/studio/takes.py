"""Stored takes: a take's record (melody, lyrics, timings, engines), its audio and the
recording it was made from.

Each take lives under ``takes/<take_id>/`` in the artifact store (a local directory by
default, S3-compatible storage when several studio pods share takes): ``take.json`` (the
``Take`` message as JSON, readable by people and tools), ``vocals.wav`` and
``recording`` (the upload as it came, so the take can be played beside it and revised
later without uploading again). Takes older than the configured time to live are deleted,
every file of them, by :meth:`TakeStore.delete_expired`.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import soundfile
from expertmusic.studio.v1 import studio_pb2
from google.protobuf import json_format

from services.common.artifacts import ArtifactStore
from services.common.convert import lyrics_from_proto, melody_from_proto
from services.common.errors import InvalidInputError, NotFoundError
from services.common.media_types import AUDIO_MEDIA_TYPES, sniff_media_type
from services.common.music import Melody, Syllable

TAKE_ID_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")
TAKES_PREFIX = "takes/"
#: The formats a take's sung audio is offered in (``/audio?format=``).
TAKE_AUDIO_FORMATS = ("wav", "flac")
RECORD_FILE = "take.json"
RECORDING_FILE = "recording"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def new_take_id() -> str:
    return uuid.uuid4().hex


def checked_take_id(take_id: str) -> str:
    """The id, in lower case (as it is stored), if it is well-formed: 32 hexadecimal
    digits in either case. Ids are also artifact keys, so nothing else gets in."""
    if not TAKE_ID_PATTERN.fullmatch(take_id):
        raise InvalidInputError(f"{take_id[:64]!r} is not a take id (32 hexadecimal characters)")
    return take_id.lower()


class TakeStore:
    def __init__(self, artifacts: ArtifactStore, time_to_live_s: float) -> None:
        self._artifacts = artifacts
        self._time_to_live_s = time_to_live_s

    def save_audio(self, take_id: str, wav: bytes) -> None:
        """Stores a take's audio; done before save_record so no record points at nothing."""
        key = f"{TAKES_PREFIX}{checked_take_id(take_id)}/vocals.wav"
        self._artifacts.put(key, wav, AUDIO_MEDIA_TYPES["wav"])

    def save_recording(self, take_id: str, recording: bytes) -> None:
        """Stores the upload a take was made from, byte for byte (before save_record)."""
        key = f"{TAKES_PREFIX}{checked_take_id(take_id)}/{RECORDING_FILE}"
        self._artifacts.put(key, recording, sniff_media_type(recording))

    def recording(self, take: studio_pb2.Take) -> tuple[bytes, str]:
        """The recording a take was made from, as (bytes, media type); ``take`` is a
        record from :meth:`load`, which checked that it is there, the caller's and not
        expired."""
        data = self._artifacts.get(f"{TAKES_PREFIX}{take.take_id}/{RECORDING_FILE}")
        return data, sniff_media_type(data)

    def save_record(self, take: studio_pb2.Take) -> studio_pb2.Take:
        """Stores the take's record, stamping created_at and expires_at."""
        created_at = datetime.now(UTC)
        take.created_at.FromDatetime(created_at)
        take.expires_at.FromDatetime(created_at + timedelta(seconds=self._time_to_live_s))
        self._artifacts.put(
            f"{TAKES_PREFIX}{checked_take_id(take.take_id)}/take.json",
            json_format.MessageToJson(take, preserving_proto_field_name=True).encode(),
            "application/json",
        )
        return take

    def load(self, take_id: str, owner: str | None = None) -> studio_pb2.Take:
        """The take's record; with ``owner``, only if the take is that client's.

        Raises NotFoundError for an unknown or expired take, and for another client's
        (with the same words: whether a take exists is nobody else's business).
        """
        key = f"{TAKES_PREFIX}{checked_take_id(take_id)}/take.json"
        try:
            record = self._artifacts.get(key)
        except NotFoundError:
            raise NotFoundError(f"there is no take {take_id} (takes expire)") from None
        take = json_format.Parse(record, studio_pb2.Take(), ignore_unknown_fields=True)
        if owner is not None and take.owner != owner:
            raise NotFoundError(f"there is no take {take_id} (takes expire)")
        if take.expires_at.ToDatetime(tzinfo=UTC) < datetime.now(UTC):
            raise NotFoundError(f"take {take_id} has expired")
        return take

    def delete(self, take_id: str, owner: str | None = None) -> int:
        """Deletes every file of the take (record, sung audio, recording, anything else
        stored under it); returns how many. Raises NotFoundError as :meth:`load` does."""
        take = self.load(take_id, owner)
        return self._artifacts.delete_prefix(f"{TAKES_PREFIX}{take.take_id}/")

    def audio(self, take: studio_pb2.Take, file_format: str = "wav") -> tuple[bytes, str]:
        """The take's audio as (bytes, media type), converted to ``file_format``; ``take``
        is a record from :meth:`load` (see :meth:`recording`).

        Raises InvalidInputError for a format that is not offered.
        """
        file_format = file_format or "wav"
        if file_format not in TAKE_AUDIO_FORMATS:
            raise InvalidInputError(
                f"format {file_format!r} is not offered; choose one of: "
                + ", ".join(TAKE_AUDIO_FORMATS)
            )
        wav = self._artifacts.get(f"{TAKES_PREFIX}{take.take_id}/vocals.wav")
        if file_format == "wav":
            return wav, AUDIO_MEDIA_TYPES["wav"]
        samples, sample_rate_hz = soundfile.read(io.BytesIO(wav), dtype="float32")
        converted = io.BytesIO()
        soundfile.write(converted, samples, sample_rate_hz, format=file_format.upper())
        return converted.getvalue(), AUDIO_MEDIA_TYPES[file_format]

    def list_page(
        self, page_size: int, page_token: str, owner: str | None = None
    ) -> tuple[list[studio_pb2.Take], str]:
        """Takes newest first (only ``owner``'s when given): (this page, the token of the
        next page or ""; the next page may be empty when the rest are another's).

        The token names the last take of a page, so takes made while a client pages
        through neither repeat nor shift later pages. Raises InvalidInputError for a page
        size outside 0..MAX_PAGE_SIZE or a token that this method did not make.
        """
        if not 0 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        page_size = page_size or DEFAULT_PAGE_SIZE
        after = _PageToken.decode(page_token) if page_token else None
        records = sorted(
            (
                _PageToken(info.modified_at.timestamp(), info.key.split("/")[1])
                for info in self._artifacts.list(TAKES_PREFIX)
                if info.key.endswith(f"/{RECORD_FILE}")
            ),
            reverse=True,
        )
        if after is not None:
            records = [record for record in records if record < after]
        page: list[studio_pb2.Take] = []
        last: _PageToken | None = None
        for record in records:
            if len(page) == page_size:
                break
            last = record
            try:
                page.append(self.load(record.take_id, owner))
            except NotFoundError:  # expired, deleted while listing, or another's
                continue
        more = last is not None and any(record < last for record in records)
        return page, last.encode() if more and last is not None else ""

    def delete_expired(self) -> int:
        """Deletes the files of takes past their time to live; returns how many files."""
        return self._artifacts.delete_older_than(TAKES_PREFIX, self._time_to_live_s)


def take_score(take: studio_pb2.Take) -> tuple[Melody, list[Syllable]]:
    """The take's melody and the syllables sung on it, in order."""
    return melody_from_proto(take.melody), lyrics_from_proto(take.lyrics).syllables


@dataclass(frozen=True, order=True)
class _PageToken:
    """Where a page of takes ended: (record time, take id), opaque to clients."""

    modified_at_s: float
    take_id: str

    def encode(self) -> str:
        text = f"{self.modified_at_s!r}/{self.take_id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> _PageToken:
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            seconds, take_id = text.split("/")
            return cls(float(seconds), checked_take_id(take_id))
        except (binascii.Error, UnicodeDecodeError, ValueError, InvalidInputError):
            raise InvalidInputError(
                "page_token is not one this server gave out; start again without it"
            ) from None
