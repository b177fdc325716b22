"""Hum -> notes through the mesh: REST via Envoy, gRPC direct and via Envoy."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import grpc
import numpy as np
import pretty_midi
import pytest
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc

from tests.support.encoding import encode
from tests.support.hums import C_MAJOR_PITCHES, C_MAJOR_SCALE_WITH_REST, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http

SAMPLE_RATE_HZ = 22_050


@pytest.fixture(scope="module")
def scale_hum() -> np.ndarray:
    return synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ)


def extract_via_rest(mesh: Mesh, body: bytes, query: str = "", content_type: str = "audio/wav"):
    return http(
        mesh,
        "POST",
        "/v1/melody:extract" + query,
        body=body,
        headers={"Content-Type": content_type},
    )


@pytest.mark.parametrize("file_format", ["wav", "flac", "mp3", "webm", "ogg", "m4a"])
def test_hummed_scale_uploaded_as_any_format_becomes_its_eight_notes(
    mesh: Mesh, scale_hum: np.ndarray, file_format: str
) -> None:
    status, _, body = extract_via_rest(
        mesh, encode(scale_hum, SAMPLE_RATE_HZ, file_format), content_type=f"audio/{file_format}"
    )
    assert status == 200, body
    melody = json.loads(body)["melody"]
    assert [note["midi_pitch"] for note in melody["notes"]] == list(C_MAJOR_PITCHES)
    assert [(p["first_note_index"], p["note_count"]) for p in melody["phrases"]] == [(0, 4), (4, 4)]
    assert melody["engine"] == "swift"
    assert melody["key"]["tonic"] == "C"
    assert melody["warnings"] == []


def test_contour_is_returned_only_when_asked(mesh: Mesh, scale_hum: np.ndarray) -> None:
    wav = encode(scale_hum, SAMPLE_RATE_HZ, "wav")
    assert "contour" not in json.loads(extract_via_rest(mesh, wav)[2])["melody"]
    with_contour = json.loads(extract_via_rest(mesh, wav, "?include_contour=true")[2])
    contour = with_contour["melody"]["contour"]
    assert len(contour["times_s"]) == len(contour["frequencies_hz"]) > 100
    assert contour["hop_s"] > 0


def test_crepe_tiny_engine_is_chosen_per_request(mesh: Mesh, scale_hum: np.ndarray) -> None:
    status, _, body = extract_via_rest(
        mesh, encode(scale_hum, SAMPLE_RATE_HZ, "wav"), "?engine=crepe-tiny"
    )
    assert status == 200, body
    melody = json.loads(body)["melody"]
    assert melody["engine"] == "crepe-tiny"
    assert [note["midi_pitch"] for note in melody["notes"]] == list(C_MAJOR_PITCHES)


def test_melody_as_midi_file_through_rest(mesh: Mesh, scale_hum: np.ndarray) -> None:
    status, headers, body = http(
        mesh,
        "POST",
        "/v1/melody:midi",
        body=encode(scale_hum, SAMPLE_RATE_HZ, "wav"),
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200
    assert headers["content-type"] == "audio/midi"
    midi = pretty_midi.PrettyMIDI(io.BytesIO(body))
    assert [note.pitch for note in midi.instruments[0].notes] == list(C_MAJOR_PITCHES)


def test_silence_gives_no_notes_and_a_warning_not_an_error(mesh: Mesh) -> None:
    silence = np.zeros(SAMPLE_RATE_HZ * 2, dtype=np.float32)
    status, _, body = extract_via_rest(mesh, encode(silence, SAMPLE_RATE_HZ, "wav"))
    assert status == 200
    melody = json.loads(body)["melody"]
    assert melody["notes"] == []
    assert melody["warnings"] and "no melody" in melody["warnings"][0]


@pytest.mark.parametrize(
    ("body", "query", "expected_words"),
    [
        (b"", "", "empty"),
        (b"this is not audio at all" * 100, "", "could not decode"),
        (None, "?engine=yodel", "yodel"),
    ],
    ids=["empty", "garbage", "unknown-engine"],
)
def test_bad_uploads_are_400_with_a_message_a_person_understands(
    mesh: Mesh, scale_hum: np.ndarray, body: bytes | None, query: str, expected_words: str
) -> None:
    payload = encode(scale_hum, SAMPLE_RATE_HZ, "wav") if body is None else body
    status, _, reply = extract_via_rest(mesh, payload, query)
    assert status == 400
    error = json.loads(reply)
    assert error["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert expected_words in error["message"]


def form(audio: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it, and its Content-Type."""
    boundary = "----form-boundary-7MA4YWxk"
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; '.encode()
    body += b'filename="hum.wav"\r\nContent-Type: audio/wav\r\n\r\n' + audio
    body += f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_form_upload_is_read_like_a_raw_one_its_fields_being_options(
    mesh: Mesh, scale_hum: np.ndarray
) -> None:
    body, content_type = form(encode(scale_hum, SAMPLE_RATE_HZ, "wav"), {"include_contour": "on"})
    status, _, reply = extract_via_rest(mesh, body, content_type=content_type)
    assert status == 200, reply
    melody = json.loads(reply)["melody"]
    assert [note["midi_pitch"] for note in melody["notes"]] == list(C_MAJOR_PITCHES)
    assert melody["contour"]["times_s"]

    body, content_type = form(encode(scale_hum, SAMPLE_RATE_HZ, "wav"), {"voice": "joe"})
    status, _, reply = extract_via_rest(mesh, body, content_type=content_type)
    assert status == 400
    assert "unknown form field 'voice'; the fields are: engine, include_contour" in reply.decode()


def test_a_json_body_is_told_to_send_the_audio_file_itself(mesh: Mesh) -> None:
    for path in ("/v1/melody:extract", "/melody-to-vocals"):
        status, _, reply = http(
            mesh,
            "POST",
            path,
            body=b'{"audio": "UklGRg=="}',
            headers={"Content-Type": "application/json"},
        )
        assert status == 400, path
        assert (
            "the body is application/json, but the audio file itself is expected"
            in (json.loads(reply)["message"])
        )


def test_upload_over_the_limit_is_413_at_the_gateway(mesh: Mesh) -> None:
    status, _, _ = extract_via_rest(mesh, b"\0" * (12 * 1024 * 1024))
    assert status == 413


def test_audio_longer_than_the_limit_is_refused_clearly(mesh: Mesh) -> None:
    six_minutes = np.zeros(8000 * 360, dtype=np.float32)
    status, _, reply = extract_via_rest(mesh, encode(six_minutes, 8000, "flac"))
    assert status == 400
    assert "limit is 300" in json.loads(reply)["message"]


def streamed_request(
    audio: bytes, chunk_bytes: int = 64 * 1024
) -> Iterator[pitch_pb2.ExtractMelodyRequest]:
    yield pitch_pb2.ExtractMelodyRequest(options=pitch_pb2.ExtractionOptions(engine="swift"))
    for start in range(0, len(audio), chunk_bytes):
        yield pitch_pb2.ExtractMelodyRequest(audio_chunk=audio[start : start + chunk_bytes])


@pytest.mark.parametrize("route", ["direct", "via-envoy"])
def test_grpc_clients_stream_chunks_and_get_the_same_notes(
    mesh: Mesh, scale_hum: np.ndarray, route: str
) -> None:
    target = mesh.addresses["pitch"] if route == "direct" else mesh.gateway_target
    audio = encode(scale_hum, SAMPLE_RATE_HZ, "flac")
    with grpc.insecure_channel(target) as channel:
        response = pitch_pb2_grpc.PitchServiceStub(channel).ExtractMelody(
            streamed_request(audio), timeout=30
        )
    assert [note.midi_pitch for note in response.melody.notes] == list(C_MAJOR_PITCHES)
    for note in response.melody.notes:
        assert abs(note.cents_offset) < 20


def test_grpc_stream_over_the_limit_is_invalid_argument(mesh: Mesh) -> None:
    too_big = b"\0" * (11 * 1024 * 1024)
    with (
        grpc.insecure_channel(mesh.addresses["pitch"]) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        pitch_pb2_grpc.PitchServiceStub(channel).ExtractMelody(
            streamed_request(too_big, chunk_bytes=1024 * 1024), timeout=30
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "limit of 10.0 MB" in (raised.value.details() or "")


def test_grpc_midi_export_returns_the_file_and_the_melody(
    mesh: Mesh, scale_hum: np.ndarray
) -> None:
    audio = encode(scale_hum, SAMPLE_RATE_HZ, "wav")
    requests = (
        pitch_pb2.ExportMidiRequest(audio_chunk=message.audio_chunk)
        for message in streamed_request(audio)
        if message.HasField("audio_chunk")
    )
    with grpc.insecure_channel(mesh.gateway_target) as channel:
        response = pitch_pb2_grpc.PitchServiceStub(channel).ExportMidi(requests, timeout=30)
    assert response.midi_file.startswith(b"MThd")
    assert len(response.melody.notes) == len(C_MAJOR_PITCHES)
