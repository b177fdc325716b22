"""Reassembling client-streamed uploads (options first, then file chunks) within limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.settings import MEBIBYTE

#: What a multipart/form-data upload may carry besides its audio file: the gateway lets
#: a form body be this much larger than ``MAX_UPLOAD_BYTES`` (it cannot look inside the
#: form), and the studio then holds the audio itself to the exact limit. The largest form
#: the studio reads is its text fields (the options and ``_charset_``) at their longest,
#: 4,096 bytes each and 32 KiB for ``user_lyrics`` (services/common/forms.py), their part
#: headers and the file part's (about 100 KiB in all; tests/studio/test_forms.py builds it).
FORM_FIELDS_ALLOWANCE_BYTES = 128 * 1024


def describe_size(size_bytes: int) -> str:
    """'12.3 MB'-style text for messages (MB = MiB, as upload limits are set)."""
    return f"{size_bytes / MEBIBYTE:.1f} MB"


def check_upload_size(size_bytes: int, max_bytes: int, what: str = "the upload") -> None:
    """Refuses empty uploads and uploads over the limit, with a message a person
    understands: sizes in MB, and in bytes, which tell 10.0 MB over the limit from 10.0
    MB within it."""
    if size_bytes == 0:
        raise InvalidInputError(f"{what} is empty: send the audio file's bytes")
    if size_bytes > max_bytes:
        raise ResourceLimitError(
            f"{what} is {describe_size(size_bytes)} ({size_bytes:,} bytes); the limit is "
            f"{describe_size(max_bytes)} ({max_bytes:,} bytes)"
        )


def read_streamed_upload(
    messages: Iterable[Any],
    *,
    max_bytes: int,
    options_field: str = "options",
    chunk_field: str = "audio_chunk",
) -> tuple[Any | None, bytes]:
    """Joins a stream of ``oneof payload {options, audio_chunk}`` messages.

    Returns the options message (None when the client sent none, meaning defaults) and
    the file's bytes. Stops reading as soon as the limit is passed, so an oversized upload
    is not buffered whole.
    """
    options = None
    chunks: list[bytes] = []
    received_bytes = 0
    for index, message in enumerate(messages):
        kind = message.WhichOneof("payload")
        if kind == options_field:
            if options is not None:
                raise InvalidInputError(
                    f"the stream has a second options message (message {index + 1}): send "
                    "the options once, in the first message"
                )
            if index != 0:
                raise InvalidInputError(
                    f"the options came in message {index + 1}, after audio: send them in "
                    "the first message of the stream"
                )
            options = getattr(message, options_field)
        elif kind == chunk_field:
            chunk = getattr(message, chunk_field)
            received_bytes += len(chunk)
            if received_bytes > max_bytes:
                raise ResourceLimitError(
                    f"the upload is over the limit of {describe_size(max_bytes)}"
                )
            chunks.append(chunk)
    data = b"".join(chunks)
    check_upload_size(len(data), max_bytes)
    return options, data
