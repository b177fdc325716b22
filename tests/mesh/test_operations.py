"""Operating the mesh: crashes are restarted, stops drain, the gateway limits the load."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import pid_of, running_mesh
from tests.support.rest import http


def test_a_killed_service_is_restarted_and_health_turns_green_again(tmp_path: Path) -> None:
    with running_mesh(["pitch", "studio"], tmp_path) as mesh:
        old_pid = pid_of("services.pitch", mesh)
        os.kill(old_pid, signal.SIGKILL)

        deadline = time.monotonic() + 60
        statuses = []
        while time.monotonic() < deadline:
            status, _, _ = http(mesh, "GET", "/health")
            statuses.append(status)
            if status == 200 and 503 in statuses:
                break
            time.sleep(0.1)
        assert 503 in statuses  # the outage was visible...
        assert statuses[-1] == 200  # ...and ended
        assert pid_of("services.pitch", mesh) != old_pid


def test_stopping_the_gateway_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    hum = encode(
        synthesize_hum(hum_notes(range(60, 84), note_duration_s=0.6), 16_000), 16_000, "wav"
    )
    with running_mesh(["pitch", "lyrics", "synth", "studio"], tmp_path) as mesh:
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(
                http,
                mesh,
                "POST",
                "/melody-to-vocals",
                body=hum,
                headers={"Content-Type": "audio/wav"},
            )
            time.sleep(0.3)  # the upload has reached the studio
            os.kill(pid_of("gateway", mesh), signal.SIGTERM)
            status, _, body = in_flight.result(timeout=60)
        assert status == 200, body[:300]
        assert json.loads(body)["audio_duration_s"] > 10


def test_takes_are_rate_limited_per_minute_at_the_gateway(tmp_path: Path) -> None:
    with running_mesh(
        ["pitch", "lyrics", "synth", "studio"], tmp_path, {"GATEWAY_VOCALS_PER_MINUTE": "2"}
    ) as mesh:

        def post_not_audio(path: str) -> tuple[int, dict[str, str]]:
            status, headers, _ = http(
                mesh, "POST", path, body=b"not audio", headers={"Content-Type": "audio/wav"}
            )
            return status, headers

        statuses = [post_not_audio("/melody-to-vocals")[0] for _ in range(2)]
        assert statuses == [400, 400]  # refused uploads count too: the work was asked
        status, headers = post_not_audio("/v1/melody-to-vocals:stream")
        assert status == 429
        assert headers["retry-after"] == "30"  # one take back every 60 / 2 s
        assert post_not_audio("/v1/melody:extract")[0] == 400  # other calls are not limited

        def upload() -> Iterator[studio_pb2.MelodyToVocalsRequest]:
            yield studio_pb2.MelodyToVocalsRequest(audio_chunk=b"not audio")

        # gRPC takes draw on the same bucket.
        with grpc.insecure_channel(mesh.gateway_target) as channel:
            stub = studio_pb2_grpc.StudioServiceStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                list(stub.MelodyToVocals(upload(), timeout=30))
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
