"""Festival's singing mode as a second, independent voice (``kal_diphone``, 16 kHz).

``text2wave -mode singing`` reads an XML score: per word, the frequency and length of
each of its syllables. We give frequencies as ``FREQ=`` in Hz, never ``NOTE=``: Festival's
note names sit an octave low (its "A5" is 440 Hz). Festival's own pitch and timing are
approximate (it is a diphone voice from 1998), so its output is run through WORLD once
more: every voiced frame gets the same sung contour as the piper voices (transitions,
vibrato, breath), which puts its notes in tune.

Festival comes from Debian (``apt-get install festival festvox-kallpc16k``); when it is
missing the voice says so and is listed as unavailable, nothing else breaks.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import soundfile

from services.common.music import midi_to_hz
from services.synth.contour import Expression, sung_contour
from services.synth.score import PhraseScore
from services.synth.singing import (
    FRAME_PERIOD_S,
    RenderedPhrase,
    add_breath,
    analyse,
    render_world,
)

FESTIVAL_VOICE_DIR = Path("/usr/share/festival/voices/english/kal_diphone")
SAMPLE_RATE_HZ = 16000
#: One phrase may not keep text2wave busy longer than this, in seconds.
TIMEOUT_S = 60.0


def unavailable_reason() -> str | None:
    """Why Festival cannot sing here, or None when it can."""
    if shutil.which("text2wave") is None:
        return "Festival is not installed (apt-get install festival festvox-kallpc16k)"
    if not FESTIVAL_VOICE_DIR.is_dir():
        return "Festival's kal_diphone voice is not installed (apt-get install festvox-kallpc16k)"
    return None


def singing_xml(phrase: PhraseScore) -> str:
    """The phrase as Festival's SINGING markup: one token per word, values per syllable."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" "Singing.v0_1.dtd" []>',
        '<SINGING BPM="60">',
    ]
    for word in phrase.words():
        frequencies = []
        seconds = []
        for syllable in word:
            start_s, end_s = phrase.syllable_span_s(syllable)
            frequencies.append(f"{midi_to_hz(phrase.notes[syllable.first_note].midi_pitch):.2f}")
            seconds.append(f"{end_s - start_s:.3f}")
        text = "".join(s.text.strip().rstrip("-") for s in word)
        lines.append(
            f'<PITCH FREQ="{",".join(frequencies)}"><DURATION SECONDS="{",".join(seconds)}">'
            f"{escape(text)}</DURATION></PITCH>"
        )
    lines.append("</SINGING>")
    return "\n".join(lines)


def sing_phrase(
    phrase: PhraseScore, expression: Expression, *, breathiness: float, seed: int = 0
) -> RenderedPhrase:
    """Sing one phrase with Festival, re-pitched onto the sung contour.

    Returns samples at 16 kHz starting at the phrase's first onset. Raises RuntimeError
    when text2wave fails (the message carries its stderr).
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    with tempfile.TemporaryDirectory(prefix="festival-") as folder:
        score_path = Path(folder) / "phrase.xml"
        wav_path = Path(folder) / "phrase.wav"
        score_path.write_text(singing_xml(phrase), encoding="utf-8")
        result = subprocess.run(
            ["text2wave", "-mode", "singing", str(score_path), "-o", str(wav_path)],
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0 or not wav_path.exists():
            message = result.stderr.decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"text2wave failed: {message}")
        samples, rate = soundfile.read(io.BytesIO(wav_path.read_bytes()), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    # Festival's utterance ends with a trailing pause; the phrase ends at its last offset.
    samples = samples[: int((phrase.offset_s - phrase.onset_s) * rate)]
    f0, envelope, aperiodicity = analyse(samples, rate)
    times_s = phrase.onset_s + np.arange(f0.size, dtype=np.float64) * FRAME_PERIOD_S
    voiced = f0 > 0
    f0_hz = np.where(voiced, sung_contour(phrase.notes, times_s, expression, seed=seed), 0.0)
    aperiodicity = np.where(
        voiced[:, None], add_breath(aperiodicity, breathiness, rate), aperiodicity
    )
    audio = render_world(f0_hz, envelope, aperiodicity, rate)
    return RenderedPhrase(audio, int(rate), phrase.onset_s)
