"""gRPC server reflection for every public service, answered at the gateway.

``grpcurl -plaintext <gateway> list`` and ``describe`` need the descriptors of every
service behind the gateway. They all lie in the descriptor set that ``make protos``
writes for Envoy's transcoder (``gen/descriptor.binpb``, with their imports), so the
gateway serves reflection from it: no service has to be up, and nothing can go out of
step with what Envoy routes.

Both protocol versions are served: ``grpc.reflection.v1`` (what current clients ask
first) and ``grpc.reflection.v1alpha`` (what grpcio ships). Their messages are the same
on the wire, so one servicer answers both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health, health_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"


def descriptor_pool_from(descriptor_path: Path) -> descriptor_pool.DescriptorPool:
    """A pool with every file of the descriptor set, plus health and reflection."""
    pool = descriptor_pool.DescriptorPool()
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
    files = {file.name: file for file in descriptor_set.file}
    for module in (health_pb2, reflection_pb2):
        file = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
        files.setdefault(file.name, file)
    added: set[str] = set()

    def add(name: str) -> None:  # dependencies first, as the pool requires
        if name in added:
            return
        added.add(name)
        for dependency in files[name].dependency:
            add(dependency)
        pool.Add(files[name])

    for name in files:
        add(name)
    return pool


def add_reflection(
    server: grpc.Server, public_services: Iterable[str], descriptor_path: Path
) -> list[str]:
    """Serves reflection of ``public_services`` (plus health and reflection) on ``server``.

    Returns the service names it lists.
    """
    listed = sorted({*public_services, health.SERVICE_NAME, reflection.SERVICE_NAME})
    servicer = reflection.ReflectionServicer(listed, pool=descriptor_pool_from(descriptor_path))
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                V1_SERVICE_NAME,
                {
                    "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                        servicer.ServerReflectionInfo,
                        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
                        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
                    )
                },
            ),
        )
    )
    return listed
