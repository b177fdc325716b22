"""What each service's image weighs, how fast it starts and how much memory it holds.

``python -m bench.images [--build] [--envs DIR] [SERVICE...]``

Without a Docker engine the images cannot be built here, so their Python environments
are: ``--build`` makes one virtual environment per image with
``scripts/install-service-env.sh`` (the Dockerfile's own step: the service's extra of
pyproject.toml and nothing else). Then, for each service:

- installed size: the environment on disk (site-packages and interpreter links; the
  image adds python:3.11-slim, ~125 MB, and its apt packages);
- start time: from the process's start to gRPC health SERVING (the trainer, which
  serves no port: to its "waiting for training jobs" log line; the gateway: to Envoy
  accepting connections), the median of ``--runs`` starts;
- resident memory: the RSS of the process and its children (Envoy for the gateway),
  idle, one second after it is ready: what a replica holds before any work; and after
  one typical request, when its models are loaded: pitch, lyrics and synth answer one
  over gRPC (a 10 s hum; lyrics for a 14-note song; that song sung by joe), the trainer
  and generation do theirs in a process of their own (``bench.image_work``: 20 steps of
  a default-size timbre model; an instrument playing a 10 s hum), peak RSS.

The service runs from this checkout's code (``PYTHONPATH``) on the environment's
packages only, so an import its extra does not install fails here as it would in the
image.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from expertmusic.synth.v1 import synth_pb2, synth_pb2_grpc
from google.api import httpbody_pb2

from services.common.audio import encode_wav
from services.common.clients import check_health
from services.common.convert import lyrics_to_proto, melody_to_proto
from services.common.music import LyricLine, Lyrics
from services.common.settings import SERVICE_PORTS
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.songs import TWINKLE, song

REPO = Path(__file__).resolve().parents[1]
#: image -> (the extras its environment installs, the module it runs).
IMAGES: dict[str, tuple[str, str]] = {
    "pitch": ("pitch", "services.pitch"),
    "pitch-crepe": ("pitch,crepe", "services.pitch"),
    "lyrics": ("lyrics", "services.lyrics"),
    "synth": ("synth", "services.synth"),
    "registry": ("registry", "services.registry"),
    "trainer": ("trainer", "services.trainer"),
    "generation": ("generation", "services.generation"),
    "studio": ("studio", "services.studio"),
    "web": ("web", "services.web"),
    "gateway": ("gateway", "gateway"),
}
READY_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Measurement:
    image: str
    size_mb: float
    start_s: float
    rss_mb: float
    has_torch: bool
    #: RSS after one typical request, where one is defined (see WORK).
    working_rss_mb: float | None = None


def _pitch_work(channel: grpc.Channel) -> None:
    pitches = [60, 62, 64, 65, 67, 69, 71, 72] * 3
    hum = synthesize_hum(hum_notes(pitches), 16_000)
    audio = httpbody_pb2.HttpBody(content_type="audio/wav", data=encode_wav(hum, 16_000))
    pitch_pb2_grpc.PitchServiceStub(channel).UploadMelody(
        pitch_pb2.UploadMelodyRequest(audio=audio), timeout=120
    )


def _lyrics_work(channel: grpc.Channel) -> None:
    melody, _ = song(TWINKLE)
    lyrics_pb2_grpc.LyricsServiceStub(channel).WriteLyrics(
        lyrics_pb2.WriteLyricsRequest(melody=melody_to_proto(melody), theme="stars"),
        timeout=120,
    )


def _synth_work(channel: grpc.Channel) -> None:
    melody, syllables = song(TWINKLE)
    lines = []
    for index, phrase in enumerate(melody.phrases):
        first, end = phrase.first_note_index, phrase.first_note_index + phrase.note_count
        words = tuple(s for s in syllables if first <= s.note_index < end)
        text = " ".join(s.text.rstrip("-") for s in words)
        lines.append(LyricLine(text=text, syllables=words, phrase_index=index))
    lyrics = lyrics_to_proto(Lyrics(lines=tuple(lines), provider="user"))
    synth_pb2_grpc.SynthServiceStub(channel).SingAudio(
        synth_pb2.SingAudioRequest(melody=melody_to_proto(melody), lyrics=lyrics, voice_id="joe"),
        timeout=120,
    )


#: service -> one typical request, sent once the service is ready.
WORK = {"pitch": _pitch_work, "lyrics": _lyrics_work, "synth": _synth_work}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def size_mb(path: Path) -> float:
    total = sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())
    return total / 2**20


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, in MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def build(envs: Path, image: str) -> None:
    extras, _ = IMAGES[image]
    subprocess.run(
        [str(REPO / "scripts/install-service-env.sh"), str(envs / image), extras, str(REPO)],
        check=True,
        # This machine keeps the CPU wheel of torch on disk: no index URL needed.
        env={**os.environ, "TORCH_INDEX_URL": ""},
    )


def environment(image: str, data_dir: Path) -> dict[str, str]:
    ports = {name: free_port() for name in SERVICE_PORTS}
    values = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{REPO}:{REPO / 'gen' / 'python'}",
        "SERVICE_BIND_HOST": "127.0.0.1",
        "GATEWAY_HOST": "127.0.0.1",
        "EXPERT_MUSIC_AI_PORT": str(free_port()),
        "ENVOY_ADMIN_PORT": str(free_port()),
        "METRICS_PORT_OFFSET": "0",
        "DATA_DIR": str(data_dir),
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        "HOME": str(data_dir),
        "NUMBA_CACHE_DIR": str(data_dir / "numba"),
    }
    values.update({f"{name.upper()}_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()})
    return values


def wait_until_ready(
    image: str, process: subprocess.Popen[bytes], env: dict[str, str], log: Path
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    service = image.removesuffix("-crepe")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{image} exited with {process.returncode}:\n{log.read_text()}")
        if service == "trainer":
            if "waiting for training jobs" in log.read_text(errors="replace"):
                return
        elif service == "gateway":
            with socket.socket() as probe:
                probe.settimeout(0.2)
                if probe.connect_ex(("127.0.0.1", int(env["EXPERT_MUSIC_AI_PORT"]))) == 0:
                    return
        else:
            with grpc.insecure_channel(env[f"{service.upper()}_ADDRESS"]) as channel:
                if check_health(channel, timeout_s=0.5).serving:
                    return
        time.sleep(0.05)
    raise TimeoutError(f"{image} was not ready within {READY_TIMEOUT_S:g} s")


def start_once(image: str, python: Path) -> tuple[float, float, float | None]:
    """(seconds to ready, idle RSS, RSS after one typical request or None) of one start,
    in seconds and MiB."""
    _, module = IMAGES[image]
    with tempfile.TemporaryDirectory(prefix=f"bench-{image}-") as scratch:
        data_dir = Path(scratch)
        env = environment(image, data_dir)
        log = data_dir / "service.log"
        with log.open("wb") as output:
            started = time.monotonic()
            process = subprocess.Popen(
                [str(python), "-m", module], cwd=scratch, env=env, stdout=output, stderr=output
            )
            try:
                wait_until_ready(image, process, env, log)
                ready_s = time.monotonic() - started
                time.sleep(1.0)
                rss = tree_rss_mb(process.pid)
                working_rss: float | None = None
                service = image.removesuffix("-crepe")
                if service in WORK:
                    with grpc.insecure_channel(env[f"{service.upper()}_ADDRESS"]) as channel:
                        WORK[service](channel)
                    working_rss = tree_rss_mb(process.pid)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    return ready_s, rss, working_rss


def in_process_work_rss_mb(image: str, python: Path) -> float | None:
    """Peak RSS of bench.image_work for the trainer or generation, in MiB."""
    if image not in ("trainer", "generation"):
        return None
    with tempfile.TemporaryDirectory(prefix=f"bench-{image}-") as scratch:
        env = environment(image, Path(scratch))
        result = subprocess.run(
            [str(python), "-m", "bench.image_work", image],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(result.stdout.strip().splitlines()[-1])


def measure(envs: Path, image: str, runs: int) -> Measurement:
    env_dir = envs / image
    python = env_dir / "bin" / "python"
    starts = [start_once(image, python) for _ in range(runs)]
    has_torch = any((env_dir / "lib").glob("python3*/site-packages/torch"))
    working = [rss for _, _, rss in starts if rss is not None]
    in_process = in_process_work_rss_mb(image, python)
    if in_process is not None:
        working.append(in_process)
    return Measurement(
        image=image,
        size_mb=size_mb(env_dir),
        start_s=statistics.median(start for start, _, _ in starts),
        rss_mb=statistics.median(rss for _, rss, _ in starts),
        has_torch=has_torch,
        working_rss_mb=statistics.median(working) if working else None,
    )


def table(measurements: list[Measurement]) -> str:
    lines = [
        "| image | installed environment | torch | start to ready (median) | idle RSS "
        "| RSS after one request |",
        "|---|---|---|---|---|---|",
    ]
    for m in measurements:
        working = "—" if m.working_rss_mb is None else f"{m.working_rss_mb:.0f} MiB"
        lines.append(
            f"| {m.image} | {m.size_mb:.0f} MB | {'yes' if m.has_torch else 'no'} "
            f"| {m.start_s:.1f} s | {m.rss_mb:.0f} MiB | {working} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.images", description=__doc__)
    parser.add_argument("images", nargs="*", default=list(IMAGES), choices=list(IMAGES))
    parser.add_argument("--envs", type=Path, default=Path(tempfile.gettempdir()) / "em-envs")
    parser.add_argument("--build", action="store_true", help="(re)create the environments")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    measurements = []
    for image in args.images:
        if args.build or not (args.envs / image / "bin" / "python").exists():
            build(args.envs, image)
        measurements.append(measure(args.envs, image, args.runs))
        print(table(measurements[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    print(f"\nLoad average {load:.1f} at the end; {os.cpu_count()} cores.\n")
    print(table(measurements))


if __name__ == "__main__":
    main()
