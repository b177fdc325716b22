"""Reading uploaded training audio: one audio file, or a zip of them, within limits.

A zip is checked from its central directory before anything is extracted (member count,
names, declared sizes, compression ratios, encryption) and again while extracting (actual
sizes), so a zip bomb is refused after reading a few hundred bytes and a lying header
cannot push past the limits either.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.settings import Settings
from services.common.uploads import describe_size

#: File name extensions accepted as audio inside a zip (compared in lower case).
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".webm"}
)
#: Bookkeeping that archivers add (macOS resource forks, Finder and Windows metadata);
#: skipped rather than refused, since people do not put them there on purpose.
_IGNORED_PARTS = ("__MACOSX",)
_IGNORED_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
_READ_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class UploadLimits:
    """What one dataset upload may hold."""

    #: Size of the upload itself, in bytes.
    max_upload_bytes: int
    #: Sum of the zip members' sizes once extracted, in bytes.
    max_uncompressed_bytes: int
    #: Entries in the zip (directories included).
    max_members: int
    #: Largest uncompressed/compressed size ratio of one member.
    max_compression_ratio: float

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_upload_bytes=settings.dataset_max_upload_bytes,
            max_uncompressed_bytes=settings.dataset_max_uncompressed_bytes,
            max_members=settings.dataset_max_zip_members,
            max_compression_ratio=settings.dataset_max_compression_ratio,
        )


@dataclass(frozen=True)
class AudioFile:
    """One encoded audio file of the upload."""

    #: The member's path in the zip, or the uploaded file's name.
    name: str
    data: bytes


def is_zip(data: bytes) -> bool:
    """Whether the bytes start like a zip archive (local file header or empty archive)."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def iter_audio_files(data: bytes, filename: str, limits: UploadLimits) -> Iterator[AudioFile]:
    """The audio files of an upload: the upload itself, or each audio member of a zip.

    The zip is fully vetted before the first member is yielded.

    Raises:
        InvalidInputError: Empty upload, a broken or encrypted zip, a member with an
            unsafe name (absolute, ``..``, drive letters) or one that is not audio, a zip
            without audio.
        ResourceLimitError: Upload, member count, total extracted size or a member's
            compression ratio over the limits.
    """
    if not data:
        raise InvalidInputError("the upload is empty: send an audio file or a zip of them")
    if len(data) > limits.max_upload_bytes:
        raise ResourceLimitError(
            f"the upload is {describe_size(len(data))}; "
            f"the limit is {describe_size(limits.max_upload_bytes)}"
        )
    if not is_zip(data):
        yield AudioFile(name=filename or "upload", data=data)
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise InvalidInputError(f"the zip file is damaged: {error}") from error
    with archive:
        members = _vetted_members(archive, limits)
        budget_bytes = limits.max_uncompressed_bytes
        for member in members:
            member_data = _read_member(archive, member, budget_bytes)
            budget_bytes -= len(member_data)
            yield AudioFile(name=member.filename, data=member_data)


def _vetted_members(archive: zipfile.ZipFile, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > limits.max_members:
        raise ResourceLimitError(
            f"the zip has {len(entries)} entries; the limit is {limits.max_members}"
        )
    declared_bytes = sum(entry.file_size for entry in entries)
    if declared_bytes > limits.max_uncompressed_bytes:
        raise ResourceLimitError(
            f"the zip extracts to {describe_size(declared_bytes)}; "
            f"the limit is {describe_size(limits.max_uncompressed_bytes)}"
        )
    members = []
    for entry in entries:
        name = entry.filename
        _check_member_name(name)
        if entry.is_dir() or _is_ignored(name):
            continue
        if entry.flag_bits & 0x1:
            raise InvalidInputError(f"zip member {name!r} is encrypted; send it unencrypted")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ResourceLimitError(
                f"zip member {name!r} expands {ratio:.0f} times; the limit is "
                f"{limits.max_compression_ratio:g} (is it a zip bomb?)"
            )
        extension = posixpath.splitext(name)[1].lower()
        if extension not in AUDIO_EXTENSIONS:
            raise InvalidInputError(
                f"zip member {name!r} is not an audio file; the zip may hold only "
                f"{', '.join(sorted(AUDIO_EXTENSIONS))} files"
            )
        members.append(entry)
    if not members:
        raise InvalidInputError("the zip holds no audio files")
    return members


def _check_member_name(name: str) -> None:
    # Nothing is extracted to disk, but these names are the mark of a hostile archive and
    # the names end up in the dataset's manifest.
    parts = name.replace("\\", "/").split("/")
    if (
        name.startswith(("/", "\\"))
        or ".." in parts
        or (len(name) > 1 and name[1] == ":")
        or "\x00" in name
    ):
        raise InvalidInputError(f"zip member {name!r} has an unsafe path")


def _is_ignored(name: str) -> bool:
    parts = name.split("/")
    return any(part in _IGNORED_PARTS for part in parts) or parts[-1] in _IGNORED_NAMES


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget_bytes: int) -> bytes:
    # Read in blocks and count: the declared size in the header is not trusted.
    limit_bytes = min(member.file_size, budget_bytes)
    blocks = []
    read_bytes = 0
    try:
        with archive.open(member) as stream:
            while block := stream.read(_READ_BLOCK_BYTES):
                read_bytes += len(block)
                if read_bytes > limit_bytes:
                    raise ResourceLimitError(
                        f"zip member {member.filename!r} extracts to more than it declares"
                    )
                blocks.append(block)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        raise InvalidInputError(
            f"zip member {member.filename!r} cannot be extracted: {error}"
        ) from error
    return b"".join(blocks)
