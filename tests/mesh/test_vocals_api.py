"""Melody-to-vocals end to end through Envoy: the seed's endpoint, streaming, takes."""

from __future__ import annotations

import base64
import io
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import pretty_midi
import pytest
import soundfile
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from services.synth.engines import festival
from tests.support.encoding import encode
from tests.support.hums import C_MAJOR_PITCHES, C_MAJOR_SCALE_WITH_REST, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http, post_audio

SAMPLE_RATE_HZ = 22_050


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    return encode(synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


def multipart(
    fields: dict[str, str], file_field: str, filename: str, data: bytes
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def create_take(mesh: Mesh, body: bytes, content_type: str, query: str = "") -> tuple[int, dict]:
    status, _, reply = http(
        mesh, "POST", "/melody-to-vocals" + query, body=body, headers={"Content-Type": content_type}
    )
    return status, json.loads(reply)


def local_url(mesh: Mesh, url: str) -> str:
    """Take URLs name the public gateway; the test mesh runs on another port."""
    return url.split("/v1/", 1)[1]


def assert_sings_the_scale(take: dict) -> None:
    assert [note["midi_pitch"] for note in take["melody"]["notes"]] == list(C_MAJOR_PITCHES)
    lines = take["lyrics"]["lines"]
    assert [len(line["syllables"]) for line in lines] == [4, 4]
    assert [s["note_index"] for line in lines for s in line["syllables"]] == list(range(8))
    assert take["audio_duration_s"] > 3.0
    assert set(take["timings_s"]) == {"pitch", "lyrics", "synth", "store", "total"}
    assert take["engines"] == {
        "pitch": "swift",
        "lyrics": "local",
        "synth": "local",
        # C4..C5 with no voice chosen: auto gives the high voice where it is installed.
        "voice": "slt" if festival.unavailable_reason(festival.SLT) is None else "joe",
    }


@pytest.mark.parametrize(
    ("file_field", "file_format"), [("audio", "wav"), ("file", "mp3"), ("audio", "webm")]
)
def test_seed_endpoint_takes_a_multipart_hum_and_returns_a_take(
    mesh: Mesh, file_field: str, file_format: str
) -> None:
    hum = encode(
        synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, file_format
    )
    body, content_type = multipart(
        {"theme": "summer rain", "mood": "hopeful", "seed": "7"},
        file_field,
        f"hum.{file_format}",
        hum,
    )
    status, take = create_take(mesh, body, content_type)
    assert status == 200, take
    assert_sings_the_scale(take)
    assert take["options"]["theme"] == "summer rain"
    assert take["audio_url"].endswith(f"/v1/takes/{take['take_id']}/audio")


def test_a_plus_in_the_query_is_a_space_as_html_forms_write_it(mesh: Mesh, hum_wav: bytes) -> None:
    status, take = create_take(mesh, hum_wav, "audio/wav", "?theme=night+trains&mood=a%2Bb")
    assert status == 200, take
    assert (take["options"]["theme"], take["options"]["mood"]) == ("night trains", "a+b")


def test_raw_upload_with_query_options_and_the_take_can_be_fetched_again(
    mesh: Mesh, hum_wav: bytes
) -> None:
    status, take = create_take(mesh, hum_wav, "audio/wav", "?theme=the%20sea&voice=joe-high")
    assert status == 200, take
    assert take["engines"]["voice"] == "joe-high"
    assert take["options"]["theme"] == "the sea"

    status, _, reply = http(mesh, "GET", f"/v1/takes/{take['take_id']}")
    assert status == 200
    assert json.loads(reply)["lyrics"] == take["lyrics"]

    status, headers, wav = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio")
    assert status == 200 and headers["content-type"] == "audio/wav"
    samples, sample_rate_hz = soundfile.read(io.BytesIO(wav))
    assert abs(len(samples) / sample_rate_hz - take["audio_duration_s"]) < 0.05
    assert np.max(np.abs(samples)) > 0.05

    status, headers, flac = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio?format=flac")
    assert status == 200 and headers["content-type"] == "audio/flac"
    assert soundfile.info(io.BytesIO(flac)).format == "FLAC"

    status, headers, midi_bytes = http(mesh, "GET", f"/v1/takes/{take['take_id']}/midi")
    assert status == 200 and headers["content-type"] == "audio/midi"
    midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes), charset="utf-8")
    sung = [s["text"] for line in take["lyrics"]["lines"] for s in line["syllables"]]
    assert [lyric.text for lyric in midi.lyrics] == sung


def test_user_lyrics_that_fit_are_sung_as_written(mesh: Mesh, hum_wav: bytes) -> None:
    body, content_type = multipart(
        {"user_lyrics": "twinkle little\nhow I wonder"},
        "audio",
        "hum.wav",
        hum_wav,
    )
    status, take = create_take(mesh, body, content_type)
    assert status == 200, take
    assert [line["text"] for line in take["lyrics"]["lines"]] == ["twinkle little", "how I wonder"]
    assert [s["text"] for s in take["lyrics"]["lines"][0]["syllables"]] == [
        "twin",
        "kle",
        "lit",
        "tle",
    ]


def test_streaming_endpoint_sends_progress_then_audio_then_the_take(
    mesh: Mesh, hum_wav: bytes
) -> None:
    status, _, body = http(
        mesh,
        "POST",
        "/v1/melody-to-vocals:stream?seed=3",
        body=hum_wav,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200
    events = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "melody"
    assert kinds.index("lyrics") < kinds.index("audio_chunk")
    assert kinds[-1] == "take"
    fractions = [event["progress"]["fraction"] for event in events if "progress" in event]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    wav = b"".join(
        base64.b64decode(event["audio_chunk"]) for event in events if "audio_chunk" in event
    )
    samples, sample_rate_hz = soundfile.read(io.BytesIO(wav))
    assert abs(len(samples) / sample_rate_hz - events[-1]["take"]["audio_duration_s"]) < 0.05


def test_grpc_stream_gives_audio_before_the_summary(mesh: Mesh, hum_wav: bytes) -> None:
    def requests():
        yield studio_pb2.MelodyToVocalsRequest(options=studio_pb2.VocalsOptions(theme="trains"))
        for start in range(0, len(hum_wav), 32 * 1024):
            yield studio_pb2.MelodyToVocalsRequest(audio_chunk=hum_wav[start : start + 32 * 1024])

    with grpc.insecure_channel(mesh.gateway_target) as channel:
        events = list(
            studio_pb2_grpc.StudioServiceStub(channel).MelodyToVocals(requests(), timeout=120)
        )
    kinds = [event.WhichOneof("event") for event in events]
    assert "audio_chunk" in kinds and kinds[-1] == "take"
    assert kinds.index("audio_chunk") < kinds.index("take")
    assert events[-1].take.take_id


def test_eight_requests_at_once_all_succeed(mesh: Mesh, hum_wav: bytes) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: create_take(mesh, hum_wav, "audio/wav"), range(8)))
    assert [status for status, _ in results] == [200] * 8
    assert len({take["take_id"] for _, take in results}) == 8


def test_silence_is_a_clear_failed_precondition(mesh: Mesh) -> None:
    silence = encode(np.zeros(SAMPLE_RATE_HZ * 2, dtype=np.float32), SAMPLE_RATE_HZ, "wav")
    status, error = create_take(mesh, silence, "audio/wav")
    assert status == 400
    assert error["code"] == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert "no melody was found" in error["message"]


@pytest.mark.parametrize(
    ("query", "expected_words"),
    [
        ("?voice=pavarotti", "pavarotti"),
        ("?synth_engine=kazoo", "kazoo"),
        ("?pitch_engine=yodel", "yodel"),
    ],
)
def test_bad_options_are_400_naming_the_problem(
    mesh: Mesh, hum_wav: bytes, query: str, expected_words: str
) -> None:
    status, error = create_take(mesh, hum_wav, "audio/wav", query)
    assert status == 400, error
    assert expected_words in error["message"]


def test_form_without_audio_and_unknown_take_are_clear_errors(mesh: Mesh) -> None:
    body, content_type = multipart({"theme": "x"}, "picture", "cat.txt", b"meow")
    status, error = create_take(mesh, body, content_type)
    assert status == 400 and "field 'audio'" in error["message"]
    assert http(mesh, "GET", "/v1/takes/" + "0" * 32)[0] == 404
    assert http(mesh, "GET", "/v1/takes/..%2F..%2Fetc")[0] == 400


def test_streaming_failure_after_the_first_event_arrives_as_a_final_error_event(
    mesh: Mesh, hum_wav: bytes
) -> None:
    # Words for far more notes than the hum has: only the lyrics stage, after the
    # melody was sent, can tell.
    words = "+".join(["la"] * 200)
    status, _, body = post_audio(mesh, f"/v1/melody-to-vocals:stream?user_lyrics={words}", hum_wav)
    assert status == 200  # the melody was already on its way when the lyrics refused
    events = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    assert next(iter(events[0])) == "melody"
    assert events[-1]["error"]["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("voice=pavarotti", "unknown voice 'pavarotti' for engine 'local'; valid voices: "),
        ("rhyme_scheme=QQ1", "rhyme scheme"),
        ("lyrics_provider=anthropic", "provider 'anthropic' is not configured"),
        ("transpose_semitones=25", "transpose_semitones must be within -24..24, not 25"),
        ("synth_engine=bark", "synth engine 'bark' cannot sing here: "),
    ],
)
def test_streaming_with_a_bad_option_fails_before_the_stream_with_a_status(
    mesh: Mesh, hum_wav: bytes, query: str, message: str
) -> None:
    # Checked before the recording is transcribed: a 400, not a 200 stream ending in an
    # error event.
    status, _, body = post_audio(mesh, f"/v1/melody-to-vocals:stream?{query}", hum_wav)
    assert status == 400
    assert message in json.loads(body)["message"]


def test_streaming_bad_upload_fails_before_the_stream_with_a_status(mesh: Mesh) -> None:
    status, _, body = http(
        mesh,
        "POST",
        "/v1/melody-to-vocals:stream",
        body=b"la la la" * 100,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 400
    assert "could not decode" in json.loads(body)["message"]
