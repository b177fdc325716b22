"""Phrases of any length are sung: a blip of a note, a word on two quick notes, a phrase
made short by a fast tempo."""

from __future__ import annotations

import io

import pytest
import soundfile

from services.common.music import Melody, Note, Phrase, Syllable
from services.synth.render import sing_to_bytes
from services.synth.types import SingOptions, SingRequest


def one_phrase(durations_s: list[float], words: list[str]) -> tuple[Melody, list[Syllable]]:
    notes, onset_s = [], 0.3
    for duration_s in durations_s:
        notes.append(Note(onset_s=onset_s, duration_s=duration_s, midi_pitch=57))
        onset_s += duration_s
    phrase = Phrase(0, len(notes), notes[0].onset_s, onset_s - notes[0].onset_s)
    syllables = [Syllable(text=word, note_index=index) for index, word in enumerate(words)]
    return Melody(notes, [phrase], onset_s + 0.3, "test"), syllables


@pytest.mark.parametrize("voice_id", ["joe", "slt", "festival"])
@pytest.mark.parametrize(
    ("durations_s", "words", "tempo_scale"),
    [
        ([0.27], ["night"], 1.0),
        ([0.12, 0.12], ["hel", "lo"], 1.0),
        ([0.05], ["la"], 1.0),
        ([0.4, 0.4, 0.4], ["sing", "it", "fast"], 4.0),
    ],
)
def test_a_phrase_shorter_than_a_third_of_a_second_is_sung(
    voice_id: str, durations_s: list[float], words: list[str], tempo_scale: float
) -> None:
    melody, syllables = one_phrase(durations_s, words)
    request = SingRequest(
        melody=melody,
        syllables=syllables,
        voice_id=voice_id,
        options=SingOptions(tempo_scale=tempo_scale),
    )

    samples, sample_rate_hz = soundfile.read(io.BytesIO(sing_to_bytes(request)))

    sung_s = sum(durations_s) / tempo_scale
    assert len(samples) / sample_rate_hz >= sung_s
    assert abs(samples).max() > 0.01
