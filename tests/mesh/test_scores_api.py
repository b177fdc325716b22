"""Score exports through Envoy: a take, or any extracted melody, as MusicXML and OpenUtau."""

from __future__ import annotations

import json

import pytest
import yaml
from music21 import converter, stream
from music21 import note as m21_note

from tests.scores.musicxml_schema import schema_errors
from tests.support.encoding import encode
from tests.support.hums import C_MAJOR_PITCHES, C_MAJOR_SCALE_WITH_REST, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http, post_json

SAMPLE_RATE_HZ = 22_050
MUSICXML = "application/vnd.recordare.musicxml+xml"
# Eight syllables for the eight notes of the scale, "crè" held over two of them.
WORDS = [("Don’t", 1, True), ("touch", 1, True), ("Zoë’s", 1, True), ("crè", 2, True)]
WORDS += [("me", 1, False), ("brû", 1, True), ("lée", 1, False)]


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    return encode(synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


def sung_notes(document: bytes) -> list[m21_note.Note]:
    score = converter.parseData(document, format="musicxml")
    assert isinstance(score, stream.Score)
    return list(score.parts[0].stripTies().flatten().getElementsByClass(m21_note.Note))


def test_a_take_downloads_as_musicxml_and_as_an_openutau_project(
    mesh: Mesh, hum_wav: bytes
) -> None:
    status, _, reply = http(
        mesh,
        "POST",
        "/melody-to-vocals?seed=5&theme=stars+over+town",
        body=hum_wav,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200, reply
    take = json.loads(reply)
    syllables = [s for line in take["lyrics"]["lines"] for s in line["syllables"]]

    status, headers, document = http(mesh, "GET", f"/v1/takes/{take['take_id']}/musicxml")
    assert status == 200 and headers["content-type"] == MUSICXML
    # Saved under the take's theme (curl -OJ, a browser's link), not as "musicxml".
    assert headers["content-disposition"] == 'attachment; filename="stars over town.musicxml"'
    assert schema_errors(document) == []
    notes = sung_notes(document)
    assert [sung.pitch.midi for sung in notes] == list(C_MAJOR_PITCHES)
    assert [sung.lyric for sung in notes if sung.lyric] == [s["text"] for s in syllables]

    status, headers, project_bytes = http(mesh, "GET", f"/v1/takes/{take['take_id']}/ustx")
    assert status == 200 and headers["content-type"] == "application/yaml"
    assert headers["content-disposition"] == 'attachment; filename="stars over town.ustx"'
    audio_headers = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio?format=flac")[1]
    assert audio_headers["content-disposition"] == 'inline; filename="stars over town.flac"'
    project = yaml.safe_load(project_bytes.decode("utf-8"))
    ustx_notes = project["voice_parts"][0]["notes"]
    assert [note["tone"] for note in ustx_notes] == list(C_MAJOR_PITCHES)
    assert [note["lyric"] for note in ustx_notes if note["lyric"] != "+"] == [
        s["text"] for s in syllables
    ]


def test_an_extracted_melody_with_words_exports_in_every_format(mesh: Mesh, hum_wav: bytes) -> None:
    status, _, reply = http(
        mesh, "POST", "/v1/melody:extract", body=hum_wav, headers={"Content-Type": "audio/wav"}
    )
    assert status == 200, reply
    melody = json.loads(reply)["melody"]
    syllables, note_index = [], 0
    for text, note_count, starts_word in WORDS:
        syllables.append(
            {
                "text": text,
                "note_index": note_index,
                "note_count": note_count,
                "starts_word": starts_word,
            }
        )
        note_index += note_count
    lyrics = {"lines": [{"text": "Don’t touch Zoë’s crème brûlée", "syllables": syllables}]}

    exported = {}
    for score_format in ("midi", "musicxml", "ustx"):
        status, headers, data = http(
            mesh,
            "POST",
            "/v1/scores:export",
            body=json.dumps(
                {"melody": melody, "lyrics": lyrics, "format": score_format, "title": "Zoë’s"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 200, data
        exported[headers["content-type"]] = data
        extension = "mid" if score_format == "midi" else score_format
        assert headers["content-disposition"].endswith(
            f"; filename*=UTF-8''Zo%C3%AB%E2%80%99s.{extension}"
        )

    assert set(exported) == {"audio/midi", MUSICXML, "application/yaml"}
    assert "Zoë’s".encode() in exported["audio/midi"]  # UTF-8 lyric events
    document = exported[MUSICXML]
    assert schema_errors(document) == []
    assert [sung.lyric for sung in sung_notes(document)] == [
        "Don’t",
        "touch",
        "Zoë’s",
        "crè",
        None,
        "me",
        "brû",
        "lée",
    ]
    project = yaml.safe_load(exported["application/yaml"].decode("utf-8"))
    assert project["name"] == "Zoë’s"
    assert [note["lyric"] for note in project["voice_parts"][0]["notes"]] == [
        "Don’t",
        "touch",
        "Zoë’s",
        "crè",
        "+",
        "me",
        "brû",
        "lée",
    ]


def test_an_unknown_score_format_is_a_400_that_names_the_formats(
    mesh: Mesh, hum_wav: bytes
) -> None:
    status, _, reply = http(
        mesh, "POST", "/v1/melody:extract", body=hum_wav, headers={"Content-Type": "audio/wav"}
    )
    melody = json.loads(reply)["melody"]
    status, answer = post_json(mesh, "/v1/scores:export", {"melody": melody, "format": "pdf"})
    assert status == 400
    assert "choose one of midi, musicxml, ustx" in json.dumps(answer)
