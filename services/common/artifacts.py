"""The one artifact store of the project: named blobs on local disk or in S3.

Studio keeps its takes here, the registry its prepared datasets and training checkpoints.
A key is a relative, slash-separated name such as ``datasets/ds_1a2b/chunk_0003.wav``;
prefixes are plain string prefixes of keys, as in S3 (``"jobs/42/"`` lists everything of
job 42). Both implementations honour the same contract, tested by the same tests:

- :class:`LocalArtifactStore` writes files under a root directory; a write goes to a
  temporary file in the target directory and is renamed into place, so a reader never
  sees half a file and a crash never leaves one under a valid key.
- :class:`S3ArtifactStore` talks to any S3-compatible service (AWS, MinIO, moto) through
  boto3; credentials come from boto3's usual sources (``AWS_ACCESS_KEY_ID``...).

Keys are validated before they touch a file system or a bucket: no absolute paths, no
``..``, no hidden names, a limited character set.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from services.common.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from services.common.settings import Settings

MAX_KEY_LENGTH = 512
# A key segment starts with a letter, digit or underscore, so ".", ".." and hidden files
# (our own temporary files among them) can never be named by a key.
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._=-]*"
_KEY_PATTERN = re.compile(rf"{_SEGMENT}(/{_SEGMENT})*")
# A prefix is a key, a key followed by "/", a partial key, or "" for everything.
_PREFIX_PATTERN = re.compile(rf"({_SEGMENT}/)*[A-Za-z0-9._=-]*")
_TEMP_PREFIX = ".tmp-"
#: S3's DeleteObjects takes at most this many keys per call.
_S3_DELETE_BATCH = 1000


@dataclass(frozen=True)
class ArtifactInfo:
    """One stored object, as listed."""

    key: str
    size_bytes: int
    #: When the object was last written (timezone-aware, UTC).
    modified_at: datetime


class ArtifactStore(Protocol):
    """Named blobs. Every method raises InvalidInputError for a malformed key or prefix."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Stores ``data`` under ``key``, replacing what was there (atomically)."""

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; raises NotFoundError when there are none."""

    def exists(self, key: str) -> bool:
        """Whether something is stored under ``key``."""

    def delete(self, key: str) -> None:
        """Removes ``key``; deleting a missing key is not an error."""

    def delete_prefix(self, prefix: str) -> int:
        """Removes every key starting with ``prefix``; returns how many were removed."""

    def list(self, prefix: str = "") -> list[ArtifactInfo]:
        """Every object whose key starts with ``prefix``, sorted by key."""

    def delete_older_than(self, prefix: str, max_age_s: float, now: datetime | None = None) -> int:
        """Removes objects under ``prefix`` last written more than ``max_age_s`` seconds
        before ``now`` (default: the current time); returns how many were removed."""

    def local_path(self, key: str) -> Path | None:
        """The file holding ``key`` on this machine, or None when the store has no local
        files (S3). Raises NotFoundError when nothing is stored under ``key``."""


def validate_key(key: str) -> str:
    """Returns ``key`` if it is a well-formed artifact key, else raises InvalidInputError."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.fullmatch(key):
        raise InvalidInputError(
            f"invalid artifact key {key!r}: use relative names of letters, digits, '_', '-', "
            f"'.', '=' separated by '/', at most {MAX_KEY_LENGTH} characters"
        )
    return key


def validate_prefix(prefix: str) -> str:
    """Returns ``prefix`` if it can start a well-formed key ("" allowed), else raises."""
    if (
        not isinstance(prefix, str)
        or len(prefix) > MAX_KEY_LENGTH
        or not _PREFIX_PATTERN.fullmatch(prefix)
        or prefix.startswith(".")
        or "/." in prefix
    ):
        raise InvalidInputError(f"invalid artifact prefix {prefix!r}")
    return prefix


def _cutoff(max_age_s: float, now: datetime | None) -> datetime:
    if max_age_s < 0:
        raise InvalidInputError(f"max_age_s must not be negative, got {max_age_s}")
    return (now or datetime.now(UTC)) - timedelta(seconds=max_age_s)


class LocalArtifactStore:
    """Artifacts as files under ``root`` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            raise InvalidInputError(
                f"cannot store {key!r}: a part of its path is already an artifact"
            ) from error
        # The temporary file lives in the target directory so that the rename is atomic
        # (same file system) and a crash leaves only a hidden ".tmp-" file behind.
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as temp_file:
                temp_file.write(data)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"no artifact {key!r}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)
            self._prune_empty_dirs(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        removed = 0
        for info in self.list(prefix):
            self.delete(info.key)
            removed += 1
        return removed

    def list(self, prefix: str = "") -> list[ArtifactInfo]:
        validate_prefix(prefix)
        # Walk only the deepest directory the prefix names, then filter by string prefix.
        start = self.root / prefix.rpartition("/")[0]
        if not start.is_dir():
            return []
        infos = []
        for path in self._files_under(start):
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                stat = path.stat()
                modified_at = datetime.fromtimestamp(stat.st_mtime, UTC)
                infos.append(ArtifactInfo(key, stat.st_size, modified_at))
        return sorted(infos, key=lambda info: info.key)

    def delete_older_than(self, prefix: str, max_age_s: float, now: datetime | None = None) -> int:
        cutoff = _cutoff(max_age_s, now)
        removed = 0
        for info in self.list(prefix):
            if info.modified_at < cutoff:
                self.delete(info.key)
                removed += 1
        return removed

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"no artifact {key!r}")
        return path

    @staticmethod
    def _files_under(directory: Path) -> Iterator[Path]:
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    yield Path(dirpath) / name

    def _prune_empty_dirs(self, directory: Path) -> None:
        # Empty directories left by deletes would otherwise pile up (one per job, per take).
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


class S3ArtifactStore:
    """Artifacts as objects in an S3-compatible bucket."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, client: Any = None) -> None:
        """
        Args:
            bucket: The bucket's name; it must exist (see :meth:`create_bucket`).
            endpoint_url: The service's URL, e.g. ``http://minio:9000``; None or "" for AWS.
            client: A boto3 S3 client to use instead of one built from the environment.
        """
        if client is None:
            import boto3  # deferred: a second of import time that local stores never need

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.bucket = bucket
        self._client = client

    def create_bucket(self) -> None:
        """Creates the bucket if it does not exist (deployments and tests)."""
        from botocore.exceptions import ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=validate_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if _is_not_found(error):
                raise NotFoundError(f"no artifact {key!r}") from None
            raise
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if _is_not_found(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def delete_prefix(self, prefix: str) -> int:
        return self._delete_keys([info.key for info in self.list(prefix)])

    def list(self, prefix: str = "") -> list[ArtifactInfo]:
        validate_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        infos = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                modified_at = item["LastModified"].astimezone(UTC)
                infos.append(ArtifactInfo(item["Key"], int(item["Size"]), modified_at))
        return sorted(infos, key=lambda info: info.key)

    def delete_older_than(self, prefix: str, max_age_s: float, now: datetime | None = None) -> int:
        cutoff = _cutoff(max_age_s, now)
        return self._delete_keys(
            [info.key for info in self.list(prefix) if info.modified_at < cutoff]
        )

    def local_path(self, key: str) -> Path | None:
        if not self.exists(key):
            raise NotFoundError(f"no artifact {key!r}")
        return None

    def _delete_keys(self, keys: Sequence[str]) -> int:
        for start in range(0, len(keys), _S3_DELETE_BATCH):
            batch = keys[start : start + _S3_DELETE_BATCH]
            self._client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
        return len(keys)


def _is_not_found(error: Any) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def download_prefix(store: ArtifactStore, prefix: str, destination: Path) -> list[Path]:
    """Copies every artifact under ``prefix`` into ``destination``, keeping the key's path
    below the prefix (``datasets/ds_1/a.wav`` with prefix ``datasets/ds_1/`` becomes
    ``destination/a.wav``). Returns the files written, in key order."""
    written = []
    for info in store.list(prefix):
        relative = info.key[len(prefix) :].lstrip("/") or info.key.rpartition("/")[2]
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        source = store.local_path(info.key)
        if source is not None:
            shutil.copyfile(source, target)
        else:
            target.write_bytes(store.get(info.key))
        written.append(target)
    return written


def artifact_store_from_settings(settings: Settings) -> ArtifactStore:
    """S3 when ``settings.s3_bucket`` is set, else files under ``settings.data_dir/artifacts``."""
    if settings.s3_bucket:
        return S3ArtifactStore(settings.s3_bucket, settings.s3_endpoint_url or None)
    return LocalArtifactStore(settings.data_dir / "artifacts")
