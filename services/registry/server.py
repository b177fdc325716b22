"""gRPC wiring of the registry service: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import grpc
from expertmusic.registry.v1 import registry_pb2, registry_pb2_grpc
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from services.common.catalogue.datasets import Dataset
from services.common.catalogue.jobs import JobStatus, TrainingJob
from services.common.catalogue.models import Engine, Model, ModelKind, ModelStatus
from services.common.errors import grpc_errors
from services.common.server import ServiceSpec
from services.common.settings import Settings
from services.common.uploads import check_upload_size, read_streamed_upload
from services.registry.metrics import expose_training_queue
from services.registry.registry import Registry

#: How often WatchTrainingJob looks at the job, in seconds.
WATCH_POLL_INTERVAL_S = 0.5
DEFAULT_PAGE_SIZE = 100

_KIND_TO_PROTO = {
    ModelKind.BASE: registry_pb2.MODEL_KIND_BASE,
    ModelKind.FINE_TUNED: registry_pb2.MODEL_KIND_FINE_TUNED,
}
_KIND_FROM_PROTO = {value: key for key, value in _KIND_TO_PROTO.items()}
_ENGINE_TO_PROTO = {
    Engine.REPLICATE: registry_pb2.ENGINE_REPLICATE,
    Engine.LOCAL: registry_pb2.ENGINE_LOCAL,
}
_MODEL_STATUS_TO_PROTO = {
    ModelStatus.READY: registry_pb2.MODEL_STATUS_READY,
    ModelStatus.ARCHIVED: registry_pb2.MODEL_STATUS_ARCHIVED,
}
_JOB_STATUS_TO_PROTO = {
    JobStatus.QUEUED: registry_pb2.TRAINING_JOB_STATUS_QUEUED,
    JobStatus.RUNNING: registry_pb2.TRAINING_JOB_STATUS_RUNNING,
    JobStatus.SUCCEEDED: registry_pb2.TRAINING_JOB_STATUS_SUCCEEDED,
    JobStatus.FAILED: registry_pb2.TRAINING_JOB_STATUS_FAILED,
    JobStatus.CANCELLED: registry_pb2.TRAINING_JOB_STATUS_CANCELLED,
}
_JOB_STATUS_FROM_PROTO = {value: key for key, value in _JOB_STATUS_TO_PROTO.items()}


def _timestamp(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def model_to_proto(model: Model) -> registry_pb2.Model:
    return registry_pb2.Model(
        id=model.id,
        name=model.name,
        kind=_KIND_TO_PROTO[model.kind],
        engine=_ENGINE_TO_PROTO[model.engine],
        version=model.version,
        instrument=model.instrument,
        description=model.description,
        dataset_id=model.dataset_id or "",
        job_id=model.job_id or "",
        status=_MODEL_STATUS_TO_PROTO[model.status],
        create_time=_timestamp(model.created_at),
    )


def dataset_to_proto(dataset: Dataset) -> registry_pb2.Dataset:
    return registry_pb2.Dataset(
        id=dataset.id,
        name=dataset.name,
        instrument=dataset.instrument,
        caption=dataset.caption,
        chunk_count=dataset.chunk_count,
        total_duration_s=dataset.total_duration_s,
        sample_rate_hz=dataset.sample_rate_hz,
        source_filename=dataset.source_filename,
        create_time=_timestamp(dataset.created_at),
    )


def job_to_proto(job: TrainingJob) -> registry_pb2.TrainingJob:
    hyperparameters = struct_pb2.Struct()
    hyperparameters.update(job.hyperparameters)
    return registry_pb2.TrainingJob(
        id=job.id,
        dataset_id=job.dataset_id,
        model_name=job.model_name,
        base_model=job.base_model,
        instrument=job.instrument,
        backend=job.backend,
        hyperparameters=hyperparameters,
        status=_JOB_STATUS_TO_PROTO[job.status],
        step=job.step,
        total_steps=job.total_steps,
        loss=job.loss,
        message=job.message,
        cancel_requested=job.cancel_requested,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        result_model_id=job.result_model_id or "",
        create_time=_timestamp(job.created_at),
        update_time=_timestamp(job.updated_at),
        start_time=_timestamp(job.started_at),
        finish_time=_timestamp(job.finished_at),
    )


def hyperparameters_from_proto(struct: struct_pb2.Struct) -> dict[str, Any]:
    # JSON has one number type: give whole numbers back as int ("steps": 2000, not 2000.0).
    values = json_format.MessageToDict(struct)
    return {
        key: int(value) if isinstance(value, float) and value.is_integer() else value
        for key, value in values.items()
    }


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, registry: Registry, settings: Settings) -> None:
        self._registry = registry
        self._settings = settings

    @grpc_errors
    def ListModels(
        self, request: registry_pb2.ListModelsRequest, context: grpc.ServicerContext
    ) -> registry_pb2.ListModelsResponse:
        models = self._registry.models.list_models(_KIND_FROM_PROTO.get(request.kind))
        return registry_pb2.ListModelsResponse(models=[model_to_proto(m) for m in models])

    @grpc_errors
    def GetModel(
        self, request: registry_pb2.GetModelRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetModelResponse:
        model = self._registry.models.lookup(request.model_id)
        return registry_pb2.GetModelResponse(model=model_to_proto(model))

    @grpc_errors
    def DeleteModel(
        self, request: registry_pb2.DeleteModelRequest, context: grpc.ServicerContext
    ) -> registry_pb2.DeleteModelResponse:
        model = self._registry.delete_model(request.model_id)
        return registry_pb2.DeleteModelResponse(model=model_to_proto(model))

    @grpc_errors
    def GetModelsSummary(
        self, request: registry_pb2.GetModelsSummaryRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetModelsSummaryResponse:
        summary = self._registry.models.summary()
        return registry_pb2.GetModelsSummaryResponse(
            base=summary.base, fine_tuned=summary.fine_tuned
        )

    @grpc_errors
    def CreateDataset(
        self,
        request_iterator: Iterator[registry_pb2.CreateDatasetRequest],
        context: grpc.ServicerContext,
    ) -> registry_pb2.CreateDatasetResponse:
        metadata, data = read_streamed_upload(
            request_iterator,
            max_bytes=self._settings.dataset_max_upload_bytes,
            options_field="metadata",
            chunk_field="data_chunk",
        )
        dataset = self._prepare(data, metadata or registry_pb2.DatasetMetadata())
        return registry_pb2.CreateDatasetResponse(dataset=dataset_to_proto(dataset))

    @grpc_errors
    def UploadDataset(
        self, request: registry_pb2.UploadDatasetRequest, context: grpc.ServicerContext
    ) -> registry_pb2.UploadDatasetResponse:
        check_upload_size(len(request.audio.data), self._settings.dataset_max_upload_bytes)
        metadata = registry_pb2.DatasetMetadata(
            name=request.name,
            instrument=request.instrument,
            caption=request.caption,
            filename=request.filename,
        )
        dataset = self._prepare(request.audio.data, metadata)
        return registry_pb2.UploadDatasetResponse(dataset=dataset_to_proto(dataset))

    @grpc_errors
    def GetDataset(
        self, request: registry_pb2.GetDatasetRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetDatasetResponse:
        dataset = self._registry.datasets.get(request.dataset_id)
        return registry_pb2.GetDatasetResponse(dataset=dataset_to_proto(dataset))

    @grpc_errors
    def CreateTrainingJob(
        self, request: registry_pb2.CreateTrainingJobRequest, context: grpc.ServicerContext
    ) -> registry_pb2.CreateTrainingJobResponse:
        job = self._registry.submit_job(
            dataset_id=request.dataset_id,
            model_name=request.model_name,
            backend=request.backend,
            base_model=request.base_model,
            instrument=request.instrument,
            hyperparameters=hyperparameters_from_proto(request.hyperparameters),
        )
        return registry_pb2.CreateTrainingJobResponse(training_job=job_to_proto(job))

    @grpc_errors
    def GetTrainingJob(
        self, request: registry_pb2.GetTrainingJobRequest, context: grpc.ServicerContext
    ) -> registry_pb2.GetTrainingJobResponse:
        job = self._registry.jobs.get(request.job_id)
        return registry_pb2.GetTrainingJobResponse(training_job=job_to_proto(job))

    @grpc_errors
    def ListTrainingJobs(
        self, request: registry_pb2.ListTrainingJobsRequest, context: grpc.ServicerContext
    ) -> registry_pb2.ListTrainingJobsResponse:
        jobs = self._registry.jobs.list_jobs(
            _JOB_STATUS_FROM_PROTO.get(request.status),
            limit=request.page_size or DEFAULT_PAGE_SIZE,
        )
        return registry_pb2.ListTrainingJobsResponse(
            training_jobs=[job_to_proto(job) for job in jobs]
        )

    @grpc_errors
    def CancelTrainingJob(
        self, request: registry_pb2.CancelTrainingJobRequest, context: grpc.ServicerContext
    ) -> registry_pb2.CancelTrainingJobResponse:
        job = self._registry.jobs.cancel(request.job_id)
        return registry_pb2.CancelTrainingJobResponse(training_job=job_to_proto(job))

    @grpc_errors
    def WatchTrainingJob(
        self, request: registry_pb2.WatchTrainingJobRequest, context: grpc.ServicerContext
    ) -> Iterator[registry_pb2.WatchTrainingJobResponse]:
        for job in self._registry.jobs.watch(
            request.job_id, poll_interval_s=WATCH_POLL_INTERVAL_S, is_active=context.is_active
        ):
            yield registry_pb2.WatchTrainingJobResponse(training_job=job_to_proto(job))

    def _prepare(self, data: bytes, metadata: registry_pb2.DatasetMetadata) -> Dataset:
        return self._registry.preparer.prepare(
            data,
            name=metadata.name,
            filename=metadata.filename,
            instrument=metadata.instrument,
            caption=metadata.caption,
        )


def register(server: grpc.Server, settings: Settings) -> None:
    registry = Registry.from_settings(settings)
    expose_training_queue(registry.jobs)
    registry_pb2_grpc.add_RegistryServiceServicer_to_server(
        RegistryServicer(registry, settings), server
    )


SPEC = ServiceSpec(
    name="registry",
    protobuf_services=[
        registry_pb2.DESCRIPTOR.services_by_name["RegistryService"].full_name,
    ],
    register=register,
    max_upload_bytes=lambda settings: settings.dataset_max_upload_bytes,
)
