"""Reflection at the gateway describes every public service from the descriptor set."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from google.protobuf import descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from gateway.config import DEFAULT_DESCRIPTOR_PATH, mesh_protobuf_services
from gateway.reflection import V1_SERVICE_NAME, add_reflection
from services.common.settings import SERVICE_PORTS


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    public = mesh_protobuf_services(DEFAULT_DESCRIPTOR_PATH, list(SERVICE_PORTS))
    add_reflection(server, public, DEFAULT_DESCRIPTOR_PATH)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as open_channel:
        yield open_channel
    server.stop(0)


def test_every_public_service_is_listed(channel: grpc.Channel) -> None:
    listed = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert listed == {
        *mesh_protobuf_services(DEFAULT_DESCRIPTOR_PATH, list(SERVICE_PORTS)),
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    assert {
        "expertmusic.pitch.v1.PitchService",
        "expertmusic.generation.v1.GenerationService",
    } < listed
    assert {name.split(".")[1] for name in listed if name.startswith("expertmusic.")} == set(
        SERVICE_PORTS
    )


def test_a_method_is_described_down_to_its_message_fields(channel: grpc.Channel) -> None:
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    studio = pool.FindServiceByName("expertmusic.studio.v1.StudioService")
    method = studio.methods_by_name["MelodyToVocals"]
    assert method.client_streaming and method.server_streaming
    take = method.output_type.fields_by_name["take"].message_type
    assert take is not None and "take_id" in take.fields_by_name
    # Imported files (Google's, the shared music types) come along.
    assert pool.FindMessageTypeByName("google.api.HttpBody").fields_by_name["data"]


def test_the_v1_protocol_is_answered_too(channel: grpc.Channel) -> None:
    reflect = channel.stream_stream(
        f"/{V1_SERVICE_NAME}/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    (response,) = list(
        reflect(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
    )
    names = {service.name for service in response.list_services_response.service}
    assert "expertmusic.pitch.v1.PitchService" in names
