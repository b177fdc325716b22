"""The gateway's own gRPC server: the mesh's health and reflection, behind Envoy.

It listens on loopback only (``GATEWAY_LOCAL_GRPC_PORT``); Envoy routes
``grpc.health.v1.Health`` and ``grpc.reflection.v1(alpha).ServerReflection`` calls that
reach :8003 to it. It runs inside ``python -m gateway``, beside Envoy, so it is up
whenever the gateway is, whichever service is down.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2_grpc

from gateway.config import mesh_protobuf_services
from gateway.health import MeshHealthWatcher
from gateway.reflection import add_reflection
from services.common.clients import RECONNECT_OPTIONS
from services.common.settings import Settings

LOOPBACK = "127.0.0.1"
#: Health watchers and reflection streams at once; more get RESOURCE_EXHAUSTED.
MAX_CONCURRENT_CALLS = 256


@dataclass
class GatewayServer:
    server: grpc.Server
    health: MeshHealthWatcher
    port: int

    def stop(self, grace_s: float = 1.0) -> None:
        self.health.stop()
        self.server.stop(grace_s).wait()


def start_gateway_server(
    settings: Settings, descriptor_path: Path, port: int | None = None
) -> GatewayServer:
    """Starts the server on loopback (``port=0`` picks a free one) and the health polls."""
    owners = mesh_protobuf_services(descriptor_path, settings.mesh_services)
    protobuf_services: dict[str, list[str]] = {}
    for protobuf_service, owner in sorted(owners.items()):
        protobuf_services.setdefault(owner, []).append(protobuf_service)

    # Watch streams are non-blocking, so a few threads serve many of them.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-rpc"),
        maximum_concurrent_rpcs=MAX_CONCURRENT_CALLS,
    )
    servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    add_reflection(server, owners, descriptor_path)
    bind_port = settings.gateway_local_grpc_port if port is None else port
    bound_port = server.add_insecure_port(f"{LOOPBACK}:{bind_port}")
    if bound_port == 0:
        raise OSError(f"the gateway cannot listen on {LOOPBACK}:{bind_port}")

    # Plain channels: a health check every second is not worth a trace.
    watcher = MeshHealthWatcher(
        servicer,
        {
            name: grpc.insecure_channel(settings.address_of(name), options=RECONNECT_OPTIONS)
            for name in protobuf_services
        },
        protobuf_services,
        settings.gateway_health_poll_s,
    )
    server.start()
    watcher.start()
    return GatewayServer(server=server, health=watcher, port=bound_port)
