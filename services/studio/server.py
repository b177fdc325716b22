"""gRPC wiring of the studio service: the banner, the mesh's health (and later the pipeline)."""

from __future__ import annotations

import grpc
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from services.common.clients import open_channel
from services.common.errors import UnavailableError, grpc_errors
from services.common.server import ServiceSpec
from services.common.settings import Settings
from services.studio.health import mesh_health

SERVICE_BANNER = "Expert Music AI"


class StudioServicer(studio_pb2_grpc.StudioServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._channels = {
            name: open_channel(settings.address_of(name), settings)
            for name in settings.mesh_services
            if name != "studio"
        }

    def GetServiceInfo(
        self, request: studio_pb2.GetServiceInfoRequest, context: grpc.ServicerContext
    ) -> studio_pb2.GetServiceInfoResponse:
        return studio_pb2.GetServiceInfoResponse(
            service=SERVICE_BANNER, version=self._settings.version, status="running"
        )

    @grpc_errors
    def GetHealth(
        self, request: studio_pb2.GetHealthRequest, context: grpc.ServicerContext
    ) -> studio_pb2.GetHealthResponse:
        health = mesh_health(self._channels, self._settings)
        if health.services_down:
            raise UnavailableError(
                "not serving: "
                + "; ".join(
                    f"{name} at {self._settings.address_of(name)}"
                    f" ({health.services[name].status} {health.services[name].detail})".rstrip()
                    for name in health.services_down
                )
            )
        response = studio_pb2.GetHealthResponse(
            status=health.status, version=self._settings.version
        )
        for name, report in health.services.items():
            response.services[name].CopyFrom(
                studio_pb2.ServiceHealth(
                    status=report.status,
                    address=self._settings.address_of(name),
                    latency_ms=report.latency_ms,
                    detail=report.detail,
                )
            )
        for name, state in health.providers.items():
            response.providers[name].CopyFrom(
                studio_pb2.ProviderHealth(
                    configured=state.configured, status=state.status, detail=state.detail
                )
            )
        return response


def register(server: grpc.Server, settings: Settings) -> None:
    studio_pb2_grpc.add_StudioServiceServicer_to_server(StudioServicer(settings), server)


SPEC = ServiceSpec(
    name="studio",
    protobuf_services=[studio_pb2.DESCRIPTOR.services_by_name["StudioService"].full_name],
    register=register,
)
