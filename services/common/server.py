"""The one server bootstrap every service uses.

A service describes itself with a :class:`ServiceSpec` (its name, the protobuf services
it implements and a function that adds its servicers to a ``grpc.Server``); this module
adds the rest: message-size limits, tracing and metrics interceptors, gRPC health and
reflection, structured logs and a graceful shutdown on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from types import FrameType

import grpc
import threadpoolctl
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.logs import configure_logging
from services.common.settings import MEBIBYTE, Settings, get_settings
from services.common.telemetry import (
    MetricsInterceptor,
    configure_tracing,
    start_metrics_server,
    tracing_server_interceptor,
)

logger = logging.getLogger(__name__)

#: Largest request metadata (headers) a service takes: above Envoy's default limit on a
#: request's headers (max_request_headers_kb, 60 KiB); see grpc_message_options.
METADATA_LIMIT_BYTES = 128 * 1024


@dataclass(frozen=True)
class ServiceSpec:
    """What a service brings to the bootstrap."""

    #: Short name: "pitch", "lyrics", ... (also picks its address from the settings).
    name: str
    #: Fully-qualified protobuf service names, e.g. "expertmusic.pitch.v1.PitchService".
    protobuf_services: Sequence[str]
    #: Adds the servicers to the server; receives the settings to build domain objects.
    register: Callable[[grpc.Server, Settings], None]
    #: The largest upload the service takes in one message, in bytes.
    max_upload_bytes: Callable[[Settings], int] = lambda settings: settings.max_upload_bytes
    #: Calls that may sit waiting in the service (a queue of its own) beside GRPC_WORKERS
    #: working ones: each holds a thread, so the pool grows by this many.
    waiting_calls: Callable[[Settings], int] = lambda settings: 0
    #: Work done once before the service listens (loading models, building caches), so
    #: that the first call after a start or a scale-up is as fast as the next: a readiness
    #: or startup probe sees the service only when it is warm. None: nothing to warm.
    warm_up: Callable[[Settings], None] | None = None


def cancellation_of(context: grpc.ServicerContext) -> threading.Event:
    """An event set when the call ends: its client cancelled, went away or ran out of time.

    Servicers pass it to domain code as ``cancelled`` so that the work a call started stops
    with the call (see services.common.cancellation). It is also set when the call ends
    normally, by which time the work is done.
    """
    ended = threading.Event()
    if not context.add_callback(ended.set) or not context.is_active():
        ended.set()
    return ended


def grpc_message_options(
    settings: Settings, max_upload_bytes: int | None = None
) -> list[tuple[str, int]]:
    """Channel/server options that let a whole upload (plus framing) through in one message.

    The REST gateway sends an uploaded file as one message, so the limit must be above
    the largest upload (``max_upload_bytes`` unless given); the service then enforces the
    real limit with a clear message.
    """
    upload_bytes = settings.max_upload_bytes if max_upload_bytes is None else max_upload_bytes
    limit_bytes = upload_bytes + 4 * MEBIBYTE
    return [
        ("grpc.max_receive_message_length", limit_bytes),
        ("grpc.max_send_message_length", max(limit_bytes, 64 * MEBIBYTE)),
        # Envoy passes a REST call's whole path (query string included) on as the
        # x-envoy-original-path header: with gRPC's default limits (8 KiB soft, 16 KiB
        # hard) a long query was refused at random as RESOURCE_EXHAUSTED (HTTP 429) before
        # the service could say which field was too long. Envoy itself refuses request
        # headers past 60 KiB (431), so every request it lets through fits here.
        ("grpc.max_metadata_size", METADATA_LIMIT_BYTES),
        ("grpc.absolute_max_metadata_size", METADATA_LIMIT_BYTES),
    ]


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int
    spec: ServiceSpec

    def stop(self, grace_s: float) -> None:
        """Reports NOT_SERVING first so load balancers drain, then finishes calls in flight."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_s).wait()


def start_server(spec: ServiceSpec, settings: Settings, port: int | None = None) -> RunningServer:
    """Builds and starts the server; ``port=0`` picks a free port (tests)."""
    workers = settings.grpc_workers + spec.waiting_calls(settings)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{spec.name}-rpc"),
        interceptors=[tracing_server_interceptor(), MetricsInterceptor()],
        options=[
            *grpc_message_options(settings, spec.max_upload_bytes(settings)),
            ("grpc.so_reuseport", 0),
            # Clients reconnect now and then, so new replicas get a share of the calls;
            # calls in flight get as long as the gateway's route timeout to finish.
            ("grpc.max_connection_age_ms", 60_000),
            ("grpc.max_connection_age_grace_ms", int(settings.gateway_route_timeout_s * 1000)),
        ],
        maximum_concurrent_rpcs=workers * 4,
    )
    spec.register(server, settings)

    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*spec.protobuf_services, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )

    bind_port = settings.port_of(spec.name) if port is None else port
    bound_port = server.add_insecure_port(f"{settings.service_bind_host}:{bind_port}")
    if bound_port == 0:
        raise OSError(f"{spec.name}: cannot listen on {settings.service_bind_host}:{bind_port}")
    server.start()
    for name in ("", *spec.protobuf_services):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server=server, health=health_servicer, port=bound_port, spec=spec)


def warm(spec: ServiceSpec, settings: Settings) -> None:
    """Runs the service's warm-up, if any. A failure is logged, not raised: the service
    still starts, and its first call pays for what was not warmed (or says what failed)."""
    if spec.warm_up is None:
        return
    started = time.perf_counter()
    try:
        spec.warm_up(settings)
    except Exception:
        logger.warning(
            "%s: warming up failed; the first call will be slower", spec.name, exc_info=True
        )
        return
    logger.info("%s warmed up in %.2f s", spec.name, time.perf_counter() - started)


def limit_blas_threads(threads: int) -> None:
    """At most ``threads`` BLAS threads in this process from now on (0: no limit).

    The libraries loaded already are limited through threadpoolctl; one loaded later
    (scipy's own OpenBLAS, on first use) reads ``OPENBLAS_NUM_THREADS`` as it loads.
    """
    if threads > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
        threadpoolctl.threadpool_limits(limits=threads, user_api="blas")


def serve(spec: ServiceSpec) -> None:
    """Runs a service until SIGTERM or SIGINT: the body of each ``python -m services.X``."""
    settings = get_settings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    configure_tracing(spec.name, settings)
    limit_blas_threads(settings.blas_threads)
    start_metrics_server(settings.metrics_port_of(spec.name), settings.service_bind_host)
    warm(spec, settings)
    running = start_server(spec, settings)
    logger.info("%s serving gRPC on %s:%d", spec.name, settings.service_bind_host, running.port)

    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("%s received %s, shutting down", spec.name, signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    stop_requested.wait()
    running.stop(settings.grace_period_s)
    logger.info("%s stopped", spec.name)
