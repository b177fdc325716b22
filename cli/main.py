"""expert-music vocals hum.wav -o vocals.wav   |   expert-music melody hum.wav -o melody.mid

Runs the job in this process with the library (expert_music): no server needed. With
--url it asks a running mesh instead (make up: --url http://localhost:8003) through its
REST gateway: uploads the recording, follows the streamed progress with a progress bar,
writes the result, prints the lyrics and the stored take. A gateway that requires client
keys gets one from --api-key or the environment variable EXPERT_MUSIC_API_KEY, sent in
the header Authorization: Bearer <key>.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from services.common.errors import PreconditionError, UnavailableError

#: The gateway of `make up`, for the help text.
MESH_URL = "http://localhost:8003"
TIMEOUT_S = 600
#: Where the client key comes from when --api-key is not given.
API_KEY_VARIABLE = "EXPERT_MUSIC_API_KEY"


class CliError(Exception):
    """A failure to report to the user in one line."""


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="expert-music", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--url",
        default="",
        help=f"use a running mesh through its gateway (e.g. {MESH_URL}); "
        "default: run the job in this process",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_VARIABLE, ""),
        help="the client key a gateway with keys requires (with --url); "
        f"default: ${API_KEY_VARIABLE}",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    vocals = commands.add_parser("vocals", help="sing a hummed melody with new lyrics")
    vocals.add_argument("audio", type=Path, help="the hum: wav, flac, mp3, ogg, webm or m4a")
    vocals.add_argument("-o", "--output", type=Path, default=Path("vocals.wav"))
    vocals.add_argument("--theme", default="", help="what the song is about")
    vocals.add_argument("--mood", default="")
    vocals.add_argument("--genre", default="")
    vocals.add_argument("--rhyme-scheme", default="", help='e.g. "AABB", "ABAB", "none"')
    vocals.add_argument(
        "--voice",
        default="",
        help="a voice id (GET /v1/voices); default: auto, the voice the hum's range fits",
    )
    vocals.add_argument("--lyrics", default="", help="sing these words instead (lines with \\n)")
    vocals.add_argument("--lyrics-provider", default="", help="local, anthropic, openai, auto")
    vocals.add_argument("--synth-engine", default="", help="local, bark, musicgen-melody")
    vocals.add_argument("--transpose", type=int, default=0, help="semitones")
    vocals.add_argument("--seed", type=int, default=0, help="repeatable lyrics")

    melody = commands.add_parser("melody", help="transcribe a hummed melody to MIDI")
    melody.add_argument("audio", type=Path)
    melody.add_argument("-o", "--output", type=Path, default=Path("melody.mid"))
    melody.add_argument("--engine", default="", help="swift (default), crepe-tiny, crepe-full")
    return parser.parse_args(argv)


def post(url: str, body: bytes, content_type: str, api_key: str = "") -> Any:
    """The open reply to a POST; ``api_key`` goes as ``Authorization: Bearer``.

    Raises:
        CliError: The service refused (its message, and for a 401 how to give a key), or
            cannot be reached.
    """
    headers = {"Content-Type": content_type}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as error:
        message = f"the service answered {error.code}: {error_message(error.read())}"
        if error.code == 401:
            message += (
                "; the gateway refused the client key given (--api-key or "
                f"{API_KEY_VARIABLE}): check it with whoever runs the gateway"
                if api_key
                else "; this gateway requires a client key: give it with --api-key KEY or "
                f"the environment variable {API_KEY_VARIABLE} (ask whoever runs the gateway)"
            )
        raise CliError(message) from None
    except urllib.error.URLError as error:
        raise CliError(
            f"cannot reach {url.split('/v1/')[0]} ({error.reason}); is the mesh up (make up)?"
        ) from None


def error_message(body: bytes) -> str:
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace").strip()


def read_audio(path: Path) -> tuple[bytes, str]:
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), content_type


def stream_events(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        line = line.strip().lstrip(b"[,").rstrip(b"],")
        if line:
            event = json.loads(line)
            if "error" in event:  # the job failed after the stream began
                raise CliError(f"the service failed: {event['error']['message']}")
            yield event


def run_vocals_on_mesh(arguments: argparse.Namespace) -> int:
    audio, content_type = read_audio(arguments.audio)
    query = {
        "theme": arguments.theme,
        "mood": arguments.mood,
        "genre": arguments.genre,
        "rhyme_scheme": arguments.rhyme_scheme,
        "voice": arguments.voice,
        "user_lyrics": arguments.lyrics.replace("\\n", "\n"),
        "lyrics_provider": arguments.lyrics_provider,
        "synth_engine": arguments.synth_engine,
        "transpose_semitones": arguments.transpose,
        "seed": arguments.seed,
    }
    url = f"{arguments.url}/v1/melody-to-vocals:stream?" + urllib.parse.urlencode(
        {name: value for name, value in query.items() if value}
    )
    wav = bytearray()
    take: dict[str, Any] = {}
    with (
        post(url, audio, content_type, arguments.api_key) as reply,
        tqdm(
            total=100, unit="%", bar_format="{desc:<8} {bar} {percentage:3.0f}%", file=sys.stderr
        ) as bar,
    ):
        for event in stream_events(reply):
            if "progress" in event:
                bar.set_description_str(event["progress"]["stage"])
                bar.update(round(event["progress"]["fraction"] * 100) - bar.n)
            elif "audio_chunk" in event:
                wav.extend(base64.b64decode(event["audio_chunk"]))
            elif "take" in event:
                take = event["take"]
    if not take:
        raise CliError("the stream ended before the take was stored")
    arguments.output.write_bytes(bytes(wav))
    print("\n".join(line["text"] for line in take["lyrics"]["lines"]))
    print(
        f"\n{arguments.output}: {take['audio_duration_s']:.1f} s sung by "
        f"{take['engines'].get('voice', '?')} in {take['timings_s'].get('total', 0):.2f} s "
        f"(take {take['take_id']}, {take['audio_url']})"
    )
    if take.get("voice_choice"):
        print(take["voice_choice"])
    for warning in take.get("warnings", []):
        print(f"note: {warning}", file=sys.stderr)
    return 0


def run_melody_on_mesh(arguments: argparse.Namespace) -> int:
    audio, content_type = read_audio(arguments.audio)
    query = f"?engine={urllib.parse.quote(arguments.engine)}" if arguments.engine else ""
    with post(
        f"{arguments.url}/v1/melody:midi{query}", audio, content_type, arguments.api_key
    ) as reply:
        arguments.output.write_bytes(reply.read())
    print(f"{arguments.output}: the melody as MIDI")
    return 0


def run_vocals_here(arguments: argparse.Namespace) -> int:
    import expert_music

    stages = {"pitch": "finding the notes", "lyrics": "writing words", "synth": "singing"}
    vocals = expert_music.melody_to_vocals(
        read_path(arguments.audio),
        theme=arguments.theme,
        mood=arguments.mood,
        genre=arguments.genre,
        rhyme_scheme=arguments.rhyme_scheme,
        lyrics_provider=arguments.lyrics_provider,
        user_lyrics=arguments.lyrics.replace("\\n", "\n"),
        seed=arguments.seed or None,
        voice=arguments.voice or "auto",
        synth_engine=arguments.synth_engine or "local",
        transpose_semitones=arguments.transpose,
        on_stage=lambda stage: print(f"{stages[stage]}...", file=sys.stderr),
    )
    vocals.save(arguments.output)
    summary = vocals.summary
    print(vocals.lyrics.text)
    print(
        f"\n{arguments.output}: {summary.duration_s:.1f} s sung by {summary.voice_id} in "
        f"{vocals.timings_s['total']:.2f} s (in this process; no take is stored)"
    )
    voice_choice = "; ".join(
        reason for reason in (summary.voice_reason, summary.transposition_reason) if reason
    )
    if voice_choice:
        print(voice_choice)
    for warning in vocals.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return 0


def run_melody_here(arguments: argparse.Namespace) -> int:
    import expert_music

    melody = expert_music.extract_melody(read_path(arguments.audio), engine=arguments.engine)
    if not melody.notes:
        raise CliError(
            "no melody was found in the audio ("
            + ("; ".join(melody.warnings) or "no notes were found")
            + ")"
        )
    arguments.output.write_bytes(expert_music.melody_to_midi(melody))
    print(f"{arguments.output}: the melody as MIDI, {len(melody.notes)} notes")
    for warning in melody.warnings:
        print(f"note: {warning}", file=sys.stderr)
    return 0


def read_path(path: Path) -> Path:
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    return path


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    arguments.url = arguments.url.rstrip("/")
    if arguments.url:
        run = run_vocals_on_mesh if arguments.command == "vocals" else run_melody_on_mesh
    else:
        run = run_vocals_here if arguments.command == "vocals" else run_melody_here
    try:
        return run(arguments)
    # Besides our own: what the library refuses, each written for a person (bad or
    # unreadable audio, no melody, an engine not installed here, a provider that failed).
    except (CliError, ValueError, PreconditionError, UnavailableError, TimeoutError) as error:
        print(f"expert-music: {error}", file=sys.stderr)
        return 1
