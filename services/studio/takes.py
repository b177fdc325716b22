"""Stored takes: a take's record (melody, lyrics, timings, engines) and its audio.

Each take lives under ``takes/<take_id>/`` in the artifact store (a local directory by
default, S3-compatible storage when several studio pods share takes): ``take.json`` (the
``Take`` message as JSON, readable by people and tools) and ``vocals.wav``. Takes older
than the configured time to live are deleted by :meth:`TakeStore.delete_expired`.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import soundfile
from expertmusic.studio.v1 import studio_pb2
from google.protobuf import json_format

from services.common.artifacts import ArtifactStore
from services.common.convert import melody_from_proto
from services.common.errors import InvalidInputError, NotFoundError
from services.common.music import Melody, Syllable

TAKE_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
TAKES_PREFIX = "takes/"
AUDIO_MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac"}


def new_take_id() -> str:
    return uuid.uuid4().hex


def checked_take_id(take_id: str) -> str:
    """The id if it is well-formed; ids are also artifact keys, so nothing else gets in."""
    if not TAKE_ID_PATTERN.fullmatch(take_id):
        raise InvalidInputError(f"{take_id[:64]!r} is not a take id (32 hexadecimal characters)")
    return take_id


class TakeStore:
    def __init__(self, artifacts: ArtifactStore, time_to_live_s: float) -> None:
        self._artifacts = artifacts
        self._time_to_live_s = time_to_live_s

    def save_audio(self, take_id: str, wav: bytes) -> None:
        """Stores a take's audio; done before save_record so no record points at nothing."""
        key = f"{TAKES_PREFIX}{checked_take_id(take_id)}/vocals.wav"
        self._artifacts.put(key, wav, AUDIO_MEDIA_TYPES["wav"])

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

    def load(self, take_id: str) -> studio_pb2.Take:
        key = f"{TAKES_PREFIX}{checked_take_id(take_id)}/take.json"
        try:
            record = self._artifacts.get(key)
        except NotFoundError:
            raise NotFoundError(f"there is no take {take_id} (takes expire)") from None
        take = json_format.Parse(record, studio_pb2.Take(), ignore_unknown_fields=True)
        if take.expires_at.ToDatetime(tzinfo=UTC) < datetime.now(UTC):
            raise NotFoundError(f"take {take_id} has expired")
        return take

    def audio(self, take_id: str, file_format: str = "wav") -> tuple[bytes, str]:
        """The take's audio as (bytes, media type), converted to ``file_format``."""
        file_format = file_format or "wav"
        if file_format not in AUDIO_MEDIA_TYPES:
            raise InvalidInputError(
                f"format {file_format!r} is not offered; choose one of: "
                + ", ".join(AUDIO_MEDIA_TYPES)
            )
        self.load(take_id)  # not found / expired
        wav = self._artifacts.get(f"{TAKES_PREFIX}{take_id}/vocals.wav")
        if file_format == "wav":
            return wav, AUDIO_MEDIA_TYPES["wav"]
        samples, sample_rate_hz = soundfile.read(io.BytesIO(wav), dtype="float32")
        converted = io.BytesIO()
        soundfile.write(converted, samples, sample_rate_hz, format=file_format.upper())
        return converted.getvalue(), AUDIO_MEDIA_TYPES[file_format]

    def delete_expired(self) -> int:
        """Deletes the files of takes past their time to live; returns how many files."""
        return self._artifacts.delete_older_than(TAKES_PREFIX, self._time_to_live_s)


def melody_and_syllables(take: studio_pb2.Take) -> tuple[Melody, list[Syllable]]:
    """The take's melody and the syllables sung on it, line after line, for the score
    exports (``services.common.scores``)."""
    syllables = [
        Syllable(
            text=syllable.text,
            note_index=syllable.note_index,
            phonemes=tuple(syllable.phonemes),
            stressed=syllable.stressed,
            starts_word=syllable.starts_word,
        )
        for line in take.lyrics.lines
        for syllable in line.syllables
    ]
    return melody_from_proto(take.melody), syllables
