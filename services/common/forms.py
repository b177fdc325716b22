"""Reading the hum and its options out of a REST upload: multipart/form-data or a raw file.

Multipart bodies follow RFC 7578. Part headers stay bytes until each parameter is pulled
out of them, and only then is a value decoded: browsers send a non-Latin file name as raw
UTF-8 inside ``filename="..."`` (RFC 7578 §4.2), which a header decoded to text first
cannot carry through python-multipart's byte-oriented parameter parser. A
``filename*=UTF-8''...`` parameter (RFC 5987 syntax, which RFC 7578 asks senders not to
use but some clients send) is read too and wins over ``filename``, as RFC 6266 has it for
Content-Disposition. A text field is decoded with the charset of its part's Content-Type,
else the form's ``_charset_`` field (RFC 7578 §4.6), else UTF-8; text that is not valid in
its charset is refused with the field's name rather than repaired with replacement
characters.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import decode_rfc2231

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.uploads import FORM_FIELDS_ALLOWANCE_BYTES, check_upload_size

#: Form fields that may carry the audio file (the seed's `audio`; `file` is common too).
AUDIO_FIELDS = ("audio", "file")
#: The longest a text field of a form may be, in bytes; ``user_lyrics`` (a whole song's
#: words, up to LYRICS_MAX_USER_LYRICS_CHARS = 5,000 characters, UTF-8 at up to 4 bytes
#: each) may be longer.
MAX_FORM_FIELD_BYTES = 4096
MAX_FORM_FIELD_BYTES_BY_NAME = {"user_lyrics": 32 * 1024}
#: The charset of text fields when neither the part nor the form names one (RFC 7578 §4.6
#: lets forms default to UTF-8, which is what every browser sends for a UTF-8 page).
DEFAULT_CHARSET = "utf-8"
#: The form field whose value names the charset of the other text fields (RFC 7578 §4.6).
CHARSET_FIELD = "_charset_"
#: Bodies that are certainly no audio file (a raw upload's other content types are only
#: advisory: curl --data-binary says application/x-www-form-urlencoded for a WAV file).
_NOT_AUDIO_MEDIA_TYPES = (b"application/json", b"multipart/mixed")
#: A body that is a URL-encoded form (name=value&...), which cannot carry a file: what an
#: HTML form without enctype="multipart/form-data" sends. (curl --data-binary @hum.wav
#: sends the file under this type too: binary, it never matches.)
_URLENCODED_FORM = re.compile(rb"[\w.~%+-]+=[\w.~%+*-]*(?:&[\w.~%+-]+=[\w.~%+*-]*)*\s*")
_TRUE_TEXTS = ("true", "1", "on", "yes")
_FALSE_TEXTS = ("false", "0", "off", "no", "")
_EXTENDED_FILENAME = re.compile(rb"""(?:^|;)\s*filename\*\s*=\s*("[^"]*"|[^;\s]*)""", re.I)


def max_field_bytes(name: str) -> int:
    """The longest the text field ``name`` of a form may be, in bytes."""
    return MAX_FORM_FIELD_BYTES_BY_NAME.get(name, MAX_FORM_FIELD_BYTES)


@dataclass
class Upload:
    """The audio file and the text fields of a form (empty for a raw upload)."""

    audio: bytes
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""


@dataclass
class _Part:
    """One body part: its headers (lower-case names, raw byte values) and its bytes."""

    headers: dict[str, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


def read_upload(content_type: str, body: bytes) -> Upload:
    """Splits a multipart/form-data body into the audio file and the form fields.

    Any other content type is taken as the audio file itself (``audio/wav``...), except
    JSON, which is refused with what to send instead.

    Raises:
        InvalidInputError: a JSON body; a multipart body without a boundary, malformed, without an
            audio part, with a text field over ``MAX_FORM_FIELD_BYTES`` or whose name or
            value is not valid text in its charset, or naming a charset that does not
            exist.
    """
    # A header is bytes on the wire; HttpBody hands it over as text, so turn it back into
    # the bytes python-multipart's parameter parser expects (never re-decoded as Latin-1).
    media_type, parameters = parse_options_header((content_type or "").encode("utf-8"))
    if media_type in _NOT_AUDIO_MEDIA_TYPES:
        raise InvalidInputError(
            f"the body is {media_type.decode('latin-1')}, but the audio file itself is "
            "expected: send it as the body with its own Content-Type (audio/wav, "
            "audio/webm...), or as the field 'audio' of a multipart/form-data form; "
            "options go in the query string or in the form's other fields"
        )
    if media_type == b"application/x-www-form-urlencoded" and _URLENCODED_FORM.fullmatch(body):
        raise InvalidInputError(
            "the body is a URL-encoded form with no file in it; send the audio file as the "
            "body with its own Content-Type (audio/wav, audio/webm...), or as the field "
            "'audio' of a multipart/form-data form (an HTML form needs "
            'enctype="multipart/form-data" to send a file)'
        )
    if media_type != b"multipart/form-data":
        return Upload(audio=body)
    boundary = parameters.get(b"boundary")
    if not boundary:
        raise InvalidInputError("the multipart/form-data upload has no boundary")
    return _form_upload(_parse_parts(body, boundary))


def read_upload_within(content_type: str, body: bytes, max_audio_bytes: int) -> Upload:
    """:func:`read_upload` held to the upload limit: the audio at most ``max_audio_bytes``
    (a raw body is the audio itself), a form at most that plus
    ``FORM_FIELDS_ALLOWANCE_BYTES`` for its other fields (the gateway's limit for forms).

    Raises:
        ResourceLimitError: the audio, or the whole form, is over its limit.
        InvalidInputError: as :func:`read_upload`, or an empty upload.
    """
    if len(body) > max_audio_bytes + FORM_FIELDS_ALLOWANCE_BYTES:
        raise ResourceLimitError(
            f"the upload is {len(body):,} bytes; the limit is {max_audio_bytes:,} bytes of "
            f"audio, and {FORM_FIELDS_ALLOWANCE_BYTES:,} more for a form's other fields"
        )
    upload = read_upload(content_type, body)
    check_upload_size(len(upload.audio), max_audio_bytes)
    return upload


def _parse_parts(body: bytes, boundary: bytes) -> list[_Part]:
    if not body:
        raise InvalidInputError(
            "the multipart/form-data upload is empty: send the form with its audio file"
        )
    if not body.startswith(b"--" + boundary):
        # A preamble before the first boundary, which RFC 2046 §5.1.1 allows and says to
        # ignore (python-multipart does not).
        first = body.find(b"\r\n--" + boundary)
        if first >= 0:
            body = body[first + 2 :]
    if body.startswith(b"--" + boundary + b"\n"):
        body = _with_crlf_framing(body, boundary)
    parts: list[_Part] = []
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        parts.append(_Part())

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.extend(data[start:end])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        # Header names are ASCII tokens; values stay bytes (see the module docstring).
        parts[-1].headers[header_name.decode("latin-1").strip().lower()] = bytes(header_value)
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
    except FormParserError:
        # The parser's own words ("Expected boundary character 89, got 88 at index 4")
        # mean nothing to a person; this is what they have to fix.
        raise InvalidInputError(
            "the multipart/form-data upload is malformed: its parts are not framed by the "
            f"boundary that its Content-Type names (--{boundary.decode('latin-1')})"
        ) from None
    if parser.state != MultipartState.END:
        # The closing boundary never came: the upload was cut off (a dropped connection,
        # a client that gave up), and its last part, often the audio, is missing its end.
        raise InvalidInputError(
            "the multipart/form-data upload is cut short: it ends before its closing "
            f"boundary (--{boundary.decode('latin-1')}--); send the whole form again"
        )
    return parts


def _with_crlf_framing(body: bytes, boundary: bytes) -> bytes:
    """A form framed with bare LF line breaks, reframed with the CRLFs of RFC 2046.

    Hand-written clients and some scripts end the boundary and header lines with LF
    alone (Go's and the old Python cgi parsers accept it; python-multipart does not).
    Only the framing changes: each part's content, up to the LF before the next
    delimiter line, is kept byte for byte.
    """
    delimiter = b"--" + boundary
    segments = body.split(b"\n" + delimiter)
    parts = [segments[0].removeprefix(delimiter), *segments[1:]]
    framed = []
    for segment in parts:
        if segment.startswith(b"--"):  # the closing delimiter
            framed.append(delimiter + b"--\r\n")
            break
        # The rest of the delimiter line (transport padding), then headers, a blank line.
        _, _, rest = segment.partition(b"\n")
        headers, separator, content = rest.partition(b"\n\n")
        if not separator:
            headers, content = rest.rstrip(b"\r\n"), b""
        lines = [line.rstrip(b"\r") for line in headers.split(b"\n")]
        framed.append(delimiter + b"\r\n" + b"\r\n".join(lines) + b"\r\n\r\n" + content + b"\r\n")
    return b"".join(framed)


def _form_upload(parts: list[_Part]) -> Upload:
    upload = Upload(audio=b"")
    audio_parts: list[tuple[str, str | None]] = []  # (field name, file name) of each
    texts: list[tuple[str, bytes, str]] = []
    for part in parts:
        disposition_header = part.headers.get("content-disposition", b"")
        _, disposition = parse_options_header(disposition_header)
        name = _decoded(disposition.get(b"name", b""), DEFAULT_CHARSET, "a form field's name")
        filename = _filename(disposition_header, disposition)
        if name in AUDIO_FIELDS and (filename is not None or not audio_parts):
            if audio_parts and audio_parts[-1][1] is not None:
                # Which one the caller meant cannot be guessed; keeping one would silently
                # drop the other recording.
                raise InvalidInputError(
                    f"the form has two audio files ({_shown(audio_parts[-1])} and "
                    f"{_shown((name, filename))}): send one recording at a time"
                )
            audio_parts.append((name, filename))
            upload.audio = bytes(part.data)
            upload.filename = filename or ""
        elif filename is not None:
            raise InvalidInputError(
                f"the form field {name!r} holds a file ({filename!r}); only the audio may be "
                f"a file, in the field {AUDIO_FIELDS[0]!r} (or {AUDIO_FIELDS[1]!r})"
            )
        elif name:
            max_bytes = max_field_bytes(name)
            if len(part.data) > max_bytes:
                raise InvalidInputError(f"the form field {name!r} is longer than {max_bytes} bytes")
            _, content_parameters = parse_options_header(part.headers.get("content-type", b""))
            charset = content_parameters.get(b"charset", b"").decode("latin-1")
            texts.append((name, bytes(part.data), charset))
    if not upload.audio:
        if audio_parts:
            raise InvalidInputError(
                f"the form's audio file ({_shown(audio_parts[-1])}) is empty: choose the "
                "recording again"
            )
        raise InvalidInputError(
            "the form has no audio file: send it in the field 'audio' (or 'file')"
        )
    form_charset = next(
        (data.decode("latin-1").strip() for name, data, _ in texts if name == CHARSET_FIELD),
        DEFAULT_CHARSET,
    )
    for name, data, charset in texts:
        if name != CHARSET_FIELD:
            upload.fields[name] = _decoded(
                data, charset or form_charset, f"the form field {name!r}"
            )
    return upload


def _shown(audio_part: tuple[str, str | None]) -> str:
    name, filename = audio_part
    return f"{filename!r} in {name!r}" if filename else f"one in {name!r}"


def _filename(header: bytes, disposition: dict[bytes, bytes]) -> str | None:
    """The part's file name: ``filename*`` (RFC 5987) if valid, else ``filename`` as UTF-8
    (what browsers send), else as Latin-1 (older clients); None when the part has none."""
    extended = _EXTENDED_FILENAME.search(header)
    if extended is not None:
        value = extended.group(1).strip(b'"').decode("latin-1")
        charset, _, encoded = decode_rfc2231(value) if "'" in value else (None, None, value)
        try:
            return urllib.parse.unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # an unusable filename* falls back to the plain filename, as RFC 6266 asks
    raw = disposition.get(b"filename")
    if raw is None:
        return "" if extended is not None else None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _decoded(data: bytes, charset: str, what: str) -> str:
    try:
        # bytes.decode accepts only text encodings ("base64" and the like are refused).
        return data.decode(charset)
    except LookupError:
        raise InvalidInputError(
            f"{what} is in the charset {charset[:40]!r}, which is not a known text "
            "encoding; send UTF-8"
        ) from None
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"{what} is not valid {charset} text (byte {error.start} is "
            f"0x{data[error.start]:02x}); send it as UTF-8"
        ) from None


def set_form_fields(message: Message, form_fields: Mapping[str, str]) -> None:
    """Sets each text field of a form onto the protobuf field of the same name of
    ``message`` (a form field overrides what the query string gave it).

    Text becomes the field's type: strings are stripped; numbers are read as Python
    reads them; a bool is "true"/"1"/"on" (an HTML checkbox) or "false"/"0"/"off"/"".
    Only scalar fields can be set (a message or a repeated field is not a form field).

    Raises:
        InvalidInputError: a field ``message`` does not have (the message lists the
            fields it has), or text that is not of the field's type.
    """
    fields = {
        field.name: field
        for field in message.DESCRIPTOR.fields
        if field.type != FieldDescriptor.TYPE_MESSAGE and not field.is_repeated
    }
    for name, text in form_fields.items():
        field = fields.get(name)
        if field is None:
            raise InvalidInputError(
                f"unknown form field {name!r}; the fields are: {', '.join(sorted(fields))}"
                " and the audio file"
            )
        setattr(message, name, _typed(field.type, name, text.strip()))


def _typed(field_type: int, name: str, text: str) -> object:
    if field_type == FieldDescriptor.TYPE_STRING:
        return text
    if field_type == FieldDescriptor.TYPE_BOOL:
        if text.lower() in _TRUE_TEXTS:
            return True
        if text.lower() in _FALSE_TEXTS:
            return False
        raise InvalidInputError(f"the form field {name!r} must be true or false, not {text!r}")
    if field_type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        try:
            value = float(text or 0)
        except ValueError:
            raise InvalidInputError(f"the form field {name!r} must be a number") from None
        if not math.isfinite(value):
            raise InvalidInputError(f"the form field {name!r} must be a finite number")
        return value
    try:
        value = int(text or 0)
    except ValueError:
        raise InvalidInputError(f"the form field {name!r} must be a whole number") from None
    lowest, highest = _INTEGER_RANGES.get(field_type, (-(2**63), 2**63 - 1))
    if not lowest <= value <= highest:
        raise InvalidInputError(
            f"the form field {name!r} must be a whole number from {lowest} to {highest}, not {text}"
        )
    return value


#: The values each protobuf integer type holds (setting another raised protobuf's own
#: "Value out of range", which named no field).
_INTEGER_RANGES: dict[int, tuple[int, int]] = {
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_ENUM: (-(2**31), 2**31 - 1),
}
