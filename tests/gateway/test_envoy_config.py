"""The gateway's Envoy configuration, checked by Envoy itself and by calls to a lone Envoy.

The services behind it are down (or a recording stand-in), so these tests show what the
gateway answers on its own: unknown calls, missing keys, limits, unreachable services.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc

from gateway.config import (
    SECURITY_HEADERS,
    VOCALS_REST_PATHS,
    envoy_config,
    vocals_fill_interval_s,
)
from gateway.keys import ApiKey, write_discovery_file
from services.common.callers import CLIENT_NAME_METADATA_KEY
from services.common.uploads import FORM_FIELDS_ALLOWANCE_BYTES
from tests.gateway.envoy import LoneEnvoy, lone_envoy, lone_envoy_settings, validate

ALICE = ApiKey("alice", "alice-key-0123456789")
BOB = ApiKey("bob", "bob-key-0123456789abc")


def call(
    envoy: LoneEnvoy, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        envoy.base_url + path,
        method=method,
        headers=headers or {},
        data=b"not audio" if method == "POST" else None,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def grpc_error(
    envoy: LoneEnvoy, method: str, metadata: tuple[tuple[str, str], ...] = ()
) -> grpc.RpcError:
    with grpc.insecure_channel(envoy.target) as channel, pytest.raises(grpc.RpcError) as raised:
        channel.unary_unary(method, None, None)(b"", timeout=5, metadata=metadata)
    return raised.value


@pytest.mark.parametrize("with_keys", [False, True])
def test_envoy_accepts_the_rendered_configuration(tmp_path: Path, with_keys: bool) -> None:
    settings = lone_envoy_settings(METRICS_PORT_OFFSET="1000")
    discovery_file = None
    if with_keys:
        discovery_file = tmp_path / "keys" / "api_keys.yaml"
        write_discovery_file([ALICE], discovery_file)
    result = validate(envoy_config(settings, api_keys_discovery_file=discovery_file), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "deprecated" not in result.stderr.lower()


def test_takes_refill_one_at_a_time_and_say_when_to_retry() -> None:
    assert vocals_fill_interval_s(120) == 0.5
    assert vocals_fill_interval_s(2) == 30
    assert vocals_fill_interval_s(100_000) == 0.05


@pytest.fixture(scope="module")
def open_envoy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoneEnvoy]:
    with lone_envoy(tmp_path_factory.mktemp("open"), lone_envoy_settings()) as envoy:
        yield envoy


def test_an_unknown_grpc_method_is_unimplemented_at_once(open_envoy: LoneEnvoy) -> None:
    started = time.monotonic()
    error = grpc_error(open_envoy, "/foo.v1.Nothing/Here")
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED
    assert "/foo.v1.Nothing/Here" in (error.details() or "")
    assert time.monotonic() - started < 1


def test_a_grpc_stream_to_an_unknown_service_is_not_buffered_forever(
    open_envoy: LoneEnvoy,
) -> None:
    """A client stream that never half-closes (reflection, uploads) still gets its answer."""
    with grpc.insecure_channel(open_envoy.target) as channel:
        stream = channel.stream_stream("/foo.v1.Nothing/Stream", None, None)(
            iter(lambda: b"", None), timeout=5
        )
        with pytest.raises(grpc.RpcError) as raised:
            next(iter(stream))
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_an_unknown_rest_path_is_a_json_404_with_the_security_headers(
    open_envoy: LoneEnvoy,
) -> None:
    status, headers, body = call(open_envoy, "GET", "/no/such/thing")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "code": 5,
        "message": "Could not resolve /no/such/thing to a method.",
    }
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "server" not in headers and not any(name.startswith("x-envoy") for name in headers)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/lyrics:write", "POST"),
        ("PUT", "/v1/takes/0123456789abcdef0123456789abcdef:revise", "POST"),
        ("POST", "/v1/voices?engine=local", "GET, HEAD"),  # HEAD works wherever GET does
        ("POST", "/v1/models/abc", "DELETE, GET, HEAD"),
    ],
)
def test_a_path_called_with_the_wrong_method_is_a_405_naming_the_right_ones(
    open_envoy: LoneEnvoy, method: str, path: str, allowed: str
) -> None:
    status, headers, body = call(open_envoy, method, path)
    assert status == 405
    assert headers["allow"] == allowed
    answer = json.loads(body)
    assert answer["code"] == 12
    assert answer["message"] == (
        f"{path.split('?')[0]} is called with {allowed.replace(', ', ' or ')}, not with {method}"
    )


def test_head_on_a_path_that_takes_no_get_is_a_405_without_a_body(open_envoy: LoneEnvoy) -> None:
    status, headers, body = call(open_envoy, "HEAD", "/v1/lyrics:write")
    assert (status, headers["allow"], body) == (405, "POST", b"")


def test_head_on_a_path_that_takes_get_is_answered_as_its_get_without_a_body(
    open_envoy: LoneEnvoy,
) -> None:
    # The synth is down here: the HEAD reached it as a GET (a 503), not a 404.
    status, headers, body = call(open_envoy, "HEAD", "/v1/voices")
    assert (status, body) == (503, b"")
    assert headers["content-type"] == "application/json"


def test_a_service_that_is_down_is_named_over_rest_and_grpc(open_envoy: LoneEnvoy) -> None:
    status, _headers, body = call(open_envoy, "GET", "/v1/voices")
    assert status == 503
    answer = json.loads(body)
    assert answer["code"] == 14
    assert answer["message"].startswith("the synth service is unavailable")

    error = grpc_error(open_envoy, "/expertmusic.pitch.v1.PitchService/UploadMelody")
    assert error.code() is grpc.StatusCode.UNAVAILABLE
    assert (error.details() or "").startswith("the pitch service is unavailable")


def test_health_and_reflection_go_to_the_gateway_not_to_a_service(open_envoy: LoneEnvoy) -> None:
    for method in (
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ):
        error = grpc_error(open_envoy, method)
        assert error.code() is grpc.StatusCode.UNAVAILABLE
        assert "gateway_local" in (error.details() or "")


class RecordingPitch(pitch_pb2_grpc.PitchServiceServicer):
    """A stand-in pitch service that remembers the metadata of each call."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []

    def UploadMelody(  # noqa: N802 - the gRPC method name
        self, request: pitch_pb2.UploadMelodyRequest, context: grpc.ServicerContext
    ) -> pitch_pb2.UploadMelodyResponse:
        self.metadata.append({key: str(value) for key, value in context.invocation_metadata()})
        return pitch_pb2.UploadMelodyResponse()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoneEnvoy, RecordingPitch]]:
    settings = lone_envoy_settings(GATEWAY_VOCALS_PER_MINUTE="2")
    pitch = RecordingPitch()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pitch_pb2_grpc.add_PitchServiceServicer_to_server(pitch, server)
    server.add_insecure_port(settings.pitch_address)
    server.start()
    try:
        with lone_envoy(tmp_path_factory.mktemp("keyed"), settings, [ALICE, BOB]) as envoy:
            yield envoy, pitch
    finally:
        server.stop(0)


def upload_melody(envoy: LoneEnvoy, metadata: tuple[tuple[str, str], ...]) -> None:
    with grpc.insecure_channel(envoy.target) as channel:
        pitch_pb2_grpc.PitchServiceStub(channel).UploadMelody(
            pitch_pb2.UploadMelodyRequest(), timeout=5, metadata=metadata
        )


def test_no_key_or_a_wrong_key_is_refused_with_401_and_unauthenticated(
    keyed: tuple[LoneEnvoy, RecordingPitch],
) -> None:
    envoy, pitch = keyed
    for headers in ({}, {"x-api-key": "wrong-key-0123456789"}, {"Authorization": "Bearer x"}):
        status, reply_headers, body = call(envoy, "GET", "/v1/voices", headers)
        assert status == 401
        assert reply_headers["www-authenticate"] == "Bearer"
        answer = json.loads(body)
        assert answer["code"] == 16
        assert "Authorization: Bearer <key>" in answer["message"]
    error = grpc_error(envoy, "/expertmusic.pitch.v1.PitchService/UploadMelody")
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert not pitch.metadata or all(
        metadata.get(CLIENT_NAME_METADATA_KEY) for metadata in pitch.metadata
    )


def test_services_get_the_client_name_and_never_the_key(
    keyed: tuple[LoneEnvoy, RecordingPitch],
) -> None:
    envoy, pitch = keyed
    pitch.metadata.clear()
    upload_melody(envoy, (("authorization", f"Bearer {ALICE.key}"),))
    upload_melody(envoy, (("x-api-key", BOB.key), (CLIENT_NAME_METADATA_KEY, "alice")))
    assert [metadata[CLIENT_NAME_METADATA_KEY] for metadata in pitch.metadata] == [
        "alice",
        "bob",
    ]
    for metadata in pitch.metadata:
        assert "authorization" not in metadata and "x-api-key" not in metadata
        assert ALICE.key not in str(metadata) and BOB.key not in str(metadata)


def test_probes_and_preflights_need_no_key(keyed: tuple[LoneEnvoy, RecordingPitch]) -> None:
    envoy, _ = keyed
    assert call(envoy, "GET", "/health")[0] == 503  # reached the (absent) studio
    assert call(envoy, "GET", "/")[0] == 503
    # The page's files too (the page sends the user's key with its API calls).
    assert call(envoy, "GET", "/studio")[0] == 503  # reached the (absent) web service
    assert call(envoy, "GET", "/studio/js/api.js")[0] == 503
    assert call(envoy, "GET", "/v1/takes")[0] == 401
    error = grpc_error(envoy, "/grpc.health.v1.Health/Check")
    assert error.code() is grpc.StatusCode.UNAVAILABLE
    preflight = {
        "Origin": "http://localhost:5173",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, idempotency-key",
    }
    status, headers, _ = call(envoy, "OPTIONS", "/melody-to-vocals", preflight)
    assert status == 200
    assert headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "authorization" in headers["access-control-allow-headers"]


def test_each_key_has_its_own_take_limit_with_a_retry_after(
    keyed: tuple[LoneEnvoy, RecordingPitch],
) -> None:
    envoy, _ = keyed
    alice = {"x-api-key": ALICE.key, "Content-Type": "audio/wav"}
    statuses = [call(envoy, "POST", VOCALS_REST_PATHS[0], alice) for _ in range(3)]
    assert [status for status, _, _ in statuses] == [503, 503, 429]
    _status, headers, body = statuses[-1]
    assert headers["retry-after"] == "30"
    assert json.loads(body) == {
        "code": 8,
        "message": "too many takes: each client key may start 2 a minute (new takes and "
        "revisions together); try again in 30 s",
    }
    # Bob's bucket is untouched by Alice's takes.
    bob = {"x-api-key": BOB.key, "Content-Type": "audio/wav"}
    assert call(envoy, "POST", VOCALS_REST_PATHS[1], bob)[0] == 503

    def upload() -> Iterator[studio_pb2.MelodyToVocalsRequest]:
        yield studio_pb2.MelodyToVocalsRequest(audio_chunk=b"not audio")

    with grpc.insecure_channel(envoy.target) as channel:
        stub = studio_pb2_grpc.StudioServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            list(stub.MelodyToVocals(upload(), timeout=5, metadata=(("x-api-key", ALICE.key),)))
    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.details() == json.loads(body)["message"]


def test_new_keys_apply_to_the_next_request_without_a_restart(
    keyed: tuple[LoneEnvoy, RecordingPitch],
) -> None:
    envoy, pitch = keyed
    assert envoy.discovery_file is not None
    carol = ApiKey("carol", "carol-key-0123456789")
    failures: list[Any] = []
    stop = threading.Event()

    def keep_calling_as_bob() -> None:
        while not stop.is_set():
            try:
                upload_melody(envoy, (("x-api-key", BOB.key),))
            except grpc.RpcError as error:  # pragma: no cover - what the test forbids
                failures.append(error.code())

    caller = threading.Thread(target=keep_calling_as_bob)
    caller.start()
    try:
        write_discovery_file([BOB, carol], envoy.discovery_file)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                upload_melody(envoy, (("x-api-key", carol.key),))
                break
            except grpc.RpcError:
                time.sleep(0.05)
        else:
            pytest.fail("the new key was not accepted within 10 s")
        error = grpc_error(
            envoy, "/expertmusic.pitch.v1.PitchService/UploadMelody", (("x-api-key", ALICE.key),)
        )
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    finally:
        stop.set()
        caller.join()
        write_discovery_file([ALICE, BOB], envoy.discovery_file)
    assert failures == []
    assert pitch.metadata[-1][CLIENT_NAME_METADATA_KEY] in {"bob", "carol"}


def test_a_call_that_finds_its_service_restarting_is_tried_again(tmp_path: Path) -> None:
    """Connection refused means the call was never delivered: Envoy retries it a while."""
    settings = lone_envoy_settings(GATEWAY_RESTART_WAIT_S="5")
    pitch = RecordingPitch()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pitch_pb2_grpc.add_PitchServiceServicer_to_server(pitch, server)
    server.add_insecure_port(settings.pitch_address)
    with lone_envoy(tmp_path, settings) as envoy:
        starting = threading.Timer(1.5, server.start)  # the supervisor restarting it
        starting.start()
        try:
            # Several callers at once: each waits, none is refused for "too many retries".
            with futures.ThreadPoolExecutor(max_workers=6) as callers:
                list(callers.map(lambda _: upload_melody(envoy, ()), range(6)))
            assert len(pitch.metadata) == 6
        finally:
            starting.join()
            server.stop(0)


def test_the_metrics_port_serves_envoys_metrics_and_no_other_admin_page(
    tmp_path: Path,
) -> None:
    settings = lone_envoy_settings(METRICS_PORT_OFFSET="1000")
    with lone_envoy(tmp_path, settings):
        metrics_url = f"http://127.0.0.1:{settings.gateway_metrics_port}"
        with urllib.request.urlopen(f"{metrics_url}/metrics", timeout=10) as reply:
            assert b"envoy_http_downstream_rq_total" in reply.read()
        for method, path in (("GET", "/stats"), ("POST", "/quitquitquit"), ("GET", "/")):
            request = urllib.request.Request(metrics_url + path, method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 404, path


def test_revisions_draw_on_the_same_take_limit(tmp_path: Path) -> None:
    settings = lone_envoy_settings(GATEWAY_VOCALS_PER_MINUTE="2")
    with lone_envoy(tmp_path, settings) as envoy:
        take_id = "0" * 32
        statuses = [
            call(
                envoy, "POST", f"/v1/takes/{take_id}:revise", {"Content-Type": "application/json"}
            )[::2],
            call(envoy, "POST", "/melody-to-vocals", {"Content-Type": "audio/wav"})[::2],
            call(
                envoy,
                "POST",
                f"/v1/takes/{take_id}:streamRevise",
                {"Content-Type": "application/json"},
            )[::2],
        ]
        # Not JSON (400), studio down (503): each still asked for a take; the third is over.
        assert [status for status, _ in statuses] == [400, 503, 429]
        assert json.loads(statuses[-1][1])["message"] == (
            "too many takes: this gateway starts, for all its callers, 2 a minute (new takes "
            "and revisions together); try again in 30 s"
        )
        assert call(envoy, "GET", f"/v1/takes/{take_id}")[0] == 503  # reading is not a take


class BusyStudio(studio_pb2_grpc.StudioServiceServicer):
    """A stand-in studio whose queue of takes is full."""

    def ListTakes(  # noqa: N802 - the gRPC method name
        self, request: studio_pb2.ListTakesRequest, context: grpc.ServicerContext
    ) -> studio_pb2.ListTakesResponse:
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the studio is busy: try again")


def test_a_services_own_429_keeps_its_words(tmp_path: Path) -> None:
    """Only the gateway's take limit is reworded; a busy studio says so itself."""
    settings = lone_envoy_settings(GATEWAY_VOCALS_PER_MINUTE="2")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    studio_pb2_grpc.add_StudioServiceServicer_to_server(BusyStudio(), server)
    server.add_insecure_port(settings.studio_address)
    server.start()
    try:
        with lone_envoy(tmp_path, settings) as envoy:
            status, _, body = call(envoy, "GET", "/v1/takes")
    finally:
        server.stop(0)
    assert status == 429
    assert json.loads(body)["message"] == "the studio is busy: try again"


def post_body(envoy: LoneEnvoy, path: str, content_type: str, size_bytes: int) -> tuple[int, bytes]:
    request = urllib.request.Request(
        envoy.base_url + path,
        method="POST",
        headers={"Content-Type": content_type},
        data=bytes(size_bytes),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_an_upload_one_byte_over_its_limit_is_413_at_the_gateway(tmp_path: Path) -> None:
    """Raw audio is held to MAX_UPLOAD_BYTES exactly; a multipart form gets the allowance
    for its other fields (the studio holds its file to the limit); training sets their own.
    Within the limit the call goes on to its service (down here: 503)."""
    max_audio, max_dataset = 100_000, 300_000
    settings = lone_envoy_settings(
        MAX_UPLOAD_BYTES=str(max_audio), DATASET_MAX_UPLOAD_BYTES=str(max_dataset)
    )
    form = "multipart/form-data; boundary=x"
    with lone_envoy(tmp_path, settings) as envoy:
        for path, content_type, limit in [
            ("/v1/melody:extract", "audio/wav", max_audio),
            ("/melody-to-vocals", "audio/flac", max_audio),
            ("/melody-to-vocals", form, max_audio + FORM_FIELDS_ALLOWANCE_BYTES),
            ("/v1/melody-to-vocals:stream", form, max_audio + FORM_FIELDS_ALLOWANCE_BYTES),
            ("/v1/datasets", "application/zip", max_dataset),
        ]:
            within, over = (
                post_body(envoy, path, content_type, size) for size in (limit, limit + 1)
            )
            assert (within[0], over[0]) == (503, 413), (path, content_type)
        answer = json.loads(over[1])
    assert answer == {
        "code": 8,
        "message": "the upload is larger than the gateway takes: 100000 bytes of audio "
        "(131072 more for the other fields of a multipart form), 300000 bytes for a "
        "training set",
    }
