"""The expert-music command line without a mesh: each job runs in this process."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile

from cli.main import main

EXAMPLE_HUM = Path(__file__).resolve().parents[2] / "examples" / "twinkle-hum.flac"
TWINKLE_PITCHES = [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]


@pytest.fixture(autouse=True)
def no_mesh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach a server fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the offline CLI tried to reach a server")

    monkeypatch.setattr("urllib.request.urlopen", refuse)


def test_melody_writes_the_hums_notes_as_midi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "hum.mid"

    assert main(["melody", str(EXAMPLE_HUM), "-o", str(output)]) == 0

    notes = pretty_midi.PrettyMIDI(str(output)).instruments[0].notes
    assert [note.pitch for note in notes] == TWINKLE_PITCHES
    assert f"{output}: the melody as MIDI, 14 notes" in capsys.readouterr().out


def test_vocals_writes_the_sung_file_and_prints_the_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "out.wav"
    words = "twinkle twinkle little star\\nhow I wonder what you are"

    assert main(["vocals", str(EXAMPLE_HUM), "-o", str(output), "--lyrics", words]) == 0

    samples, sample_rate_hz = soundfile.read(output)
    assert len(samples) / sample_rate_hz > 6.0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[:2] == [
        "twinkle twinkle little star",
        "how I wonder what you are",
    ]
    assert re.search(r"out\.wav: \d+\.\d s sung by [a-z-]+ in \d+\.\d\d s", printed.out)
    assert "in range" in printed.out  # auto chose the voice, and says why
    assert "writing words..." in printed.err


def test_a_missing_file_is_one_line_and_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["melody", str(tmp_path / "nowhere.wav")]) == 1

    assert capsys.readouterr().err == f"expert-music: {tmp_path / 'nowhere.wav'} is not a file\n"


def test_a_recording_without_a_tune_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silence = tmp_path / "silence.wav"
    soundfile.write(silence, np.zeros(16_000 * 2, dtype=np.float32), 16_000)

    assert main(["vocals", str(silence), "-o", str(tmp_path / "out.wav")]) == 1

    assert "expert-music: no melody was found in the audio" in capsys.readouterr().err
    assert not (tmp_path / "out.wav").exists()


def test_a_file_that_is_not_audio_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("la la la")

    assert main(["melody", str(not_audio)]) == 1

    assert capsys.readouterr().err.startswith("expert-music: ")
