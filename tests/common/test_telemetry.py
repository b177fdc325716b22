"""Every hop is traced and counted: one trace from client to server, metrics per status."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from services.common.audio import encode_wav
from services.common.clients import open_channel
from services.common.server import RunningServer, start_server
from services.common.settings import Settings
from services.pitch.server import SPEC as PITCH_SPEC

PITCH_SERVICE = "expertmusic.pitch.v1.PitchService"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="module")
def pitch_server(spans: InMemorySpanExporter) -> Iterator[tuple[RunningServer, Settings]]:
    settings = Settings(service_bind_host="127.0.0.1")
    running = start_server(PITCH_SPEC, settings, port=0)
    yield running, settings
    running.stop(grace_s=1)


def upload(audio: bytes) -> Iterator[pitch_pb2.ExtractMelodyRequest]:
    yield pitch_pb2.ExtractMelodyRequest(audio_chunk=audio)


def handled(code: str) -> float:
    value = REGISTRY.get_sample_value(
        "grpc_server_handled_total",
        {"grpc_service": PITCH_SERVICE, "grpc_method": "ExtractMelody", "grpc_code": code},
    )
    return value or 0.0


def test_a_call_is_one_trace_from_the_client_span_to_the_server_span(
    pitch_server: tuple[RunningServer, Settings], spans: InMemorySpanExporter
) -> None:
    running, settings = pitch_server
    spans.clear()
    silence = encode_wav(np.zeros(16_000, dtype=np.float32), 16_000)
    channel = open_channel(f"127.0.0.1:{running.port}", settings)
    pitch_pb2_grpc.PitchServiceStub(channel).ExtractMelody(upload(silence), timeout=30)

    finished = spans.get_finished_spans()
    client = [s for s in finished if s.kind is SpanKind.CLIENT]
    server = [s for s in finished if s.kind is SpanKind.SERVER]
    assert len(client) == 1 and len(server) == 1
    assert server[0].context.trace_id == client[0].context.trace_id
    assert server[0].parent is not None
    assert server[0].parent.span_id == client[0].context.span_id
    assert server[0].name == f"/{PITCH_SERVICE}/ExtractMelody"


def test_metrics_count_calls_by_status_code(pitch_server: tuple[RunningServer, Settings]) -> None:
    running, settings = pitch_server
    ok_before, invalid_before = handled("OK"), handled("INVALID_ARGUMENT")
    stub = pitch_pb2_grpc.PitchServiceStub(open_channel(f"127.0.0.1:{running.port}", settings))
    stub.ExtractMelody(upload(encode_wav(np.zeros(8000, dtype=np.float32), 8000)), timeout=30)
    with pytest.raises(grpc.RpcError):
        stub.ExtractMelody(upload(b"not audio at all"), timeout=30)
    assert handled("OK") == ok_before + 1
    assert handled("INVALID_ARGUMENT") == invalid_before + 1
    assert (
        REGISTRY.get_sample_value(
            "grpc_server_handling_seconds_count",
            {"grpc_service": PITCH_SERVICE, "grpc_method": "ExtractMelody"},
        )
        or 0
    ) >= 2
