"""The registry's gRPC API, served by the common bootstrap on a free port, called through a
real channel."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from expertmusic.registry.v1 import registry_pb2, registry_pb2_grpc
from google.api import httpbody_pb2
from google.protobuf import json_format

from services.common.audio import encode_wav
from services.common.server import start_server
from services.common.settings import Settings
from services.registry.server import SPEC
from tests.catalogue.test_models import SEED_BASE_MODELS

SAMPLE_RATE_HZ = 32_000


def tone_wav(duration_s: float, frequency_hz: float = 220.0) -> bytes:
    t = np.arange(int(duration_s * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return encode_wav(0.3 * np.sin(2 * np.pi * frequency_hz * t), SAMPLE_RATE_HZ)


@pytest.fixture(scope="module")
def stub(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[registry_pb2_grpc.RegistryServiceStub]:
    data_dir: Path = tmp_path_factory.mktemp("registry-server")
    settings = Settings(data_dir=data_dir, service_bind_host="127.0.0.1", database_url="")
    running = start_server(SPEC, settings, port=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    yield registry_pb2_grpc.RegistryServiceStub(channel)
    channel.close()
    running.stop(grace_s=0)


@pytest.fixture(scope="module")
def dataset(stub: registry_pb2_grpc.RegistryServiceStub) -> registry_pb2.Dataset:
    data = tone_wav(4.0)

    def messages() -> Iterator[registry_pb2.CreateDatasetRequest]:
        yield registry_pb2.CreateDatasetRequest(
            metadata=registry_pb2.DatasetMetadata(
                name="tones", instrument="sine", caption="a pure tone", filename="tone.wav"
            )
        )
        for start in range(0, len(data), 65_536):
            yield registry_pb2.CreateDatasetRequest(data_chunk=data[start : start + 65_536])

    return stub.CreateDataset(messages()).dataset


def test_models_summary_has_the_seeds_shape(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    response = stub.GetModelsSummary(registry_pb2.GetModelsSummaryRequest())
    as_json = json.loads(json_format.MessageToJson(response))
    assert as_json == {"base": SEED_BASE_MODELS}  # proto3 JSON omits the empty map
    assert dict(response.fine_tuned) == {}


def test_models_are_listed_and_fetched(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    models = stub.ListModels(
        registry_pb2.ListModelsRequest(kind=registry_pb2.MODEL_KIND_BASE)
    ).models
    assert sorted(model.name for model in models) == sorted(SEED_BASE_MODELS)
    melody = next(model for model in models if model.name == "melody")
    fetched = stub.GetModel(registry_pb2.GetModelRequest(model_id=melody.id)).model
    assert fetched == melody and fetched.engine == registry_pb2.ENGINE_REPLICATE


def test_a_model_is_fetched_by_its_name_too(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    by_name = stub.GetModel(registry_pb2.GetModelRequest(model_id="melody")).model
    assert by_name.id == "mdl_base_melody"
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetModel(registry_pb2.GetModelRequest(model_id="no-such-model"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no-such-model" in (missing.value.details() or "")


def test_errors_map_to_status_codes(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetModel(registry_pb2.GetModelRequest(model_id="mdl_0000000000000000"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as malformed:
        stub.GetModel(registry_pb2.GetModelRequest(model_id="../../etc/passwd"))
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as base:
        stub.DeleteModel(registry_pb2.DeleteModelRequest(model_id="mdl_base_small"))
    assert base.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_streamed_upload_becomes_a_dataset(
    stub: registry_pb2_grpc.RegistryServiceStub, dataset: registry_pb2.Dataset
) -> None:
    assert dataset.id.startswith("ds_")
    assert (dataset.chunk_count, dataset.sample_rate_hz) == (1, 32_000)
    assert dataset.total_duration_s == pytest.approx(4.0, abs=0.1)
    fetched = stub.GetDataset(registry_pb2.GetDatasetRequest(dataset_id=dataset.id)).dataset
    assert fetched == dataset


def test_the_rest_upload_form_takes_a_zip(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.wav", tone_wav(2.0))
        archive.writestr("b.wav", tone_wav(2.0, 330.0))
    response = stub.UploadDataset(
        registry_pb2.UploadDatasetRequest(
            audio=httpbody_pb2.HttpBody(content_type="application/zip", data=buffer.getvalue()),
            name="two_tones",
            instrument="sine",
        )
    )
    assert response.dataset.chunk_count == 2


def test_a_hostile_zip_is_an_invalid_argument(stub: registry_pb2_grpc.RegistryServiceStub) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.wav", tone_wav(1.0))
    with pytest.raises(grpc.RpcError) as refused:
        stub.UploadDataset(
            registry_pb2.UploadDatasetRequest(
                audio=httpbody_pb2.HttpBody(data=buffer.getvalue()), name="evil"
            )
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unsafe path" in (refused.value.details() or "")


def test_a_training_job_is_queued_listed_cancelled_and_watched(
    stub: registry_pb2_grpc.RegistryServiceStub, dataset: registry_pb2.Dataset
) -> None:
    request = registry_pb2.CreateTrainingJobRequest(
        dataset_id=dataset.id, model_name="sine_model", backend="local", instrument="sine"
    )
    request.hyperparameters.update({"steps": 2000, "learning_rate": 0.001})
    job = stub.CreateTrainingJob(request).training_job
    assert job.status == registry_pb2.TRAINING_JOB_STATUS_QUEUED
    assert json_format.MessageToDict(job.hyperparameters) == {"steps": 2000, "learning_rate": 0.001}
    assert not job.HasField("loss") and not job.HasField("start_time")

    listed = stub.ListTrainingJobs(
        registry_pb2.ListTrainingJobsRequest(status=registry_pb2.TRAINING_JOB_STATUS_QUEUED)
    ).training_jobs
    assert job.id in [listed_job.id for listed_job in listed]

    cancelled = stub.CancelTrainingJob(
        registry_pb2.CancelTrainingJobRequest(job_id=job.id)
    ).training_job
    assert cancelled.status == registry_pb2.TRAINING_JOB_STATUS_CANCELLED

    updates = list(stub.WatchTrainingJob(registry_pb2.WatchTrainingJobRequest(job_id=job.id)))
    assert [update.training_job.status for update in updates] == [
        registry_pb2.TRAINING_JOB_STATUS_CANCELLED
    ]


def test_an_unknown_backend_is_an_invalid_argument(
    stub: registry_pb2_grpc.RegistryServiceStub, dataset: registry_pb2.Dataset
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        stub.CreateTrainingJob(
            registry_pb2.CreateTrainingJobRequest(
                dataset_id=dataset.id, model_name="x", backend="gpu_farm"
            )
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "local, replicate" in (refused.value.details() or "")
