"""Operating the mesh: crashes are restarted, stops drain, the gateway limits the load."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import METRICS_PORT_OFFSET, Mesh, pid_of, running_mesh
from tests.support.rest import http


def test_a_killed_service_is_restarted_and_health_turns_green_again(tmp_path: Path) -> None:
    with (
        running_mesh(["pitch", "studio"], tmp_path) as mesh,
        grpc.insecure_channel(mesh.gateway_target) as channel,
    ):
        stub = health_pb2_grpc.HealthStub(channel)
        pitch = health_pb2.HealthCheckRequest(service="expertmusic.pitch.v1.PitchService")
        watch = stub.Watch(pitch, timeout=60)
        while next(watch).status != health_pb2.HealthCheckResponse.SERVING:
            pass
        old_pid = pid_of("services.pitch", mesh)
        os.kill(old_pid, signal.SIGKILL)
        killed = time.monotonic()

        # gRPC watchers at the gateway hear of it at once, and of the recovery.
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert time.monotonic() - killed < 1
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()

        deadline = time.monotonic() + 60
        statuses = []
        while time.monotonic() < deadline:
            status, _, _ = http(mesh, "GET", "/health")
            statuses.append(status)
            if status == 200:
                break
            time.sleep(0.1)
        assert statuses[-1] == 200
        assert pid_of("services.pitch", mesh) != old_pid


def test_a_service_that_stays_down_fails_a_take_at_once_as_unavailable(tmp_path: Path) -> None:
    hum = encode(synthesize_hum(hum_notes([60, 62, 64]), 16_000), 16_000, "wav")
    with running_mesh(["pitch", "studio"], tmp_path, {"STUDIO_RESTART_WAIT_S": "2"}) as mesh:
        # Pitch stays down: its supervisor is paused, so nothing restarts it.
        supervisor = pid_of("services.supervisor", mesh)
        os.kill(supervisor, signal.SIGSTOP)
        try:
            os.kill(pid_of("services.pitch", mesh), signal.SIGKILL)

            def post_hum() -> tuple[int, Any]:
                status, _, body = http(
                    mesh,
                    "POST",
                    "/melody-to-vocals",
                    body=hum,
                    headers={"Content-Type": "audio/wav"},
                )
                return status, json.loads(body)

            # The first take may find the connection to pitch just broken (503 at once);
            # a later one waits STUDIO_RESTART_WAIT_S for pitch, then gives up.
            assert post_hum()[0] == 503
            status, error = post_hum()
            assert status == 503, error
            assert error["code"] == grpc.StatusCode.UNAVAILABLE.value[0]
            assert error["message"].startswith("the pitch service is not reachable (waited 2 s")

            status, _, body = http(mesh, "GET", "/health")
            assert status == 503
            assert "not serving: pitch" in json.loads(body)["message"]
        finally:
            os.kill(supervisor, signal.SIGCONT)


def wait_until_the_gateway_has_requests_in_flight(mesh: Mesh, timeout_s: float = 30) -> None:
    """Until Envoy counts a request upstream (a fixed sleep is too short on a busy machine)."""
    stat = "cluster.studio.upstream_rq_active"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{mesh.admin_url}/stats?filter=^{stat}$", timeout=5) as reply:
            if any(line.strip() != f"{stat}: 0" for line in reply.read().decode().splitlines()):
                return
        time.sleep(0.02)
    raise TimeoutError("the request never reached the studio")


def wait_until_the_studio_is_making_a_take(mesh: Mesh, timeout_s: float = 30) -> None:
    """Until the studio's metrics count a take running (the gateway's count of requests in
    flight comes earlier: a second request could still overtake the first to the studio)."""
    studio_port = int(mesh.addresses["studio"].rsplit(":", 1)[1])
    metrics_url = f"http://127.0.0.1:{studio_port + METRICS_PORT_OFFSET}/metrics"
    running = 'studio_takes_in_progress{state="running"} 1.0'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with urllib.request.urlopen(metrics_url, timeout=5) as reply:
            if running in reply.read().decode().splitlines():
                return
        time.sleep(0.02)
    raise TimeoutError("the studio never started the take")


def test_stopping_the_gateway_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    hum = encode(
        synthesize_hum(hum_notes(range(60, 84), note_duration_s=0.6), 16_000), 16_000, "wav"
    )
    # A drain longer than the take, however busy the machine (the default is 20 s).
    drain = {"GATEWAY_DRAIN_TIMEOUT_S": "180"}
    with running_mesh(["pitch", "lyrics", "synth", "studio"], tmp_path, drain) as mesh:
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(
                http,
                mesh,
                "POST",
                "/melody-to-vocals",
                body=hum,
                headers={"Content-Type": "audio/wav"},
            )
            wait_until_the_gateway_has_requests_in_flight(mesh)
            os.kill(pid_of("gateway", mesh), signal.SIGTERM)
            status, _, body = in_flight.result(timeout=200)
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


def test_a_full_studio_refuses_takes_at_once_with_a_retry_after(tmp_path: Path) -> None:
    # About a minute of humming: the take in flight must outlast both refusals (a 14 s hum
    # was once sung before the second request reached the studio).
    hum = encode(
        synthesize_hum(hum_notes(list(range(60, 84)) * 4, note_duration_s=0.6), 16_000),
        16_000,
        "wav",
    )
    full_after_one = {"STUDIO_TAKES_RUNNING": "1", "STUDIO_TAKES_WAITING": "0"}
    with (
        running_mesh(["pitch", "lyrics", "synth", "studio"], tmp_path, full_after_one) as mesh,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        in_flight = pool.submit(
            http,
            mesh,
            "POST",
            "/melody-to-vocals",
            body=hum,
            headers={"Content-Type": "audio/wav"},
        )
        wait_until_the_studio_is_making_a_take(mesh)
        started = time.monotonic()
        status, headers, body = http(
            mesh, "POST", "/melody-to-vocals", body=hum, headers={"Content-Type": "audio/wav"}
        )
        assert status == 429, body[:300]
        assert int(headers["retry-after"]) >= 1
        assert json.loads(body)["code"] == 8
        assert "the studio is busy" in json.loads(body)["message"]

        def upload() -> Iterator[studio_pb2.MelodyToVocalsRequest]:
            yield studio_pb2.MelodyToVocalsRequest(audio_chunk=hum)

        with grpc.insecure_channel(mesh.gateway_target) as channel:
            stub = studio_pb2_grpc.StudioServiceStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                list(stub.MelodyToVocals(upload(), timeout=30))
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        call: Any = raised.value
        trailers = {key: value for key, value in call.trailing_metadata() or ()}
        assert int(trailers["retry-after"]) >= 1
        assert time.monotonic() - started < 10  # refused, not queued behind the take
        assert in_flight.result(timeout=200)[0] == 200
