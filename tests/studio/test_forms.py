"""REST uploads: multipart forms (the seed's) or raw files, options from both places."""

from __future__ import annotations

import pytest
from expertmusic.studio.v1 import studio_pb2

from services.common.errors import InvalidInputError
from services.studio.forms import read_upload
from services.studio.options import options_from_rest

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(*parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def test_the_seeds_form_gives_the_file_and_its_fields() -> None:
    upload = read_upload(
        CONTENT_TYPE,
        form(("theme", None, b"rain"), ("audio", "hum.wav", b"RIFF\x00\r\nbytes")),
    )
    assert upload.audio == b"RIFF\x00\r\nbytes"
    assert upload.filename == "hum.wav"
    assert upload.fields == {"theme": "rain"}


def test_the_file_may_come_in_a_field_named_file() -> None:
    assert read_upload(CONTENT_TYPE, form(("file", "hum.mp3", b"ID3"))).audio == b"ID3"


def test_a_raw_body_is_the_audio_itself() -> None:
    upload = read_upload("audio/wav", b"RIFF....")
    assert upload.audio == b"RIFF...." and upload.fields == {}


def test_a_form_without_audio_or_boundary_is_refused_clearly() -> None:
    with pytest.raises(InvalidInputError, match="field 'audio'"):
        read_upload(CONTENT_TYPE, form(("theme", None, b"rain")))
    with pytest.raises(InvalidInputError, match="no boundary"):
        read_upload("multipart/form-data", b"whatever")


def test_form_fields_override_the_query_string_and_are_checked() -> None:
    query = studio_pb2.CreateTakeRequest(theme="from the query", voice="joe", seed=3)
    options = options_from_rest(query, {"theme": " from the form ", "transpose_semitones": "-2"})
    assert options.theme == "from the form"
    assert options.voice == "joe"
    assert options.transpose_semitones == -2
    assert options.seed == 3
    with pytest.raises(InvalidInputError, match="whole number"):
        options_from_rest(query, {"seed": "many"})
    with pytest.raises(InvalidInputError, match="unknown form field 'colour'"):
        options_from_rest(query, {"colour": "blue"})
