"""Reassembling client-streamed uploads (options first, then file chunks) within limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.settings import MEBIBYTE


def describe_size(size_bytes: int) -> str:
    """'12.3 MB'-style text for messages (MB = MiB, as upload limits are set)."""
    return f"{size_bytes / MEBIBYTE:.1f} MB"


def check_upload_size(size_bytes: int, max_bytes: int) -> None:
    """Refuses empty uploads and uploads over the limit, with a message a person understands."""
    if size_bytes == 0:
        raise InvalidInputError("the upload is empty: send the audio file's bytes")
    if size_bytes > max_bytes:
        raise ResourceLimitError(
            f"the upload is {describe_size(size_bytes)}; the limit is {describe_size(max_bytes)}"
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
            if index != 0:
                raise InvalidInputError("the options must be the first message of the stream")
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
