"""Reading the hum and its options out of a REST upload: multipart/form-data or a raw file."""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from services.common.errors import InvalidInputError

#: Form fields that may carry the audio file (the seed's `audio`; `file` is common too).
AUDIO_FIELDS = ("audio", "file")
MAX_FORM_FIELD_BYTES = 4096


@dataclass
class Upload:
    """The audio file and the text fields of a form (empty for a raw upload)."""

    audio: bytes
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""


def read_upload(content_type: str, body: bytes) -> Upload:
    """Splits a multipart/form-data body into the audio file and the form fields.

    Any other content type is taken as the audio file itself (``audio/wav``...).
    """
    media_type, parameters = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        return Upload(audio=body)
    boundary = parameters.get(b"boundary")
    if not boundary:
        raise InvalidInputError("the multipart/form-data upload has no boundary")
    return _parse_multipart(body, boundary)


def _parse_multipart(body: bytes, boundary: bytes) -> Upload:
    parts: list[tuple[dict[str, str], bytearray]] = []
    header_name = bytearray()
    header_value = bytearray()
    headers: dict[str, str] = {}

    def on_part_begin() -> None:
        headers.clear()
        parts.append(({}, bytearray()))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1][0][header_name.decode("latin-1").lower()] = header_value.decode("utf-8")
        header_name.clear()
        header_value.clear()

    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError as error:
        raise InvalidInputError(f"the multipart/form-data upload is malformed: {error}") from None

    upload = Upload(audio=b"")
    for part_headers, data in parts:
        _, disposition = parse_options_header(part_headers.get("content-disposition", ""))
        name = disposition.get(b"name", b"").decode("utf-8")
        filename = disposition.get(b"filename")
        if name in AUDIO_FIELDS and (filename is not None or not upload.audio):
            upload.audio = bytes(data)
            upload.filename = (filename or b"").decode("utf-8", "replace")
        elif filename is None and name:
            if len(data) > MAX_FORM_FIELD_BYTES:
                raise InvalidInputError(
                    f"the form field {name!r} is longer than {MAX_FORM_FIELD_BYTES} bytes"
                )
            upload.fields[name] = data.decode("utf-8", "replace")
    if not upload.audio:
        raise InvalidInputError(
            "the form has no audio file: send it in the field 'audio' (or 'file')"
        )
    return upload
