"""Channels between services: calls wait for a restarting service, health checks do not."""

from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.common.clients import check_health, open_channel
from services.common.settings import Settings
from tests.support.mesh import free_port


def test_a_call_waits_for_a_service_that_is_starting_and_a_health_check_does_not() -> None:
    address = f"127.0.0.1:{free_port()}"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    server.add_insecure_port(address)
    channel = open_channel(address, Settings(_env_file=None))  # type: ignore[call-arg]
    try:
        started = time.monotonic()
        report = check_health(channel, timeout_s=2)
        assert report.status == "UNREACHABLE"
        assert time.monotonic() - started < 1  # "down" at once, not after the timeout

        starting = threading.Timer(0.5, server.start)  # a supervisor restarting it
        starting.start()
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10
        )
        assert response.status == health_pb2.HealthCheckResponse.SERVING
        starting.join()
    finally:
        server.stop(0)
