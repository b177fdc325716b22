"""The pitch service's gRPC side: the work a call starts ends with the call, and crepe-full
jobs take turns (a real in-process server; the transcription is a stand-in that waits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import numpy as np
import pytest
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from google.api import httpbody_pb2

from services.common.audio import encode_wav
from services.common.cancellation import raise_if_cancelled
from services.common.music import Melody
from services.common.server import RunningServer, start_server
from services.common.settings import Settings
from services.pitch import server as pitch_server
from services.pitch.server import SPEC

HUM = encode_wav(np.zeros(8000, dtype=np.float32), 16_000)


class SlowTranscription:
    """Stands in for extract_melody: works until its caller's cancellation is set (or 5 s)."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.stopped_by_cancel: list[str] = []

    def __call__(self, samples: Any, sample_rate_hz: int, **options: Any) -> Melody:
        self.started.release()
        cancelled: threading.Event = options["cancelled"]
        if cancelled.wait(5):
            self.stopped_by_cancel.append(options["engine"])
        raise_if_cancelled(cancelled, "transcribing")
        return Melody(notes=[], phrases=[], duration_s=0.5, engine=options["engine"])


@pytest.fixture
def transcription(monkeypatch: pytest.MonkeyPatch) -> SlowTranscription:
    slow = SlowTranscription()
    monkeypatch.setattr(pitch_server, "extract_melody", slow)
    return slow


@pytest.fixture
def stub(transcription: SlowTranscription) -> Iterator[pitch_pb2_grpc.PitchServiceStub]:
    settings = Settings(
        service_bind_host="127.0.0.1",
        pitch_crepe_full_jobs_at_once=1,
        pitch_crepe_full_jobs_waiting=0,
    )
    running: RunningServer = start_server(SPEC, settings, port=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{running.port}")
    yield pitch_pb2_grpc.PitchServiceStub(channel)
    channel.close()
    running.stop(grace_s=0)


def upload(engine: str) -> pitch_pb2.UploadMelodyRequest:
    return pitch_pb2.UploadMelodyRequest(
        audio=httpbody_pb2.HttpBody(content_type="audio/wav", data=HUM), engine=engine
    )


def wait_until(condition: Any, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def test_a_passed_deadline_stops_the_transcription(stub, transcription) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        stub.UploadMelody(upload("crepe-full"), timeout=0.5)

    assert failed.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
    assert wait_until(lambda: transcription.stopped_by_cancel == ["crepe-full"])


def test_a_client_that_goes_away_stops_the_transcription(stub, transcription) -> None:
    call = stub.UploadMelody.future(upload("swift"))
    assert transcription.started.acquire(timeout=5)

    call.cancel()

    assert wait_until(lambda: transcription.stopped_by_cancel == ["swift"])


def test_a_second_crepe_full_job_beyond_the_queue_is_told_to_come_back(stub, transcription) -> None:
    first = stub.UploadMelody.future(upload("crepe-full"))
    assert transcription.started.acquire(timeout=5)

    with pytest.raises(grpc.RpcError) as refused:
        stub.UploadMelody(upload("crepe-full"), timeout=5)
    # Other engines do not queue behind crepe-full.
    swift = stub.UploadMelody.future(upload("swift"))
    assert transcription.started.acquire(timeout=5)

    error = refused.value
    assert isinstance(error, grpc.Call)
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "too many crepe-full jobs: 1 running" in (error.details() or "")
    first.cancel()
    swift.cancel()
