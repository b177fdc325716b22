"""Streamed uploads (options first, then the file in chunks) joined, and refused with a
reason when the stream is out of order or over the limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

import pytest
from expertmusic.pitch.v1 import pitch_pb2

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.uploads import read_streamed_upload

Message: TypeAlias = pitch_pb2.ExtractMelodyRequest


def options(engine: str = "swift") -> Message:
    return Message(options=pitch_pb2.ExtractionOptions(engine=engine))


def chunk(data: bytes) -> Message:
    return Message(audio_chunk=data)


def test_the_options_and_the_chunks_in_order_are_the_upload() -> None:
    sent_options, data = read_streamed_upload(
        [options("crepe-tiny"), chunk(b"RIFF"), chunk(b"WAVE")], max_bytes=100
    )

    assert sent_options is not None and sent_options.engine == "crepe-tiny"
    assert data == b"RIFFWAVE"


def test_a_stream_without_options_means_the_defaults() -> None:
    assert read_streamed_upload([chunk(b"RIFF")], max_bytes=100) == (None, b"RIFF")


def test_options_after_audio_are_refused_naming_the_message() -> None:
    with pytest.raises(InvalidInputError, match="options came in message 2, after audio"):
        read_streamed_upload([chunk(b"RIFF"), options()], max_bytes=100)


def test_a_second_options_message_is_refused_as_such() -> None:
    with pytest.raises(InvalidInputError, match="second options message \\(message 2\\)"):
        read_streamed_upload([options(), options("crepe-tiny"), chunk(b"RIFF")], max_bytes=100)


def test_a_stream_over_the_limit_is_refused_before_it_is_read_whole() -> None:
    def endless() -> Iterator[Message]:
        while True:
            yield chunk(b"x" * 64)

    with pytest.raises(ResourceLimitError, match="over the limit"):
        read_streamed_upload(endless(), max_bytes=1000)


def test_an_empty_stream_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        read_streamed_upload([options()], max_bytes=100)
