"""A corpus of bad input through Envoy: every case gets a clear 4xx or a correct answer,
and every service is still healthy afterwards.

Truncated and corrupt files, lying headers, NaN/inf samples, 1-sample and over-long
audio, 8 kHz and 192 kHz, many channels, non-audio with an audio name, zip bombs and
path traversal, odd text, oversized and deeply nested JSON, broken multipart bodies.
"""

from __future__ import annotations

import functools
import io
import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import Mesh
from tests.support.rest import http

HUM_PITCHES = (60, 62, 64, 67)
BOUNDARY = "c0rpusb0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def hum(sample_rate_hz: int = 22_050, channels: int = 1) -> np.ndarray:
    mono = synthesize_hum(hum_notes(HUM_PITCHES), sample_rate_hz)
    return np.repeat(mono[:, np.newaxis], channels, axis=1) if channels > 1 else mono


def wav(samples: np.ndarray, sample_rate_hz: int = 22_050, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate_hz, format="WAV", subtype=subtype)
    return buffer.getvalue()


def patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``data`` with a little-endian field rewritten (a header that lies)."""
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def form(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body from (Content-Disposition, data) pairs."""
    body = b""
    for disposition, data in parts:
        body += f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition + b"\r\n\r\n"
        body += data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def audio_part(data: bytes, filename: bytes = b"hum.wav") -> tuple[bytes, bytes]:
    return b'form-data; name="audio"; filename="' + filename + b'"', data


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lyrics_json(**fields: object) -> bytes:
    return json.dumps({"syllablePlan": {"syllablesPerLine": [6]}, **fields}).encode()


def sung_words_json(words: tuple[str, ...], voice: str) -> bytes:
    """A sing request with these syllables (no phonemes) on as many notes."""
    notes = [{"onset_s": 0.5 * i, "duration_s": 0.5, "midi_pitch": 60} for i in range(len(words))]
    syllables = [{"text": word, "note_index": index} for index, word in enumerate(words)]
    return json.dumps(
        {
            "melody": {"notes": notes},
            "voice": voice,
            "lyrics": {"lines": [{"syllables": syllables}]},
        },
        ensure_ascii=False,
    ).encode()


def score_json(tempo_bpm: float, score_format: str) -> bytes:
    """A score export of one note at this tempo."""
    melody = {"notes": [{"onset_s": 0, "duration_s": 1, "midi_pitch": 60}], "tempo_bpm": tempo_bpm}
    return json.dumps({"format": score_format, "melody": melody}).encode()


@dataclass(frozen=True)
class Case:
    """One bad input, where it goes and what a correct service answers.

    statuses: the acceptable HTTP statuses; message: a regex the error message (or, for
    a 200, the answer's JSON text) must contain; check: more checks on a 200 answer.
    """

    path: str
    content_type: str
    body: Callable[[], bytes]
    statuses: tuple[int, ...]
    message: str = ""
    check: Callable[[dict], None] | None = None


def sings_the_hum(answer: dict) -> None:
    pitches = [note["midi_pitch"] for note in answer["melody"]["notes"]]
    assert pitches == list(HUM_PITCHES), pitches


def finds_nothing_or_refuses(answer: dict) -> None:
    assert answer["melody"].get("notes", []) == [] and answer["melody"]["warnings"]


EXTRACT = "/v1/melody:extract"
VOCALS = "/melody-to-vocals"
LYRICS = "/v1/lyrics:write"
DATASETS = "/v1/datasets?name=corpus"

CASES: dict[str, Case] = {
    # ---- audio files that are damaged or lie ----
    "truncated wav": Case(
        EXTRACT,
        "audio/wav",
        lambda: wav(hum())[: len(wav(hum())) * 3 // 4],
        (200,),
        "the file is cut short: its header promises",
    ),
    "flac cut at three quarters": Case(
        EXTRACT,
        "audio/flac",
        lambda: encode(hum(), 22_050, "flac")[: len(encode(hum(), 22_050, "flac")) * 3 // 4],
        (200,),
        "the file is cut short",
    ),
    "wav header only": Case(EXTRACT, "audio/wav", lambda: wav(hum())[:44], (400,), "no samples"),
    "random bytes as wav": Case(
        EXTRACT,
        "audio/wav",
        lambda: np.random.default_rng(1).bytes(5000),
        (400,),
        "could not decode",
    ),
    "riff size lies (too big)": Case(
        EXTRACT,
        "audio/wav",
        lambda: patched(wav(hum()), 4, "<I", 0xFFFFFFF0),
        (200,),
        "",
        sings_the_hum,
    ),
    "data size lies (too big)": Case(
        EXTRACT,
        "audio/wav",
        lambda: patched(wav(hum()), 40, "<I", 0x7FFFFFF0),
        (200,),
        "",
        sings_the_hum,
    ),
    "sample rate 0 in header": Case(
        EXTRACT,
        "audio/wav",
        lambda: patched(wav(hum()), 24, "<I", 0),
        (400,),
        "could not decode|sample rate",
    ),
    "zero channels in header": Case(
        EXTRACT, "audio/wav", lambda: patched(wav(hum()), 22, "<H", 0), (400,), "could not decode"
    ),
    "nan samples": Case(
        EXTRACT,
        "audio/wav",
        lambda: wav(np.full(22_050, np.nan, dtype=np.float32), subtype="FLOAT"),
        (400,),
        "none of the audio's samples is a number",
    ),
    "inf samples in a hum": Case(
        EXTRACT,
        "audio/wav",
        lambda: wav(
            np.where(np.arange(hum().size) % 997 == 0, np.inf, hum()).astype(np.float32),
            subtype="FLOAT",
        ),
        (200,),
        "are not numbers \\(NaN or infinite\\) and were read as silence",
        None,
    ),
    "one sample": Case(
        EXTRACT, "audio/wav", lambda: wav(np.array([0.5])), (200, 400), "", finds_nothing_or_refuses
    ),
    "over five minutes": Case(
        EXTRACT, "audio/wav", lambda: wav(np.zeros(8_000 * 301), 8_000), (400,), "300"
    ),
    "8 kHz hum": Case(
        EXTRACT, "audio/wav", lambda: wav(hum(8_000), 8_000), (200,), "", sings_the_hum
    ),
    "192 kHz hum": Case(
        EXTRACT, "audio/wav", lambda: wav(hum(192_000), 192_000), (200,), "", sings_the_hum
    ),
    "six-channel hum": Case(
        EXTRACT, "audio/wav", lambda: wav(hum(channels=6)), (200,), "", sings_the_hum
    ),
    "png with an audio type": Case(EXTRACT, "audio/wav", lambda: PNG, (400,), "could not decode"),
    "text with an mp3 type": Case(
        EXTRACT,
        "audio/mpeg",
        lambda: b"hello, this is not audio\n" * 50,
        (400,),
        "could not decode",
    ),
    "empty body": Case(EXTRACT, "audio/wav", lambda: b"", (400,), "empty"),
    "one byte over the upload limit": Case(
        EXTRACT,
        "audio/wav",
        lambda: bytes(10 * 1024 * 1024 + 1),
        (413,),
        "larger than the gateway takes: 10485760 bytes of audio",
    ),
    "truncated flac": Case(
        EXTRACT, "audio/flac", lambda: encode(hum(), 22_050, "flac")[:3000], (200, 400), ""
    ),
    "ogg with its pages scrambled": Case(
        EXTRACT,
        "audio/ogg",
        lambda: (lambda d: d[:200] + bytes(reversed(d[200:])))(encode(hum(), 22_050, "ogg")),
        (200, 400),
        "",
    ),
    # ---- multipart uploads ----
    "png named hum.wav": Case(
        VOCALS, MULTIPART, lambda: form(audio_part(PNG)), (400,), "could not decode"
    ),
    "multipart never closed": Case(
        VOCALS,
        MULTIPART,
        lambda: form(audio_part(wav(hum())))[: -len(f"--{BOUNDARY}--\r\n") - 2],
        (400,),
        "cut short: it ends before its closing boundary",
    ),
    "multipart cut in the middle of the audio": Case(
        EXTRACT,
        MULTIPART,
        lambda: form(audio_part(wav(hum())))[:20_000],
        (400,),
        "cut short",
    ),
    "multipart with two recordings": Case(
        VOCALS,
        MULTIPART,
        lambda: form(audio_part(wav(hum())), audio_part(wav(hum()), b"again.wav")),
        (400,),
        "two audio files",
    ),
    "multipart without boundary": Case(
        VOCALS, "multipart/form-data", lambda: b"x", (400,), "boundary"
    ),
    "lyrics field not utf-8": Case(
        VOCALS,
        MULTIPART,
        lambda: form((b'form-data; name="user_lyrics"', b"cr\xe8me"), audio_part(wav(hum()))),
        (400,),
        "user_lyrics",
    ),
    "form field too long": Case(
        VOCALS,
        MULTIPART,
        lambda: form((b'form-data; name="theme"', b"x" * 5000), audio_part(wav(hum()))),
        (400,),
        "longer than",
    ),
    "non-audio file named with a raw utf-8 name": Case(
        VOCALS,
        MULTIPART,
        lambda: form(audio_part(b"not audio", "ハミング.wav".encode())),
        (400,),
        "could not decode",
    ),
    # ---- zips for training sets ----
    "zip bomb": Case(
        DATASETS,
        "application/zip",
        lambda: zipped({"a.wav": bytes(300 * 1024 * 1024)}),
        (400, 413),
        "compress|uncompressed|expand",
    ),
    "zip path traversal": Case(
        DATASETS,
        "application/zip",
        lambda: zipped({"../../etc/evil.wav": wav(hum())}),
        (400,),
        "unsafe|\\.\\.",
    ),
    "zip of non-audio named .wav": Case(
        DATASETS, "application/zip", lambda: zipped({"take.wav": PNG}), (400,), ""
    ),
    "damaged zip": Case(
        DATASETS, "application/zip", lambda: zipped({"a.wav": wav(hum())})[:100], (400,), "zip"
    ),
    # ---- JSON and text ----
    "deeply nested json": Case(
        LYRICS,
        "application/json",
        lambda: b'{"theme": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        (400,),
        "too deep",
    ),
    "oversized json": Case(
        LYRICS, "application/json", lambda: lyrics_json(theme="la " * 700_000), (400, 413)
    ),
    "a theme of 18,000 characters in the query string": Case(
        VOCALS + "?theme=" + "ocean+" * 3000,
        "audio/wav",
        lambda: wav(hum()),
        (400,),
        "the theme has 18000 characters; at most 500 are allowed",
    ),
    "json of the wrong types": Case(
        LYRICS, "application/json", lambda: lyrics_json(seed="many"), (400,), "seed"
    ),
    "json not utf-8": Case(
        LYRICS, "application/json", lambda: b'{"theme": "cr\xe8me"}', (400,), "UTF-8"
    ),
    "melody with NaN times": Case(
        LYRICS,
        "application/json",
        lambda: json.dumps(
            {"melody": {"notes": [{"onsetS": "NaN", "durationS": "Infinity", "midiPitch": 60}]}}
        ).encode(),
        (400,),
        "note 1 has onset_s nan; it must be a finite number",
    ),
    "lyrics for a melody with a tempo of -1": Case(
        LYRICS,
        "application/json",
        lambda: json.dumps(
            {
                "melody": {
                    "notes": [{"onset_s": 0, "duration_s": 0.5, "midi_pitch": 60}],
                    "tempo_bpm": -1,
                }
            }
        ).encode(),
        (400,),
        "the melody has tempo_bpm -1.0; a tempo is 0",
    ),
    "a shortest note of -1 s": Case(
        EXTRACT + "?min_note_duration_s=-1",
        "audio/wav",
        lambda: wav(hum()),
        (400,),
        "min_note_duration_s is -1.0; it must be a number of seconds above 0",
    ),
    "score with a NaN phrase": Case(
        "/v1/scores:export",
        "application/json",
        lambda: json.dumps(
            {
                "format": "ustx",
                "melody": {
                    "notes": [{"onset_s": 0, "duration_s": 0.5, "midi_pitch": 60}],
                    "phrases": [{"first_note_index": 0, "note_count": 1, "onset_s": "NaN"}],
                },
            }
        ).encode(),
        (400,),
        "phrase 1 has onset_s nan",
    ),
    "score with an infinite note": Case(
        "/v1/scores:export",
        "application/json",
        lambda: json.dumps(
            {
                "format": "musicxml",
                "melody": {"notes": [{"onset_s": 0, "duration_s": "Infinity", "midi_pitch": 60}]},
            }
        ).encode(),
        (400,),
        "note 1 has duration_s inf; it must be a finite number",
    ),
    "sung melody with a NaN confidence": Case(
        "/v1/vocals:sing",
        "application/json",
        lambda: json.dumps(
            {
                "melody": {
                    "notes": [
                        {"onset_s": 0, "duration_s": 0.5, "midi_pitch": 60, "confidence": "NaN"}
                    ]
                },
                "lyrics": {"lines": [{"syllables": [{"text": "la", "note_index": 0}]}]},
            }
        ).encode(),
        (400,),
        "note 1 has confidence nan",
    ),
    **{
        f"sung words in {script}, voice {voice}": Case(
            "/v1/vocals:sing",
            "application/json",
            functools.partial(sung_words_json, words, voice),
            (400,),
            f"cannot be sung: '{words[0]}'",
        )
        for script, words in (("Cyrillic", ("привет", "мир")), ("emoji", ("😀", "😀")))
        for voice in ("slt", "joe")
    },
    **{
        f"score at {tempo_bpm} beats a minute, {score_format}": Case(
            "/v1/scores:export",
            "application/json",
            functools.partial(score_json, tempo_bpm, score_format),
            (400,),
            "a tempo is 0 \\(not known\\) or from 10 to 400 beats a minute",
        )
        for tempo_bpm in (0.001, 0.5)
        for score_format in ("midi", "musicxml", "ustx")
    },
    "lyrics of emoji only": Case(
        LYRICS, "application/json", lambda: lyrics_json(userLyrics="🎵🎶 ❤️"), (400,), "no words"
    ),
    "lyrics in arabic": Case(
        LYRICS, "application/json", lambda: lyrics_json(userLyrics="مرحبا بالعالم"), (400,), "مرحبا"
    ),
    "lyrics too long": Case(
        LYRICS, "application/json", lambda: lyrics_json(userLyrics="la " * 3000), (400,), "at most"
    ),
    "lyrics with control characters": Case(
        LYRICS,
        "application/json",
        lambda: lyrics_json(userLyrics="la\u0000 la\u0007 la\u001b"),
        (200,),
        "invisible character U\\+0000",
    ),
    "lyrics made of zero-width characters": Case(
        LYRICS,
        "application/json",
        lambda: lyrics_json(userLyrics="\u200b" * 50),
        (400,),
        "no words",
    ),
}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_clear_answer_and_leaves_the_mesh_healthy(mesh: Mesh, name: str) -> None:
    case = CASES[name]
    status, _, reply = http(
        mesh, "POST", case.path, body=case.body(), headers={"Content-Type": case.content_type}
    )
    assert status in case.statuses, (status, reply[:500])
    if status >= 400:
        # Our services answer JSON; Envoy's transcoder refuses malformed JSON in plain text.
        text = reply.decode("utf-8", "replace")
        message = json.loads(reply)["message"] if text.startswith("{") else text
        assert message.strip(), reply
        if case.message:
            assert re.search(case.message, message), message
    elif status == 200:
        answer = json.loads(reply)
        if case.message:
            assert re.search(case.message, json.dumps(answer, ensure_ascii=False))
        if case.check is not None:
            case.check(answer)
    health_status, _, health = http(mesh, "GET", "/health")
    assert health_status == 200, health
