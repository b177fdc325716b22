"""Who may call: client API keys at the gateway, reloaded from their file while it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import REPO_ROOT, Mesh, running_mesh
from tests.support.rest import http

ALICE_KEY = "alice-3b1f0c2d9e8a7b6c5d4e"
BOB_KEY = "bob-9a8b7c6d5e4f3a2b1c0d"
CAROL_KEY = "carol-0f1e2d3c4b5a69788796"
NO_SUCH_TAKE = "/v1/takes/" + "0" * 32


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "api-keys"
    path.write_text(f"# test clients\nalice={ALICE_KEY}\nbob={BOB_KEY}\n")
    return path


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs") / "mesh.log"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def keyed_mesh(data_dir: Path, key_file: Path, log_path: Path) -> Iterator[Mesh]:
    environment = {"GATEWAY_API_KEYS_FILE": str(key_file), "LOG_LEVEL": "INFO"}
    with running_mesh(
        ["pitch", "lyrics", "synth", "studio"], data_dir, environment, log_path
    ) as mesh:
        yield mesh


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    return encode(synthesize_hum(hum_notes([60, 62, 64, 65]), 16_000), 16_000, "wav")


def extract(mesh: Mesh, hum_wav: bytes, headers: dict[str, str]) -> int:
    status, _, _ = http(
        mesh,
        "POST",
        "/v1/melody:extract",
        body=hum_wav,
        headers={"Content-Type": "audio/wav"} | headers,
    )
    return status


def test_calls_need_a_key_and_probes_do_not(keyed_mesh: Mesh, hum_wav: bytes) -> None:
    assert extract(keyed_mesh, hum_wav, {}) == 401
    assert extract(keyed_mesh, hum_wav, {"x-api-key": "not-a-key-0123456789"}) == 401
    assert extract(keyed_mesh, hum_wav, {"x-api-key": ALICE_KEY}) == 200
    assert extract(keyed_mesh, hum_wav, {"Authorization": f"Bearer {BOB_KEY}"}) == 200
    assert http(keyed_mesh, "GET", "/health")[0] == 200
    # An uptime monitor sends HEAD.
    for path in ("/", "/health"):
        assert http(keyed_mesh, "HEAD", path)[0] == 200, path
    with grpc.insecure_channel(keyed_mesh.gateway_target) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    assert response.status in (
        health_pb2.HealthCheckResponse.SERVING,
        health_pb2.HealthCheckResponse.NOT_SERVING,
    )


def take(mesh: Mesh, hum_wav: bytes, key: str, idempotency_key: str = "") -> dict[str, Any]:
    headers = {"Content-Type": "audio/wav", "x-api-key": key}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    status, _, body = http(mesh, "POST", "/melody-to-vocals", body=hum_wav, headers=headers)
    assert status == 200, body[:300]
    return dict(json.loads(body))


def take_directories(data_dir: Path) -> set[str]:
    takes = data_dir / "artifacts" / "takes"
    return {path.name for path in takes.iterdir()} if takes.exists() else set()


def test_a_retried_upload_with_an_idempotency_key_makes_one_take(
    keyed_mesh: Mesh, hum_wav: bytes, data_dir: Path
) -> None:
    before = take_directories(data_dir)
    first = take(keyed_mesh, hum_wav, ALICE_KEY, idempotency_key="alice-upload-1")
    again = take(keyed_mesh, hum_wav, ALICE_KEY, idempotency_key="alice-upload-1")
    assert again["take_id"] == first["take_id"]
    assert take_directories(data_dir) - before == {first["take_id"]}

    def upload() -> Iterator[studio_pb2.MelodyToVocalsRequest]:
        yield studio_pb2.MelodyToVocalsRequest(options=studio_pb2.VocalsOptions())
        yield studio_pb2.MelodyToVocalsRequest(audio_chunk=hum_wav)

    metadata = (("x-api-key", ALICE_KEY), ("idempotency-key", "alice-upload-1"))
    with grpc.insecure_channel(keyed_mesh.gateway_target) as channel:
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        events = list(stub.MelodyToVocals(upload(), timeout=120, metadata=metadata))
    assert events[-1].take.take_id == first["take_id"]  # the gRPC twin: same key, same take
    # The same key for another recording is a client's mistake, not a new take.
    status, _, body = http(
        keyed_mesh,
        "POST",
        "/melody-to-vocals?theme=other",
        body=hum_wav,
        headers={
            "Content-Type": "audio/wav",
            "x-api-key": ALICE_KEY,
            "Idempotency-Key": "alice-upload-1",
        },
    )
    assert status == 400 and "different request" in json.loads(body)["message"]


def test_a_take_is_its_makers_alone_and_deleting_it_removes_its_files(
    keyed_mesh: Mesh, hum_wav: bytes, data_dir: Path
) -> None:
    alices = take(keyed_mesh, hum_wav, ALICE_KEY)
    take_id = alices["take_id"]
    assert alices["owner"] == "alice"
    assert (data_dir / "artifacts" / "takes" / take_id / "recording").exists()
    as_alice = {"x-api-key": ALICE_KEY}
    # Bob cannot see, list, hear, download or delete it, even claiming to be Alice.
    as_bob = {"x-api-key": BOB_KEY, "x-client-name": "alice"}
    for method, path in (
        ("GET", f"/v1/takes/{take_id}"),
        ("GET", f"/v1/takes/{take_id}/audio"),
        ("GET", f"/v1/takes/{take_id}/recording"),
        ("GET", f"/v1/takes/{take_id}/midi"),
        ("DELETE", f"/v1/takes/{take_id}"),
    ):
        assert http(keyed_mesh, method, path, headers=as_bob)[0] == 404, path
    status, _, body = http(keyed_mesh, "GET", "/v1/takes?page_size=100", headers=as_bob)
    assert take_id not in {listed["take_id"] for listed in json.loads(body)["takes"]}
    status, _, body = http(keyed_mesh, "GET", "/v1/takes?page_size=100", headers=as_alice)
    assert take_id in {listed["take_id"] for listed in json.loads(body)["takes"]}

    status, _, body = http(keyed_mesh, "DELETE", f"/v1/takes/{take_id}", headers=as_alice)
    assert status == 200, body[:300]
    assert json.loads(body)["deleted_files"] >= 3  # record, sung audio, recording
    assert not (data_dir / "artifacts" / "takes" / take_id).exists()
    assert http(keyed_mesh, "GET", f"/v1/takes/{take_id}", headers=as_alice)[0] == 404


def test_a_changed_key_file_applies_within_10_s_without_dropping_a_request(
    keyed_mesh: Mesh, key_file: Path, hum_wav: bytes
) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def keep_calling_as_bob() -> None:
        while not stop.is_set():
            status, _, _ = http(keyed_mesh, "GET", NO_SUCH_TAKE, headers={"x-api-key": BOB_KEY})
            statuses.append(status)

    caller = threading.Thread(target=keep_calling_as_bob)
    caller.start()
    try:
        key_file.write_text(f"bob={BOB_KEY}\ncarol={CAROL_KEY}\n")
        changed = time.monotonic()
        while extract(keyed_mesh, hum_wav, {"x-api-key": CAROL_KEY}) != 200:
            assert time.monotonic() - changed < 10, "the new key was not accepted within 10 s"
            time.sleep(0.2)
        assert extract(keyed_mesh, hum_wav, {"x-api-key": ALICE_KEY}) == 401
    finally:
        stop.set()
        caller.join()
    # The studio's answer each time, never a 401 or a dropped connection.
    assert statuses and set(statuses) == {404}


def test_no_key_reaches_the_logs(keyed_mesh: Mesh, log_path: Path, hum_wav: bytes) -> None:
    extract(keyed_mesh, hum_wav, {"x-api-key": "wrong-key-0123456789abc"})
    log = log_path.read_text()
    assert "API keys required: 2 clients" in log
    for key in (ALICE_KEY, BOB_KEY, CAROL_KEY, "wrong-key-0123456789abc"):
        assert key not in log


def test_a_gateway_that_requires_keys_does_not_start_without_them(tmp_path: Path) -> None:
    environment = os.environ | {
        "GATEWAY_REQUIRE_API_KEYS": "true",
        "GATEWAY_API_KEYS_FILE": "",
        "GATEWAY_CONFIG_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateway"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GATEWAY_REQUIRE_API_KEYS is set but GATEWAY_API_KEYS_FILE is not" in result.stderr
