"""The user's words and uploads through Envoy: browser uploads with any file name, and
lyrics sung exactly as written (the field inputs F18, F19b and F20b among them)."""

from __future__ import annotations

import io
import json
import urllib.parse
import uuid
from pathlib import Path

import pretty_midi
import pytest

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http, post_json

FIELD = Path(__file__).parent.parent / "data" / "field"
SAMPLE_RATE_HZ = 22_050
FIELD_PITCHES = [60, 62, 64, 67, 64]


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    notes = hum_notes((60, 62, 64, 67, 64, 62, 60))
    return encode(synthesize_hum(notes, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


def upload(
    mesh: Mesh, disposition: bytes, audio: bytes, fields: dict[str, str] | None = None
) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex.encode()
    body = b""
    for name, value in (fields or {}).items():
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="'
        body += name.encode() + b'"\r\n\r\n' + value.encode() + b"\r\n"
    body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
    body += b"Content-Type: audio/wav\r\n\r\n" + audio + b"\r\n--" + boundary + b"--\r\n"
    status, _, reply = http(
        mesh,
        "POST",
        "/melody-to-vocals",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"},
    )
    return status, json.loads(reply)


def midi_lyrics(mesh: Mesh, take: dict) -> list[str]:
    status, _, data = http(mesh, "GET", f"/v1/takes/{take['take_id']}/midi")
    assert status == 200
    return [
        lyric.text for lyric in pretty_midi.PrettyMIDI(io.BytesIO(data), charset="utf-8").lyrics
    ]


def syllable_texts(take: dict) -> list[str]:
    return [s["text"] for line in take["lyrics"]["lines"] for s in line["syllables"]]


# ---- uploads ----


def test_the_field_browser_upload_with_a_raw_utf8_file_name_makes_a_take(mesh: Mesh) -> None:
    status, _, reply = http(
        mesh,
        "POST",
        "/melody-to-vocals",
        body=(FIELD / "F20b_filename_raw_utf8.bin").read_bytes(),
        headers={"Content-Type": (FIELD / "F20b.content-type.txt").read_text().strip()},
    )
    take = json.loads(reply)
    assert status == 200, take
    assert [note["midi_pitch"] for note in take["melody"]["notes"]] == FIELD_PITCHES


@pytest.mark.parametrize(
    "disposition",
    [
        'form-data; name="audio"; filename="Привет мир.wav"'.encode(),
        'form-data; name="audio"; filename="שיר ערש.wav"'.encode(),
        'form-data; name="file"; filename="🎤 demo \\"final\\".wav"'.encode(),
        b"form-data; name=\"audio\"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.wav",
        b'form-data; name="audio"; filename="cr\xe8me.wav"',  # Latin-1 from an old client
    ],
)
def test_any_file_name_is_accepted(mesh: Mesh, disposition: bytes) -> None:
    audio = (FIELD / "F20b_filename_raw_utf8.bin").read_bytes()
    audio = audio[audio.index(b"RIFF") : audio.rindex(b"\r\n--")]
    status, take = upload(mesh, disposition, audio)
    assert status == 200, take
    assert [note["midi_pitch"] for note in take["melody"]["notes"]] == FIELD_PITCHES


# ---- the user's words ----


def test_the_field_lyrics_are_sung_and_spelled_exactly(mesh: Mesh) -> None:
    lyrics = (FIELD / "F18_user_lyrics.txt").read_text(encoding="utf-8")
    status, take = upload(
        mesh,
        b'form-data; name="audio"; filename="F18_hum_7_notes.wav"',
        (FIELD / "F18_hum_7_notes.wav").read_bytes(),
        {"user_lyrics": lyrics},
    )
    assert status == 200, take
    assert len(take["melody"]["notes"]) == 7
    sung = syllable_texts(take)
    assert "".join(sung) == "Don’ttouchZoë’scrèmebrûlée"
    assert len(sung) == 7  # one syllable per note, no melisma and no invented word
    assert midi_lyrics(mesh, take) == sung
    assert take["engines"]["lyrics"] == "user"
    assert take["audio_duration_s"] > 1.0


def test_spare_notes_are_held_not_filled_with_invented_words(mesh: Mesh, hum_wav: bytes) -> None:
    status, take = upload(
        mesh, b'form-data; name="audio"; filename="hum.wav"', hum_wav, {"user_lyrics": "Zoë’s song"}
    )
    assert status == 200, take
    syllables = [s for line in take["lyrics"]["lines"] for s in line["syllables"]]
    assert [s["text"] for s in syllables] == ["Zo", "ë’s", "song"]
    assert sum(s.get("note_count", 1) for s in syllables) == len(take["melody"]["notes"])
    assert any("melisma" in warning for warning in take["warnings"])
    status, _, audio = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio")
    assert status == 200 and len(audio) > 44


def test_the_field_numbers_and_abbreviations_are_said_as_words(mesh: Mesh) -> None:
    request = json.loads((FIELD / "F19b_numbers_abbrev.json").read_text())
    status, lyrics = post_json(mesh, "/v1/lyrics:write", request)
    assert status == 200, lyrics
    sung = " ".join(s["text"] for line in lyrics["lines"] for s in line["syllables"])
    for said in (
        "nine one one",
        "twen ty twen ty- four",
        "ten thir ty",
        "doc tor",
        "five dol lars",
    ):
        assert said in sung
    assert [line["text"] for line in lyrics["lines"]] == [
        "Call 911 in 2024",
        "at 10:30, Dr. Who, $5",
    ]
    for token in ("911", "2024", "10:30", "Dr.", "$5"):
        assert any(w.startswith(f"'{token}' is sung as") for w in lyrics["warnings"]), token


@pytest.mark.parametrize(
    ("user_lyrics", "said", "warning"),
    [
        ("Meet me at 7:45 pm on the 3rd", "sev en for ty- five p m on the third", "'3rd'"),
        ("It costs €20 &amp; 50%", "twen ty eu ros and fif ty per cent", "'&amp;'"),
        ("Mrs. Robinson in 1968", "mis sus Ro bin son in", "'1968'"),
        ("love\u200b you \u2764\ufe0f so", "love you so", "'❤️'"),
    ],
)
def test_other_numbers_entities_and_symbols_are_said_as_words_and_named(
    mesh: Mesh, user_lyrics: str, said: str, warning: str
) -> None:
    status, lyrics = post_json(
        mesh,
        "/v1/lyrics:write",
        {"syllablePlan": {"syllablesPerLine": [20]}, "userLyrics": user_lyrics},
    )
    assert status == 200, lyrics
    assert said in " ".join(s["text"] for s in lyrics["lines"][0]["syllables"])
    assert any(warning in w for w in lyrics["warnings"]), lyrics["warnings"]


@pytest.mark.parametrize(
    ("user_lyrics", "named"),
    [("hello שלום", "שלום"), ("Привет world", "Привет"), ("tokyo 東京", "東京")],
)
def test_words_that_cannot_be_said_get_a_400_naming_them(
    mesh: Mesh, user_lyrics: str, named: str
) -> None:
    status, error = post_json(
        mesh,
        "/v1/lyrics:write",
        {"syllablePlan": {"syllablesPerLine": [8]}, "userLyrics": user_lyrics},
    )
    assert status == 400
    assert named in error["message"]


def test_lyrics_longer_than_the_notes_get_a_400_saying_how_many_do_not_fit(mesh: Mesh) -> None:
    status, error = post_json(
        mesh,
        "/v1/lyrics:write",
        {"syllablePlan": {"syllablesPerLine": [3]}, "userLyrics": "Don’t touch Zoë’s crème brûlée"},
    )
    assert status == 400
    assert "4 syllables (ë’s crème brû lée) do not fit" in error["message"]


def test_a_revised_line_keeps_the_users_spelling_and_holds_spare_notes(
    mesh: Mesh, hum_wav: bytes
) -> None:
    status, take = upload(mesh, b'form-data; name="audio"; filename="hum.wav"', hum_wav)
    assert status == 200, take
    status, revised = post_json(
        mesh, f"/v1/takes/{take['take_id']}:revise", {"line_texts": {"0": "Zoë’s"}}
    )
    assert status == 200, revised
    first = revised["lyrics"]["lines"][0]["syllables"]
    assert "".join(s["text"] for s in first) == "Zoë’s"
    assert any("melisma" in warning for warning in revised["warnings"])
    status, error = post_json(
        mesh,
        f"/v1/takes/{take['take_id']}:revise",
        {"line_texts": {"0": "one two three four five six seven eight nine ten eleven"}},
    )
    assert status == 400 and "do not fit" in error["message"]
    status, error = post_json(
        mesh, f"/v1/takes/{take['take_id']}:revise", {"line_texts": {"0": "Привет"}}
    )
    assert status == 400 and "Привет" in error["message"]


def test_the_url_encoded_query_carries_user_lyrics_too(mesh: Mesh, hum_wav: bytes) -> None:
    query = urllib.parse.urlencode({"user_lyrics": "crème brûlée"})
    status, _, reply = http(
        mesh,
        "POST",
        f"/melody-to-vocals?{query}",
        body=hum_wav,
        headers={"Content-Type": "audio/wav"},
    )
    take = json.loads(reply)
    assert status == 200, take
    assert "+" in query  # a space, as forms and urlencode write it
    assert take["lyrics"]["lines"][0]["text"] == "crème brûlée"
