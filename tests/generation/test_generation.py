"""Generating music with each kind of model: an instrument model playing notes or a hum,
MusicGen on (a fake) Replicate through the real SDK, and a tiny MusicGen on disk through
the real transformers loading code."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from services.common.artifacts import LocalArtifactStore
from services.common.audio import encode_wav
from services.common.cancellation import WorkCancelledError
from services.common.catalogue.db import Database
from services.common.catalogue.models import ModelRepository
from services.common.errors import (
    InvalidInputError,
    NotFoundError,
    PreconditionError,
    UnavailableError,
)
from services.common.f0.engines import track_pitch
from services.common.music import Note, hz_to_midi
from services.common.settings import Settings
from services.common.timbre.checkpoint import (
    MODEL_FILE_NAME,
    InstrumentRange,
    TimbreModel,
    model_to_bytes,
)
from services.common.timbre.model import DdspConfig, DdspDecoder
from services.generation.generation import (
    LOCAL_MUSICGEN_MODEL,
    GenerationProgress,
    GenerationRequest,
    GenerationTarget,
    MusicGenerator,
    TargetKind,
    resolve_target,
)
from tests.support.fake_replicate import FakeReplicate
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.tiny_musicgen import save_tiny_musicgen

MELODY_VERSION = "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"
FLUTE = GenerationTarget(TargetKind.INSTRUMENT, "flute", "models/flute/job_1")
C_E_G = [
    Note(onset_s=0.1, duration_s=0.5, midi_pitch=60),
    Note(onset_s=0.6, duration_s=0.5, midi_pitch=64),
    Note(onset_s=1.1, duration_s=0.5, midi_pitch=67),
]


@pytest.fixture
def artifacts(tmp_path: Path) -> LocalArtifactStore:
    """An artifact store holding the instrument model "flute".

    Its decoder is untrained: the oscillators follow f0 whatever the weights, which is
    what these tests listen for (timbre is test_ddsp's business).
    """
    store = LocalArtifactStore(tmp_path / "artifacts")
    torch.manual_seed(0)
    model = TimbreModel(
        decoder=DdspDecoder(DdspConfig(hidden_size=32, gru_size=32, n_harmonics=20)).eval(),
        instrument="flute",
        instrument_range=InstrumentRange(loudness_db=(-35.0, -15.0), f0_hz=(180.0, 700.0)),
    )
    store.put(f"{FLUTE.version}/{MODEL_FILE_NAME}", model_to_bytes(model))
    return store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", replicate_api_token="", musicgen_model_dir="")


def median_midi(audio: np.ndarray, sample_rate_hz: int, start_s: float, end_s: float) -> float:
    track = track_pitch(audio, sample_rate_hz)
    inside = (track.times_s > start_s) & (track.times_s < end_s) & (track.frequencies_hz > 0)
    return hz_to_midi(float(np.median(track.frequencies_hz[inside])))


# --- local instrument models ----------------------------------------------------------


def test_notes_play_on_an_instrument_model_at_the_requested_rate(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    request = GenerationRequest(notes=C_E_G, sample_rate_hz=32_000)

    music = MusicGenerator(settings, artifacts).generate(FLUTE, request)

    assert music.sample_rate_hz == 32_000
    assert music.duration_s == pytest.approx(1.6 + 0.5, abs=0.05)  # the notes, then a tail
    for note in C_E_G:
        sung = median_midi(music.samples, 32_000, note.onset_s + 0.1, note.offset_s - 0.1)
        assert sung == pytest.approx(note.midi_pitch, abs=0.5)


def test_a_hum_is_played_on_the_instrument_following_its_melody(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    hummed = hum_notes([60, 62, 64, 67], note_duration_s=0.5)
    hum_wav = encode_wav(synthesize_hum(hummed, 16_000), 16_000)

    music = MusicGenerator(settings, artifacts).generate(
        FLUTE, GenerationRequest(melody_audio=hum_wav, sample_rate_hz=16_000)
    )

    for note in hummed:
        played = median_midi(music.samples, 16_000, note.onset_s + 0.1, note.offset_s - 0.1)
        assert played == pytest.approx(note.midi_pitch, abs=0.5)


def test_a_hum_below_the_instruments_range_moves_up_by_octaves(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    hummed = hum_notes([43, 45, 47], note_duration_s=0.5)  # G2..B2, far below a flute
    hum_wav = encode_wav(synthesize_hum(hummed, 16_000), 16_000)

    music = MusicGenerator(settings, artifacts).generate(
        FLUTE, GenerationRequest(melody_audio=hum_wav, sample_rate_hz=16_000)
    )

    first = hummed[0]
    played = median_midi(music.samples, 16_000, first.onset_s + 0.1, first.offset_s - 0.1)
    assert played == pytest.approx(first.midi_pitch + 24, abs=0.5)


def test_progress_is_reported_up_to_done(settings: Settings, artifacts: LocalArtifactStore) -> None:
    events: list[GenerationProgress] = []
    MusicGenerator(settings, artifacts).generate(
        FLUTE, GenerationRequest(notes=C_E_G), on_progress=events.append
    )
    assert [e.fraction for e in events] == sorted(e.fraction for e in events)
    assert events[-1] == GenerationProgress("done", 1.0)


def test_an_instrument_model_needs_a_melody(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    with pytest.raises(InvalidInputError, match="send notes or a hum"):
        MusicGenerator(settings, artifacts).generate(FLUTE, GenerationRequest(prompt="jazz"))


def test_an_instrument_model_says_it_ignores_the_prompt(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    music = MusicGenerator(settings, artifacts).generate(
        FLUTE, GenerationRequest(prompt="smooth jazz", notes=C_E_G)
    )
    assert any("prompt is ignored" in warning for warning in music.warnings)


def test_an_instrument_model_whose_files_are_gone_is_explained(
    settings: Settings, artifacts: LocalArtifactStore
) -> None:
    gone = GenerationTarget(TargetKind.INSTRUMENT, "oboe", "models/oboe/job_9")
    with pytest.raises(PreconditionError, match=r"oboe.*missing from the artifact store"):
        MusicGenerator(settings, artifacts).generate(gone, GenerationRequest(notes=C_E_G))


# --- model resolution -------------------------------------------------------------------


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[ModelRepository]:
    database = Database(str(tmp_path / "registry.sqlite3"))
    database.migrate()
    yield ModelRepository(database)
    database.close()


def test_a_base_musicgen_resolves_to_its_replicate_version(
    catalogue: ModelRepository, settings: Settings
) -> None:
    target = resolve_target("melody", catalogue, settings)
    assert target == GenerationTarget(TargetKind.REPLICATE_MUSICGEN, "melody", MELODY_VERSION)


def test_an_unknown_model_says_where_models_are_listed(
    catalogue: ModelRepository, settings: Settings
) -> None:
    with pytest.raises(NotFoundError, match=r"no model named 'banjo'.*GET /v1/models"):
        resolve_target("banjo", catalogue, settings)


def test_local_musicgen_without_weights_says_how_to_provide_them(
    catalogue: ModelRepository, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(PreconditionError, match="set MUSICGEN_MODEL_DIR"):
        resolve_target(LOCAL_MUSICGEN_MODEL, catalogue, settings)

    empty = settings.model_copy(update={"musicgen_model_dir": str(tmp_path / "nothing")})
    target = resolve_target(LOCAL_MUSICGEN_MODEL, catalogue, empty)
    with pytest.raises(PreconditionError, match=r"no MusicGen weights at .*save_pretrained"):
        MusicGenerator(empty, LocalArtifactStore(tmp_path)).generate(
            target, GenerationRequest(prompt="calm piano", duration_s=1.0)
        )


# --- MusicGen on Replicate ------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeReplicate]:
    with FakeReplicate() as server:
        tone = 0.3 * np.sin(2 * np.pi * 220.0 * np.arange(3 * 32_000) / 32_000)
        buffer = io.BytesIO()
        soundfile.write(buffer, tone, 32_000, format="WAV")
        server.output = server.add_file("music.wav", buffer.getvalue())
        yield server


@pytest.fixture
def replicate_settings(settings: Settings, fake: FakeReplicate) -> Settings:
    return settings.model_copy(
        update={
            "replicate_api_token": "r8_test",
            "replicate_base_url": fake.base_url,
            "replicate_poll_interval_s": 0.01,
            "replicate_retry_base_delay_s": 0.01,
        }
    )


def test_musicgen_on_replicate_follows_the_notes_given(
    replicate_settings: Settings, fake: FakeReplicate, tmp_path: Path
) -> None:
    target = GenerationTarget(TargetKind.REPLICATE_MUSICGEN, "melody", MELODY_VERSION)
    request = GenerationRequest(
        prompt="lofi guitar", duration_s=2.0, notes=C_E_G, sample_rate_hz=16_000
    )

    music = MusicGenerator(replicate_settings, LocalArtifactStore(tmp_path)).generate(
        target, request
    )

    assert music.sample_rate_hz == 16_000
    assert music.duration_s == pytest.approx(2.0)  # Replicate's 3 s, cut to the request
    (created,) = fake.requests_to("POST /v1/predictions")
    assert created.body["version"] == MELODY_VERSION.split(":")[1]
    sent = created.body["input"]
    assert (sent["prompt"], sent["duration"], sent["continuation"]) == ("lofi guitar", 2, False)
    guide_wav = base64.b64decode(sent["input_audio"].split(",", 1)[1])
    guide, guide_rate_hz = soundfile.read(io.BytesIO(guide_wav))
    assert median_midi(guide.astype(np.float32), guide_rate_hz, 0.7, 1.0) == pytest.approx(
        64, abs=0.5
    )


def test_a_failed_prediction_is_unavailable_with_replicates_reason(
    replicate_settings: Settings, fake: FakeReplicate, tmp_path: Path
) -> None:
    fake.prediction_error = "GPU out of memory"
    target = GenerationTarget(TargetKind.REPLICATE_MUSICGEN, "melody", MELODY_VERSION)

    with pytest.raises(UnavailableError, match="GPU out of memory"):
        MusicGenerator(replicate_settings, LocalArtifactStore(tmp_path)).generate(
            target, GenerationRequest(prompt="lofi guitar", duration_s=2.0)
        )


def test_a_caller_who_leaves_cancels_the_musicgen_prediction_too(
    replicate_settings: Settings, fake: FakeReplicate, tmp_path: Path
) -> None:
    fake.never_finish = True
    caller_left = threading.Event()
    threading.Timer(0.3, caller_left.set).start()
    target = GenerationTarget(TargetKind.REPLICATE_MUSICGEN, "melody", MELODY_VERSION)

    with pytest.raises(WorkCancelledError, match="waiting for prediction"):
        MusicGenerator(replicate_settings, LocalArtifactStore(tmp_path)).generate(
            target, GenerationRequest(prompt="lofi guitar", duration_s=2.0), cancelled=caller_left
        )
    assert [p.status for p in fake.predictions.values()] == ["canceled"]


def test_replicate_without_a_token_says_which_setting_is_missing(
    settings: Settings, tmp_path: Path
) -> None:
    target = GenerationTarget(TargetKind.REPLICATE_MUSICGEN, "melody", MELODY_VERSION)
    with pytest.raises(PreconditionError, match="REPLICATE_API_TOKEN"):
        MusicGenerator(settings, LocalArtifactStore(tmp_path)).generate(
            target, GenerationRequest(prompt="lofi guitar", duration_s=2.0)
        )


# --- MusicGen on this machine ---------------------------------------------------------


def test_local_musicgen_loads_the_weights_on_disk_and_generates(
    catalogue: ModelRepository, settings: Settings, tmp_path: Path
) -> None:
    model_dir = save_tiny_musicgen(tmp_path / "musicgen")
    local = settings.model_copy(update={"musicgen_model_dir": str(model_dir)})
    target = resolve_target(LOCAL_MUSICGEN_MODEL, catalogue, local)

    music = MusicGenerator(local, LocalArtifactStore(tmp_path)).generate(
        target, GenerationRequest(prompt="calm jazz guitar", duration_s=0.5, sample_rate_hz=32_000)
    )

    assert target.kind is TargetKind.LOCAL_MUSICGEN
    assert music.sample_rate_hz == 32_000
    # MusicGen's codebook delay pattern costs a frame per extra codebook (4 ms here).
    assert 0.45 <= music.duration_s <= 0.5
    assert np.all(np.isfinite(music.samples))


def test_local_musicgen_refuses_a_melody_and_points_to_replicate(
    settings: Settings, tmp_path: Path
) -> None:
    model_dir = save_tiny_musicgen(tmp_path / "musicgen")
    local = settings.model_copy(update={"musicgen_model_dir": str(model_dir)})
    target = GenerationTarget(TargetKind.LOCAL_MUSICGEN, LOCAL_MUSICGEN_MODEL, str(model_dir))

    with pytest.raises(PreconditionError, match="'melody' model"):
        MusicGenerator(local, LocalArtifactStore(tmp_path)).generate(
            target, GenerationRequest(prompt="jazz", notes=C_E_G)
        )
