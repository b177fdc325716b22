"""Every pitch engine tracks a hummed note within 20 cents."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from services.common.errors import PreconditionError
from services.common.f0.engines import ENGINE_NAMES, UnknownEngineError, get_tracker, track_pitch
from services.common.music import cents_between
from services.pitch.melody import extract_melody
from tests.support.hums import hum_notes, synthesize_hum

SAMPLE_RATE_HZ = 16_000
# Short: crepe-full runs at about 0.2x realtime on CPU.
SHORT_MELODY = hum_notes([57, 64, 62, 69], note_duration_s=0.5, gap_s=0.1, lead_in_s=0.2)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_each_engine_finds_the_hummed_notes_within_20_cents(engine):
    audio = synthesize_hum(SHORT_MELODY, SAMPLE_RATE_HZ, vibrato_cents=25, noise_db=-35)

    melody = extract_melody(audio, SAMPLE_RATE_HZ, engine=engine)

    assert melody.engine == engine
    assert [n.midi_pitch for n in melody.notes] == [57, 64, 62, 69]
    for found, sung in zip(melody.notes, SHORT_MELODY, strict=True):
        assert abs(cents_between(found.frequency_hz, sung.frequency_hz)) <= 20
        assert found.onset_s == pytest.approx(sung.onset_s, abs=0.05)


@pytest.mark.parametrize("engine", ["swift", "crepe-tiny"])
def test_track_marks_silence_unvoiced_and_the_hum_voiced(engine):
    audio = synthesize_hum(hum_notes([60], note_duration_s=1.0, lead_in_s=0.5), SAMPLE_RATE_HZ)

    track = track_pitch(audio, SAMPLE_RATE_HZ, engine)

    assert len(track.times_s) == len(track.frequencies_hz) == len(track.voicing_probabilities)
    assert np.allclose(np.diff(track.times_s), track.hop_s)
    before = track.times_s < 0.4
    during = (track.times_s > 0.6) & (track.times_s < 1.3)
    assert np.all(track.frequencies_hz[before] == 0)
    assert np.mean(track.frequencies_hz[during] > 0) > 0.95
    held_hz = np.median(track.frequencies_hz[during])
    assert abs(cents_between(held_hz, 261.63)) < 20


def test_engines_are_loaded_once_per_process_even_from_many_threads():
    trackers = []
    threads = [
        threading.Thread(target=lambda: trackers.append(get_tracker("swift"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(tracker) for tracker in trackers}) == 1


def test_unknown_engine_lists_the_valid_names():
    with pytest.raises(UnknownEngineError) as raised:
        track_pitch(np.zeros(1600, dtype=np.float32), SAMPLE_RATE_HZ, "CREPE")

    assert isinstance(raised.value, ValueError)
    assert "'CREPE'" in str(raised.value)
    assert all(name in str(raised.value) for name in ENGINE_NAMES)


def test_loading_crepe_leaves_no_stand_in_torchaudio_for_other_libraries() -> None:
    import importlib.util
    import sys

    import services.common.f0.crepe  # noqa: F401

    assert "torchaudio" not in sys.modules
    assert importlib.util.find_spec("torchaudio") is None  # what transformers asks


def test_without_torch_the_crepe_engines_say_which_image_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from services.common.f0 import engines

    # An installation without torch (the pitch image without its crepe extra).
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "services.common.f0.crepe", raising=False)
    monkeypatch.setattr(engines, "_trackers", {})

    with pytest.raises(engines.EngineNotInstalledError, match="pitch-crepe") as raised:
        engines.get_tracker("crepe-tiny")

    assert isinstance(raised.value, PreconditionError)  # FAILED_PRECONDITION, HTTP 400
    assert engines.get_tracker("swift") is not None
