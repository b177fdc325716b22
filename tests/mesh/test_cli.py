"""The expert-music command line, against the running mesh."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pretty_midi
import pytest
import soundfile

from cli.main import API_KEY_VARIABLE, main
from tests.support.mesh import Mesh, free_port, running_mesh

EXAMPLE_HUM = Path(__file__).resolve().parents[2] / "examples" / "twinkle-hum.flac"
TWINKLE_PITCHES = [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]


def test_vocals_command_writes_the_sung_file_and_prints_the_lyrics(
    mesh: Mesh, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "vocals.wav"
    code = main(
        ["--url", mesh.base_url, "vocals", str(EXAMPLE_HUM), "-o", str(output), "--theme", "stars"]
    )
    assert code == 0
    samples, sample_rate_hz = soundfile.read(output)
    assert len(samples) / sample_rate_hz > 6.0
    printed = capsys.readouterr()
    lyric_lines = printed.out.strip().split("\n\n")[0].splitlines()
    assert len(lyric_lines) == 2
    # No voice was asked for, so the take names the voice auto chose and why.
    assert re.search(r"sung by [a-z-]+ in ", printed.out)
    assert "in range" in printed.out
    assert "100%" in printed.err  # the progress bar reached the end


def test_melody_command_writes_midi(mesh: Mesh, tmp_path: Path) -> None:
    output = tmp_path / "melody.mid"
    assert main(["--url", mesh.base_url, "melody", str(EXAMPLE_HUM), "-o", str(output)]) == 0
    midi = pretty_midi.PrettyMIDI(io.BytesIO(output.read_bytes()))
    assert [note.pitch for note in midi.instruments[0].notes] == TWINKLE_PITCHES


def test_unreachable_mesh_and_bad_input_are_one_clear_line(
    mesh: Mesh, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}"
    assert main(["--url", dead_url, "melody", str(EXAMPLE_HUM)]) == 1
    assert "is the mesh up" in capsys.readouterr().err

    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("la la la")
    assert (
        main(["--url", mesh.base_url, "vocals", str(not_audio), "-o", str(tmp_path / "x.wav")]) == 1
    )
    assert "could not decode" in capsys.readouterr().err


CLI_KEY = "cli-user-5e4f3a2b1c0d9e8f7a6b"


@pytest.fixture(scope="module")
def keyed_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """What a take needs, behind client keys (GATEWAY_API_KEYS_FILE)."""
    key_file = tmp_path_factory.mktemp("keys") / "api-keys"
    key_file.write_text(f"cli-user={CLI_KEY}\n")
    with running_mesh(
        ["pitch", "lyrics", "synth", "studio"],
        tmp_path_factory.mktemp("keyed-mesh-data"),
        {"GATEWAY_API_KEYS_FILE": str(key_file)},
    ) as started:
        yield started


def test_a_gateway_with_keys_gets_the_key_from_the_option_or_the_environment(
    keyed_mesh: Mesh,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(API_KEY_VARIABLE, raising=False)
    output = tmp_path / "vocals.wav"
    vocals = ["--url", keyed_mesh.base_url, "vocals", str(EXAMPLE_HUM), "-o", str(output)]

    # No key: the refusal says how to give one.
    assert main(vocals) == 1
    refused = capsys.readouterr().err
    assert refused.startswith("expert-music: the service answered 401: ")
    assert "give it with --api-key KEY or the environment variable EXPERT_MUSIC_API_KEY" in refused

    # A wrong key is said to be the one refused.
    assert main(["--api-key", "not-the-key-0123456789", *vocals]) == 1
    assert "refused the client key given (--api-key or EXPERT_MUSIC_API_KEY)" in (
        capsys.readouterr().err
    )

    midi = tmp_path / "melody.mid"
    melody = ["--url", keyed_mesh.base_url, "melody", str(EXAMPLE_HUM), "-o", str(midi)]
    assert main(["--api-key", CLI_KEY, *melody]) == 0
    assert midi.stat().st_size > 0

    monkeypatch.setenv(API_KEY_VARIABLE, CLI_KEY)
    assert main(vocals) == 0
    assert soundfile.info(output).duration > 6.0
