"""Prometheus metrics and OpenTelemetry traces for every gRPC hop.

Each server gets two interceptors: OpenTelemetry's (a span per call, continuing the
caller's trace from the W3C ``traceparent`` metadata) and ours (request counts and
latency histograms per method and status code). Clients made with
``services.common.clients`` inject the trace context, so a melody-to-vocals request is one
trace across Envoy, studio, pitch, lyrics and synth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import client_interceptor, server_interceptor
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from prometheus_client import Counter, Histogram, start_http_server

from services.common.settings import Settings

logger = logging.getLogger(__name__)

REQUESTS_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
REQUEST_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from the call's start to its last response, in seconds.",
    ["grpc_service", "grpc_method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def configure_tracing(service_name: str, settings: Settings) -> TracerProvider:
    """Installs the process's tracer provider: OTLP when a collector is configured."""
    provider = TracerProvider(
        resource=Resource.create(
            {SERVICE_NAME: f"expertmusic-{service_name}", SERVICE_VERSION: settings.version}
        )
    )
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_exporter_otlp_endpoint))
        )
    if settings.otel_console_export:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def tracing_server_interceptor() -> grpc.ServerInterceptor:
    return server_interceptor(tracer_provider=trace.get_tracer_provider())


def tracing_client_interceptor() -> Any:
    return client_interceptor(tracer_provider=trace.get_tracer_provider())


def start_metrics_server(port: int, host: str) -> None:
    """Serves /metrics for Prometheus on ``host:port`` (port 0 disables)."""
    if port:
        start_http_server(port, addr=host)
        logger.info("metrics on %s:%d/metrics", host, port)


class MetricsInterceptor(grpc.ServerInterceptor):
    """Counts every RPC and times it, for all four RPC shapes."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        found = continuation(handler_call_details)
        if found is None:
            return None
        handler: Any = found  # a namedtuple at run time: _replace() swaps the behaviour
        service, _, method = handler_call_details.method.lstrip("/").rpartition("/")
        if handler.unary_unary:
            return handler._replace(
                unary_unary=self._wrap_unary(handler.unary_unary, service, method)
            )
        if handler.stream_unary:
            return handler._replace(
                stream_unary=self._wrap_unary(handler.stream_unary, service, method)
            )
        if handler.unary_stream:
            return handler._replace(
                unary_stream=self._wrap_stream(handler.unary_stream, service, method)
            )
        return handler._replace(
            stream_stream=self._wrap_stream(handler.stream_stream, service, method)
        )

    @staticmethod
    def _wrap_unary(behaviour: Callable[..., Any], service: str, method: str) -> Callable[..., Any]:
        def wrapper(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                return behaviour(request, context)
            finally:
                _record(service, method, context, started)

        return wrapper

    @staticmethod
    def _wrap_stream(
        behaviour: Callable[..., Any], service: str, method: str
    ) -> Callable[..., Any]:
        def wrapper(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            try:
                yield from behaviour(request, context)
            finally:
                _record(service, method, context, started)

        return wrapper


def _record(service: str, method: str, context: grpc.ServicerContext, started: float) -> None:
    code = context.code() or grpc.StatusCode.OK  # type: ignore[attr-defined]
    REQUESTS_HANDLED.labels(service, method, code.name).inc()
    REQUEST_SECONDS.labels(service, method).observe(time.perf_counter() - started)
