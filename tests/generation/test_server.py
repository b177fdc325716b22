"""The generation service over gRPC, with a real registry to look its models up in."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import soundfile
import torch
from expertmusic.generation.v1 import generation_pb2, generation_pb2_grpc
from expertmusic.music.v1 import music_pb2

from services.common.artifacts import artifact_store_from_settings
from services.common.catalogue.datasets import DatasetRepository
from services.common.catalogue.db import Database
from services.common.catalogue.jobs import JobQueue
from services.common.catalogue.validation import DATASET_ID_PREFIX, new_id
from services.common.server import RunningServer, start_server
from services.common.settings import Settings
from services.common.timbre.checkpoint import (
    MODEL_FILE_NAME,
    InstrumentRange,
    TimbreModel,
    model_to_bytes,
)
from services.common.timbre.model import DdspConfig, DdspDecoder
from services.generation.server import SPEC as GENERATION
from services.registry.server import SPEC as REGISTRY
from tests.support.mesh import free_port

FLUTE_VERSION = "models/flute/job_test"


def add_trained_flute(settings: Settings) -> None:
    """What a finished training leaves behind: the model's file and its catalogue entry."""
    torch.manual_seed(0)
    model = TimbreModel(
        decoder=DdspDecoder(DdspConfig(hidden_size=32, gru_size=32, n_harmonics=20)).eval(),
        instrument="flute",
        instrument_range=InstrumentRange(loudness_db=(-35.0, -15.0), f0_hz=(180.0, 700.0)),
    )
    artifact_store_from_settings(settings).put(
        f"{FLUTE_VERSION}/{MODEL_FILE_NAME}", model_to_bytes(model)
    )
    database = Database.from_settings(settings)
    database.migrate()
    dataset = DatasetRepository(database).add(
        dataset_id=new_id(DATASET_ID_PREFIX),
        name="flute_takes",
        instrument="flute",
        caption="flute",
        chunk_count=1,
        total_duration_s=30.0,
        sample_rate_hz=32_000,
        source_filename="flute.wav",
    )
    queue = JobQueue(database, max_attempts=1)
    job = queue.submit(dataset_id=dataset.id, model_name="flute", backend="local")
    queue.claim("test-worker", lease_s=60)
    queue.succeed(job.id, "test-worker", version=FLUTE_VERSION)
    database.close()


@dataclass
class Mesh:
    generation: generation_pb2_grpc.GenerationServiceStub
    servers: list[RunningServer]


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    data_dir: Path = tmp_path_factory.mktemp("generation-server")
    registry_port = free_port()
    settings = Settings(
        data_dir=data_dir,
        service_bind_host="127.0.0.1",
        database_url="",
        replicate_api_token="",
        musicgen_model_dir="",
        registry_address=f"127.0.0.1:{registry_port}",
    )
    add_trained_flute(settings)
    registry = start_server(REGISTRY, settings, port=registry_port)
    generation = start_server(GENERATION, settings, port=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{generation.port}")
    yield Mesh(generation_pb2_grpc.GenerationServiceStub(channel), [registry, generation])
    channel.close()
    for server in (generation, registry):
        server.stop(grace_s=0)


def c_major_notes() -> list[music_pb2.Note]:
    return [
        music_pb2.Note(onset_s=0.1 + 0.4 * i, duration_s=0.35, midi_pitch=pitch)
        for i, pitch in enumerate([60, 64, 67])
    ]


def test_a_trained_instrument_named_in_the_registry_plays_the_notes(mesh: Mesh) -> None:
    spec = generation_pb2.GenerationSpec(
        model="flute", notes=c_major_notes(), sample_rate_hz=16_000
    )
    events = list(mesh.generation.GenerateMusic(generation_pb2.GenerateMusicRequest(spec=spec)))

    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "progress" and kinds[-1] == "summary"
    assert "audio_chunk" in kinds
    wav = b"".join(event.audio_chunk.data for event in events if event.HasField("audio_chunk"))
    samples, sample_rate_hz = soundfile.read(io.BytesIO(wav))
    summary = events[-1].summary
    assert summary.kind == generation_pb2.GENERATION_TARGET_KIND_INSTRUMENT
    assert (summary.model, summary.version) == ("flute", FLUTE_VERSION)
    assert sample_rate_hz == summary.sample_rate_hz == 16_000
    assert len(samples) / sample_rate_hz == pytest.approx(summary.duration_s)
    assert summary.duration_s >= 1.0


@pytest.mark.parametrize(
    ("model", "code", "words"),
    [
        ("no-such-model", grpc.StatusCode.NOT_FOUND, "GET /v1/models"),
        ("melody", grpc.StatusCode.FAILED_PRECONDITION, "REPLICATE_API_TOKEN"),
        ("", grpc.StatusCode.INVALID_ARGUMENT, "name a model"),
    ],
)
def test_a_model_that_cannot_play_here_says_why(
    mesh: Mesh, model: str, code: grpc.StatusCode, words: str
) -> None:
    spec = generation_pb2.GenerationSpec(model=model, prompt="lofi guitar", duration_s=2.0)
    with pytest.raises(grpc.RpcError) as caught:
        mesh.generation.GenerateMusicFile(generation_pb2.GenerateMusicFileRequest(spec=spec))
    assert caught.value.code() == code
    assert words in (caught.value.details() or "")


def test_without_the_registry_generation_is_unavailable_and_names_it(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        service_bind_host="127.0.0.1",
        registry_address=f"127.0.0.1:{free_port()}",  # nothing listens there
        registry_lookup_timeout_s=2.0,
    )
    generation = start_server(GENERATION, settings, port=0)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{generation.port}") as channel:
            stub = generation_pb2_grpc.GenerationServiceStub(channel)
            spec = generation_pb2.GenerationSpec(model="flute", notes=c_major_notes())
            with pytest.raises(grpc.RpcError) as caught:
                stub.GenerateMusicFile(generation_pb2.GenerateMusicFileRequest(spec=spec))
    finally:
        generation.stop(grace_s=0)
    assert caught.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert "registry" in (caught.value.details() or "")
