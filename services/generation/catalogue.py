"""The registry's models as generation sees them: looked up through the registry's gRPC
API (``RegistryService.GetModel``), so generation owns no database and never reads the
catalogue's tables."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from expertmusic.registry.v1 import registry_pb2, registry_pb2_grpc

from services.common.catalogue.models import Engine, Model, ModelKind, ModelStatus
from services.common.clients import open_channel
from services.common.errors import error_from_status
from services.common.settings import Settings

_KIND_FROM_PROTO = {
    registry_pb2.MODEL_KIND_BASE: ModelKind.BASE,
    registry_pb2.MODEL_KIND_FINE_TUNED: ModelKind.FINE_TUNED,
}
_ENGINE_FROM_PROTO = {
    registry_pb2.ENGINE_REPLICATE: Engine.REPLICATE,
    registry_pb2.ENGINE_LOCAL: Engine.LOCAL,
}
_STATUS_FROM_PROTO = {
    registry_pb2.MODEL_STATUS_READY: ModelStatus.READY,
    registry_pb2.MODEL_STATUS_ARCHIVED: ModelStatus.ARCHIVED,
}


def model_from_proto(model: registry_pb2.Model) -> Model:
    """The registry's Model message as the catalogue's Model.

    Raises:
        ValueError: The message names a kind, engine or status this code does not know
            (a newer registry).
    """
    try:
        kind = _KIND_FROM_PROTO[model.kind]
        engine = _ENGINE_FROM_PROTO[model.engine]
        status = _STATUS_FROM_PROTO[model.status]
    except KeyError as error:
        raise ValueError(f"the registry sent model {model.name!r} with an unknown enum") from error
    return Model(
        id=model.id,
        name=model.name,
        kind=kind,
        engine=engine,
        version=model.version,
        instrument=model.instrument,
        description=model.description,
        dataset_id=model.dataset_id or None,
        job_id=model.job_id or None,
        status=status,
        created_at=model.create_time.ToDatetime(tzinfo=UTC)
        if model.HasField("create_time")
        else datetime.fromtimestamp(0, UTC),
    )


class RegistryCatalogue:
    """Looks models up in the registry service at ``REGISTRY_ADDRESS``."""

    def __init__(self, settings: Settings, channel: grpc.Channel | None = None) -> None:
        """
        Args:
            channel: A channel to the registry (default: one to REGISTRY_ADDRESS).
        """
        self._stub = registry_pb2_grpc.RegistryServiceStub(
            channel or open_channel(settings.registry_address, settings)
        )
        self._timeout_s = settings.registry_lookup_timeout_s

    def lookup(self, ref: str) -> Model:
        """The model with id or name ``ref``.

        Raises:
            InvalidInputError: A malformed id or name.
            NotFoundError: No such model.
            UnavailableError: The registry cannot be reached.
            TimeoutError: It did not answer within REGISTRY_LOOKUP_TIMEOUT_S.
        """
        try:
            reply = self._stub.GetModel(
                registry_pb2.GetModelRequest(model_id=ref), timeout=self._timeout_s
            )
        except grpc.RpcError as error:
            raise error_from_status(error, "registry") from None
        return model_from_proto(reply.model)
