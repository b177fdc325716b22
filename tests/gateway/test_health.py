"""The mesh's health at the gateway: one answer for all, one per service, at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway.health import MeshHealthWatcher
from tests.support.mesh import free_ports

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
PROTOBUF_SERVICES = {
    "pitch": ["expertmusic.pitch.v1.PitchService"],
    "registry": ["expertmusic.registry.v1.RegistryService", "expertmusic.registry.v1.Generation"],
}


@dataclass
class FakeService:
    """A gRPC server with nothing but the standard health service, like each of ours."""

    port: int
    server: grpc.Server | None = None
    health: health.HealthServicer | None = None

    def start(self) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        self.server.start()

    def kill(self) -> None:
        assert self.server is not None
        self.server.stop(0).wait()


@dataclass
class Gateway:
    services: dict[str, FakeService]
    stub: health_pb2_grpc.HealthStub

    def status(self, service: str = "") -> int:
        request = health_pb2.HealthCheckRequest(service=service)
        return int(self.stub.Check(request, timeout=1).status)


def wait_until(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``condition`` held; fails after ``timeout_s``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"not true within {timeout_s} s")
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gateway_port, *ports = free_ports(1 + len(PROTOBUF_SERVICES))
    services = {
        name: FakeService(port) for name, port in zip(PROTOBUF_SERVICES, ports, strict=True)
    }
    for service in services.values():
        service.start()
    channels = {
        name: grpc.insecure_channel(f"127.0.0.1:{service.port}")
        for name, service in services.items()
    }
    servicer = health.HealthServicer()
    # Longer than the test's one second: a change seen sooner comes from a Watch stream.
    watcher = MeshHealthWatcher(servicer, channels, PROTOBUF_SERVICES, poll_interval_s=2)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{gateway_port}")
    server.start()
    watcher.start()
    with grpc.insecure_channel(f"127.0.0.1:{gateway_port}") as channel:
        yield Gateway(services, health_pb2_grpc.HealthStub(channel))
    watcher.stop()
    server.stop(0)
    for service in services.values():
        service.kill()


def test_the_mesh_serves_when_every_service_does(gateway: Gateway) -> None:
    wait_until(lambda: gateway.status() == SERVING, timeout_s=5)
    for names in PROTOBUF_SERVICES.values():
        for name in names:
            assert gateway.status(name) == SERVING


def test_a_service_that_dies_is_not_serving_within_a_second(gateway: Gateway) -> None:
    wait_until(lambda: gateway.status() == SERVING, timeout_s=5)
    gateway.services["pitch"].kill()
    assert wait_until(lambda: gateway.status() == NOT_SERVING, timeout_s=1) < 1
    assert gateway.status("expertmusic.pitch.v1.PitchService") == NOT_SERVING
    assert gateway.status("expertmusic.registry.v1.Generation") == SERVING

    gateway.services["pitch"].start()  # restarted on its port, as the supervisor does
    wait_until(lambda: gateway.status() == SERVING, timeout_s=15)


def test_a_service_that_says_it_is_not_serving_is_shown_at_once(gateway: Gateway) -> None:
    wait_until(lambda: gateway.status() == SERVING, timeout_s=5)
    registry = gateway.services["registry"].health
    assert registry is not None
    registry.enter_graceful_shutdown()
    # The Watch stream tells the gateway at once; the bound leaves room for a loaded CI
    # machine (a Check itself is answered from memory at once, whatever the state).
    assert wait_until(lambda: gateway.status() == NOT_SERVING, timeout_s=3) < 3
    assert gateway.status("expertmusic.registry.v1.RegistryService") == NOT_SERVING
    assert gateway.status("expertmusic.pitch.v1.PitchService") == SERVING


def test_an_unknown_service_name_is_not_found(gateway: Gateway) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        gateway.status("expertmusic.nothing.v1.Nothing")
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


def test_watchers_hear_of_changes_only(gateway: Gateway) -> None:
    wait_until(lambda: gateway.status() == SERVING, timeout_s=5)
    stream = gateway.stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert next(stream).status == SERVING
    gateway.services["pitch"].kill()
    assert next(stream).status == NOT_SERVING
    gateway.services["pitch"].start()
    assert next(stream).status == SERVING
    stream.cancel()
