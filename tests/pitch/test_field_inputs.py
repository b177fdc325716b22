"""The field inputs of the pitch kinds (../shared/field) get the answers a correct service gives.

Each file reproduces a fault people report against pitch trackers and decoders; the README
beside them says what a correct service answers. The same kinds are also tested with
inputs the tests make (tests/common/test_audio.py, test_melody.py, test_reattacks.py).
"""

from __future__ import annotations

import io

import mido
import pytest

from services.common.audio import decode_audio
from services.common.music import Melody, Note
from services.common.scores.midi import melody_to_midi
from services.pitch.melody import RecordingTooShortError, extract_melody
from tests.support.field import field_file

ENGINES = ["swift", "crepe-tiny"]


@pytest.mark.parametrize("engine", ENGINES)
def test_stereo_in_opposite_phase_gives_its_five_notes_and_a_warning(engine):
    audio = decode_audio(field_file("F09_stereo_phase_inverted.wav"))

    melody = extract_melody(audio.samples, audio.sample_rate_hz, engine=engine)

    assert [n.midi_pitch for n in melody.notes] == [60, 62, 64, 67, 64]
    assert [n.onset_s for n in melody.notes] == pytest.approx(
        [0.30, 0.90, 1.50, 2.10, 2.70], abs=0.05
    )
    assert any("cancel each other out" in warning for warning in audio.warnings)
    assert not any("silent" in warning for warning in melody.warnings)


@pytest.mark.parametrize("engine", ENGINES)
def test_twenty_milliseconds_of_sound_is_refused_as_too_short_with_the_minimum(engine):
    audio = decode_audio(field_file("F10a_20ms.wav"))

    with pytest.raises(RecordingTooShortError, match=r"20 ms long.*at least 0\.25 s"):
        extract_melody(audio.samples, audio.sample_rate_hz, engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("min_note_duration_s", [None, 0.03])
def test_quickly_re_struck_notes_stay_separate(engine, min_note_duration_s):
    audio = decode_audio(field_file("F17_staccato_short_notes.wav"))

    notes = extract_melody(
        audio.samples, audio.sample_rate_hz, engine=engine, min_note_duration_s=min_note_duration_s
    ).notes

    # B4 sung for 0.8 s, a 12 ms blip, B4 again for 0.6 s: two B4 notes, neither longer
    # than it was sung.
    b4 = [n for n in notes if n.midi_pitch == 71]
    assert len(b4) == 2
    assert b4[0].onset_s == pytest.approx(0.80, abs=0.05)
    assert b4[1].onset_s == pytest.approx(1.64, abs=0.05)
    assert max(n.duration_s for n in notes) <= 0.85
    assert all(n.duration_s > 0 for n in notes)
    _assert_same_pitch_notes_never_overlap(notes)
    midi_file = melody_to_midi(Melody(notes=notes, phrases=[], duration_s=3.2, engine=engine))
    _assert_midi_notes_well_formed(midi_file, len(notes))


def _assert_same_pitch_notes_never_overlap(notes: list[Note]) -> None:
    for i, note in enumerate(notes):
        for later in notes[i + 1 :]:
            if later.midi_pitch == note.midi_pitch:
                assert note.offset_s <= later.onset_s + 1e-9


def _assert_midi_notes_well_formed(midi_file: bytes, note_count: int) -> None:
    """Every note-on is closed by its own note-off, later, before the pitch sounds again."""
    sounding: dict[int, int] = {}
    lengths = []
    tick = 0
    for message in mido.merge_tracks(mido.MidiFile(file=io.BytesIO(midi_file)).tracks):
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            assert message.note not in sounding, f"pitch {message.note} struck while sounding"
            sounding[message.note] = tick
        elif message.type in ("note_off", "note_on"):
            lengths.append(tick - sounding.pop(message.note))
    assert not sounding
    assert len(lengths) == note_count
    assert min(lengths) > 0
