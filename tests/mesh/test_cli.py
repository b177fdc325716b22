"""The expert-music command line, against the running mesh."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pretty_midi
import pytest
import soundfile

from cli.main import main
from tests.support.mesh import Mesh, free_port

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
