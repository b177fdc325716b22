"""Channels between services: tracing, message limits and health checks, in one place."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel

from services.common.server import grpc_message_options
from services.common.settings import Settings
from services.common.telemetry import tracing_client_interceptor

#: gRPC backs off up to 2 minutes between reconnection attempts by default, so a
#: service that restarted (or started late) stayed unreachable long after it was back.
#: Trying again every second at most costs nothing on a local network.
RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


#: Calls wait for a service that is (re)starting, up to their deadline, instead of
#: failing at once. Health checks opt out (``wait_for_ready=False``): they must say
#: "down" at once; so do the studio's stage calls, which wait for their service first,
#: for a bounded time (``STUDIO_RESTART_WAIT_S``), so that one that stays down fails a
#: take with UNAVAILABLE instead of holding it for the stage's whole timeout.
WAIT_FOR_READY_SERVICE_CONFIG = json.dumps({"methodConfig": [{"name": [{}], "waitForReady": True}]})


def open_channel(address: str, settings: Settings) -> grpc.Channel:
    """A channel to host:port whose calls carry the caller's trace context."""
    channel = grpc.insecure_channel(
        address,
        options=[
            *grpc_message_options(settings),
            *RECONNECT_OPTIONS,
            ("grpc.service_config", WAIT_FOR_READY_SERVICE_CONFIG),
            ("grpc.enable_retries", 1),
            # Behind a headless Kubernetes Service the name resolves to every pod: spread
            # calls over all of them instead of sticking to the first.
            ("grpc.lb_policy_name", "round_robin"),
        ],
    )
    return intercept_channel(channel, tracing_client_interceptor())


@dataclass(frozen=True)
class HealthReport:
    """What one gRPC health check found."""

    status: str  # "SERVING", "NOT_SERVING", "UNKNOWN", "UNREACHABLE"
    latency_ms: float
    detail: str = ""

    @property
    def serving(self) -> bool:
        return self.status == "SERVING"


def check_health(channel: grpc.Channel, timeout_s: float = 1.0, service: str = "") -> HealthReport:
    """Asks a server's grpc.health.v1 service; never raises."""
    started = time.perf_counter()
    try:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout_s, wait_for_ready=False
        )
    except grpc.RpcError as error:
        latency_ms = (time.perf_counter() - started) * 1000
        code = error.code() if isinstance(error, grpc.Call) else None
        detail = error.details() if isinstance(error, grpc.Call) else str(error)
        return HealthReport("UNREACHABLE", latency_ms, f"{code.name if code else ''}: {detail}")
    latency_ms = (time.perf_counter() - started) * 1000
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    return HealthReport(status, latency_ms)
