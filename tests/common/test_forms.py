"""REST uploads: multipart forms (the seed's) or raw files, options from both places."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from expertmusic.pitch.v1 import pitch_pb2
from expertmusic.studio.v1 import studio_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllib3 import encode_multipart_formdata

from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.forms import (
    CHARSET_FIELD,
    max_field_bytes,
    read_upload,
    read_upload_within,
    set_form_fields,
)
from services.common.uploads import FORM_FIELDS_ALLOWANCE_BYTES
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


def largest_form(audio: bytes) -> tuple[str, bytes]:
    """The biggest form the studio reads around ``audio``: every option and ``_charset_``
    at the longest a field may be, each with a Content-Type, the longest boundary RFC 2046
    allows and a long UTF-8 file name."""
    boundary = "b" * 70
    body = b""
    for name in [*studio_pb2.VocalsOptions.DESCRIPTOR.fields_by_name, CHARSET_FIELD]:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            ).encode()
            + b"u" * max_field_bytes(name)
            + b"\r\n"
        )
    filename = "ü" * 127 + ".wav"
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; '
            f'filename="{filename}"\r\nContent-Type: audio/wav\r\n\r\n'
        ).encode()
        + audio
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def test_the_gateways_allowance_holds_the_largest_form_around_a_file_at_the_limit() -> None:
    audio = b"RIFF" + bytes(1000)
    content_type, body = largest_form(audio)
    assert len(body) - len(audio) <= FORM_FIELDS_ALLOWANCE_BYTES
    assert read_upload_within(content_type, body, max_audio_bytes=len(audio)).audio == audio


def test_audio_one_byte_over_the_limit_is_refused_in_a_form_and_raw() -> None:
    audio = b"RIFF" + bytes(1000)
    content_type, body = largest_form(audio)
    with pytest.raises(
        ResourceLimitError,
        match=r"^the upload is 0\.0 MB \(1,004 bytes\); the limit is 0\.0 MB \(1,003 bytes\)$",
    ):
        read_upload_within(content_type, body, max_audio_bytes=len(audio) - 1)
    assert read_upload_within("audio/wav", audio, max_audio_bytes=len(audio)).audio == audio
    with pytest.raises(
        ResourceLimitError, match=r"\(1,004 bytes\); the limit is .* \(1,003 bytes\)"
    ):
        read_upload_within("audio/wav", audio, max_audio_bytes=len(audio) - 1)


def test_a_form_over_the_gateways_allowance_is_refused_before_it_is_read() -> None:
    with pytest.raises(ResourceLimitError, match="131,072 more for a form's other fields"):
        read_upload_within(CONTENT_TYPE, bytes(10 + FORM_FIELDS_ALLOWANCE_BYTES + 1), 10)


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


# ---- RFC 7578 uploads as browsers and HTTP libraries send them ----

FIELD_DATA = Path(__file__).parent.parent / "data" / "field"


def raw_form(disposition: bytes, data: bytes, *, extra_headers: bytes = b"") -> bytes:
    """One part with a Content-Disposition given as raw bytes (as a browser writes it)."""
    return (
        f"--{BOUNDARY}\r\n".encode()
        + b"Content-Disposition: "
        + disposition
        + b"\r\n"
        + extra_headers
        + b"\r\n"
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def test_a_browser_upload_whose_file_name_is_raw_utf8_is_accepted() -> None:
    # The field input F20b: Chrome and Firefox write a non-Latin file name as raw UTF-8.
    body = (FIELD_DATA / "F20b_filename_raw_utf8.bin").read_bytes()
    content_type = (FIELD_DATA / "F20b.content-type.txt").read_text().strip()
    upload = read_upload(content_type, body)
    assert upload.filename == "ハミング 🎵 “take”.wav"
    assert upload.audio.startswith(b"RIFF") and len(upload.audio) == 154394


@pytest.mark.parametrize(
    "filename",
    ["hum.wav", "Zoë’s crème brûlée.wav", "Привет.ogg", "שלום.wav", "東京の歌.m4a", "🎤🎶.webm"],
)
def test_any_file_name_comes_through_raw_utf8(filename: str) -> None:
    disposition = b'form-data; name="audio"; filename="' + filename.encode() + b'"'
    upload = read_upload(CONTENT_TYPE, raw_form(disposition, b"RIFFdata"))
    assert upload.filename == filename and upload.audio == b"RIFFdata"


def test_an_rfc5987_file_name_wins_over_the_plain_one() -> None:
    disposition = (
        b'form-data; name="audio"; filename="fallback.wav"; '
        b"filename*=UTF-8''Zo%C3%AB%E2%80%99s%20hum.wav"
    )
    assert read_upload(CONTENT_TYPE, raw_form(disposition, b"RIFF")).filename == "Zoë’s hum.wav"
    latin1 = b"form-data; name=\"audio\"; filename*=iso-8859-1'fr'cr%E8me.wav"
    assert read_upload(CONTENT_TYPE, raw_form(latin1, b"RIFF")).filename == "crème.wav"
    broken = b'form-data; name="audio"; filename="plain.wav"; filename*=UTF-8\'\'%FF%FE.wav'
    assert read_upload(CONTENT_TYPE, raw_form(broken, b"RIFF")).filename == "plain.wav"


def test_a_latin1_file_name_from_an_old_client_is_read_as_latin1() -> None:
    disposition = b'form-data; name="audio"; filename="cr\xe8me.wav"'
    assert read_upload(CONTENT_TYPE, raw_form(disposition, b"RIFF")).filename == "crème.wav"


def test_text_fields_keep_every_character_and_follow_the_parts_charset() -> None:
    lyrics = "Don’t touch Zoë’s crème brûlée 🎵"
    upload = read_upload(
        CONTENT_TYPE, form(("user_lyrics", None, lyrics.encode()), ("audio", "a.wav", b"RIFF"))
    )
    assert upload.fields == {"user_lyrics": lyrics}
    latin1 = raw_form(
        b'form-data; name="user_lyrics"',
        "crème brûlée".encode("latin-1"),
        extra_headers=b"Content-Type: text/plain; charset=ISO-8859-1\r\n",
    ).removesuffix(f"--{BOUNDARY}--\r\n".encode()) + form(("audio", "a.wav", b"RIFF"))
    assert read_upload(CONTENT_TYPE, latin1).fields == {"user_lyrics": "crème brûlée"}


def test_the_forms_charset_field_names_the_charset_of_its_text_fields() -> None:
    body = form(
        ("_charset_", None, b"windows-1252"),
        ("user_lyrics", None, "Don’t".encode("cp1252")),
        ("audio", "a.wav", b"RIFF"),
    )
    assert read_upload(CONTENT_TYPE, body).fields == {"user_lyrics": "Don’t"}


def test_text_that_is_not_valid_in_its_charset_is_refused_with_the_fields_name() -> None:
    body = form(("user_lyrics", None, b"cr\xe8me"), ("audio", "a.wav", b"RIFF"))
    with pytest.raises(InvalidInputError, match=r"'user_lyrics' is not valid utf-8 .*0xe8"):
        read_upload(CONTENT_TYPE, body)
    unknown = form(("_charset_", None, b"klingon-8"), ("theme", None, b"x"), ("audio", "a", b"R"))
    with pytest.raises(InvalidInputError, match="'klingon-8', which is not a known"):
        read_upload(CONTENT_TYPE, unknown)
    not_text = form(("_charset_", None, b"base64"), ("theme", None, b"eA=="), ("audio", "a", b"R"))
    with pytest.raises(InvalidInputError, match="not a known text encoding"):
        read_upload(CONTENT_TYPE, not_text)


def test_a_content_type_header_with_non_latin_text_is_read_not_crashed_on() -> None:
    assert read_upload("audio/wav; name=ハミング", b"RIFF").audio == b"RIFF"
    upload = read_upload(
        f"multipart/form-data; boundary={BOUNDARY}; x=ü", form(("audio", "é", b"R"))
    )
    assert upload.filename == "é"


# ---- properties ----

# Characters urllib3 writes verbatim inside a quoted parameter (it percent-encodes CR, LF
# and '"'; a backslash is an escape in a quoted-string), so they must come back verbatim.
_NAME_TEXT = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters='"\\%'),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(
        _NAME_TEXT.filter(lambda name: name not in ("audio", "file", "_charset_")),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=200),
        max_size=5,
    ),
    filename=_NAME_TEXT,
    audio=st.binary(min_size=1, max_size=2000),
)
def test_any_form_that_an_http_library_encodes_reads_back_exactly(
    fields: dict[str, str], filename: str, audio: bytes
) -> None:
    body, content_type = encode_multipart_formdata(
        [*fields.items(), ("audio", (filename, audio, "audio/wav"))]
    )
    upload = read_upload(content_type, body)
    assert upload.audio == audio
    assert upload.filename == filename
    assert upload.fields == fields


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=600), boundary=st.sampled_from([BOUNDARY, "x", "a" * 70]))
def test_any_bytes_under_a_multipart_header_are_read_or_refused_clearly(
    body: bytes, boundary: str
) -> None:
    try:
        upload = read_upload(f"multipart/form-data; boundary={boundary}", body)
    except InvalidInputError as error:
        assert str(error)
    else:
        assert upload.audio


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.binary(max_size=100),
    mutation=st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=8)),
)
def test_a_damaged_browser_upload_is_read_or_refused_clearly(
    prefix: bytes, mutation: tuple[int, bytes]
) -> None:
    body = bytearray((FIELD_DATA / "F20b_filename_raw_utf8.bin").read_bytes()[:600])
    position, replacement = mutation
    body[position : position + len(replacement)] = replacement
    try:
        read_upload(CONTENT_TYPE.replace(BOUNDARY, "fieldcase20XyZ"), prefix + bytes(body))
    except InvalidInputError as error:
        assert str(error)


def test_a_whole_songs_words_fit_in_the_user_lyrics_field() -> None:
    words = ("été " * 1250).strip()  # 4,999 characters, 7,499 bytes of UTF-8
    upload = read_upload(
        CONTENT_TYPE, form(("user_lyrics", None, words.encode()), ("audio", "a.wav", b"RIFF"))
    )
    assert upload.fields == {"user_lyrics": words}
    with pytest.raises(InvalidInputError, match="'theme' is longer than 4096 bytes"):
        read_upload(
            CONTENT_TYPE, form(("theme", None, words.encode()), ("audio", "a.wav", b"RIFF"))
        )


@pytest.mark.parametrize(
    ("text", "expected"), [("on", True), ("true", True), ("1", True), ("false", False), ("", False)]
)
def test_a_checkbox_or_a_word_sets_a_yes_no_option(text: str, expected: bool) -> None:
    request = pitch_pb2.UploadMelodyRequest(include_contour=not expected)
    set_form_fields(request, {"include_contour": text})
    assert request.include_contour is expected


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"audio_url": "x"}, "unknown form field 'audio_url'; the fields are: engine, "),
        ({"include_contour": "maybe"}, "'include_contour' must be true or false, not 'maybe'"),
        ({"min_note_duration_s": "fast"}, "'min_note_duration_s' must be a number"),
        ({"min_note_duration_s": "nan"}, "'min_note_duration_s' must be a finite number"),
        ({"min_note_duration_s": "inf"}, "'min_note_duration_s' must be a finite number"),
    ],
)
def test_a_form_field_that_is_no_option_or_not_of_its_type_is_refused(
    fields: dict[str, str], complaint: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(complaint)):
        set_form_fields(pitch_pb2.UploadMelodyRequest(), fields)


@pytest.mark.parametrize("seed", ["-5", "99999999999"])
def test_a_whole_number_its_field_cannot_hold_is_refused_naming_the_field(seed: str) -> None:
    with pytest.raises(
        InvalidInputError,
        match=re.escape(f"'seed' must be a whole number from 0 to 4294967295, not {seed}"),
    ):
        set_form_fields(studio_pb2.VocalsOptions(), {"seed": seed})


def test_a_json_body_is_refused_with_what_to_send_instead() -> None:
    with pytest.raises(InvalidInputError, match="the audio file itself is expected"):
        read_upload("application/json; charset=utf-8", b'{"audio": "..."}')


def test_curl_data_binary_without_a_content_type_is_still_a_raw_upload() -> None:
    upload = read_upload("application/x-www-form-urlencoded", b"RIFF....WAVE")
    assert upload.audio == b"RIFF....WAVE" and upload.fields == {}


def test_a_form_cut_short_before_its_closing_boundary_is_refused_not_half_read() -> None:
    whole = form(("theme", None, b"rain"), ("audio", "hum.wav", b"RIFF" + bytes(400)))
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    for cut in (len(whole) - len(closing), len(whole) // 2, 10):
        with pytest.raises(InvalidInputError, match="cut short: it ends before its closing"):
            read_upload(CONTENT_TYPE, whole[:cut])
    assert read_upload(CONTENT_TYPE, whole[:-2]).audio == b"RIFF" + bytes(400)  # no last CRLF


@pytest.mark.parametrize(
    ("content_type", "body", "complaint"),
    [
        ("multipart/form-data; boundary=other", None, "not framed by the boundary that its "),
        (CONTENT_TYPE, b"", "the multipart/form-data upload is empty"),
    ],
)
def test_a_form_framed_wrongly_or_empty_is_refused_in_words_not_parser_internals(
    content_type: str, body: bytes | None, complaint: str
) -> None:
    body = form(("audio", "hum.wav", b"RIFF")) if body is None else body
    with pytest.raises(InvalidInputError, match=complaint) as refused:
        read_upload(content_type, body)
    assert "index" not in str(refused.value)


@settings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(
        _NAME_TEXT.filter(lambda name: name not in ("audio", "file", "_charset_")),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=50),
        max_size=3,
    ),
    audio=st.binary(min_size=1, max_size=2000),
)
def test_a_form_framed_with_bare_line_feeds_reads_back_byte_for_byte(
    fields: dict[str, str], audio: bytes
) -> None:
    # Hand-written clients end the framing lines with LF alone; the contents keep every
    # byte, CRs and LFs included.
    body, content_type = encode_multipart_formdata(
        [*fields.items(), ("audio", ("hum.wav", audio, "audio/wav"))]
    )
    boundary = content_type.split("boundary=")[1].encode()
    upload = read_upload(content_type, _bare_line_feeds(body, boundary))
    assert upload.audio == audio
    assert upload.fields == fields


def _bare_line_feeds(body: bytes, boundary: bytes) -> bytes:
    """The form with every framing CRLF (delimiter lines, part headers, the blank line
    after them) an LF alone; the part contents untouched."""
    delimiter = b"--" + boundary
    parts = body.split(b"\r\n" + delimiter)
    out = []
    for index, part in enumerate(parts):
        if index and part.startswith(b"--"):
            out.append(b"\n" + delimiter + b"--\n")
            break
        line, _, rest = part.partition(b"\r\n")
        headers, _, content = rest.partition(b"\r\n\r\n")
        out.append(
            (b"\n" + delimiter if index else b"")
            + line
            + b"\n"
            + headers.replace(b"\r\n", b"\n")
            + b"\n\n"
            + content
        )
    return b"".join(out)


def test_two_audio_files_in_one_form_are_refused_not_one_dropped() -> None:
    body = form(("audio", "verse.wav", b"RIFF1"), ("file", "chorus.wav", b"RIFF2"))
    with pytest.raises(
        InvalidInputError,
        match=r"two audio files \('verse.wav' in 'audio' and 'chorus.wav' in 'file'\)",
    ):
        read_upload(CONTENT_TYPE, body)


def test_a_file_in_a_field_that_is_not_the_audio_is_refused_not_ignored() -> None:
    body = form(("audio", "hum.wav", b"RIFF"), ("user_lyrics", "words.txt", b"la la"))
    with pytest.raises(
        InvalidInputError, match=re.escape("'user_lyrics' holds a file ('words.txt')")
    ):
        read_upload(CONTENT_TYPE, body)


def test_an_html_form_sent_without_multipart_is_told_it_carries_no_file() -> None:
    with pytest.raises(InvalidInputError, match='needs enctype="multipart/form-data"'):
        read_upload("application/x-www-form-urlencoded", b"theme=rain&audio=hum.wav")


def test_a_preamble_before_the_first_boundary_is_ignored_as_rfc_2046_says() -> None:
    body = b"This is a multi-part message in MIME format.\r\n" + form(("audio", "a.wav", b"RIFF"))
    assert read_upload(CONTENT_TYPE, body).audio == b"RIFF"


def test_an_empty_audio_file_in_a_form_is_told_as_empty() -> None:
    with pytest.raises(InvalidInputError, match=r"the form's audio file .*'hum.wav'.* is empty"):
        read_upload(CONTENT_TYPE, form(("audio", "hum.wav", b"")))
