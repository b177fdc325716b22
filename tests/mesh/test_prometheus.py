"""A real Prometheus (Debian's) scrapes every service and Envoy with monitoring/'s config."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import METRICS_PORT_OFFSET, REPO_ROOT, SERVICE_NAMES, Mesh, free_port
from tests.support.rest import http

MONITORING = REPO_ROOT / "monitoring"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package prometheus; `make install`)")
    return path


def test_the_config_and_every_alert_rule_are_valid() -> None:
    checked = subprocess.run(
        [tool("promtool"), "check", "config", str(MONITORING / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_example_alert_fires_on_the_series_meant_to_trigger_it() -> None:
    tested = subprocess.run(
        [tool("promtool"), "test", "rules", "alerts.test.yml"],
        cwd=MONITORING,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def metrics_address(mesh: Mesh, service: str) -> str:
    """Where the test mesh serves ``service``'s metrics (the gateway's: Envoy's)."""
    address = mesh.gateway_target if service == "gateway" else mesh.addresses[service]
    host, port = address.rsplit(":", 1)
    return f"{host}:{int(port) + METRICS_PORT_OFFSET}"


@pytest.fixture(scope="module")
def prometheus(mesh: Mesh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus on the checked-in config, pointed at the test mesh, scraping every second."""
    binary = tool("prometheus")
    directory = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            group["targets"] = [metrics_address(mesh, group["labels"]["service"])]
    (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(MONITORING / "alerts.yml", directory / "alerts.yml")
    address = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address={address}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://{address}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def api(prometheus: str, path: str, **parameters: str) -> Any:
    query = f"?{urllib.parse.urlencode(parameters)}" if parameters else ""
    with urllib.request.urlopen(f"{prometheus}/api/v1/{path}{query}", timeout=10) as reply:
        answer = json.loads(reply.read())
    assert answer["status"] == "success", answer
    return answer["data"]


def eventually(check: Any, timeout_s: float = 60) -> Any:
    """The first truthy result of ``check()`` (Prometheus may be starting or scraping)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, AssertionError) as error:
            last_error = error
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout_s} s (last error: {last_error})")


def test_prometheus_scrapes_every_service_and_envoy(mesh: Mesh, prometheus: str) -> None:
    def all_up() -> dict[str, str]:
        targets = api(prometheus, "targets")["activeTargets"]
        health = {target["labels"]["service"]: target["health"] for target in targets}
        return health if set(health.values()) == {"up"} else {}

    health = eventually(all_up)
    assert set(health) == {*SERVICE_NAMES, "gateway"}


def test_the_metrics_that_matter_are_there(mesh: Mesh, prometheus: str) -> None:
    hum = encode(synthesize_hum(hum_notes([60, 62, 64, 65, 67]), 16_000), 16_000, "wav")
    status, _, body = http(
        mesh, "POST", "/melody-to-vocals", body=hum, headers={"Content-Type": "audio/wav"}
    )
    assert status == 200, body[:300]

    def series(query: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = api(prometheus, "query", query=query)["result"]
        return result

    # Request rate, errors and latency per RPC, from every service.
    handled = eventually(lambda: series('grpc_server_handled_total{grpc_method="CreateTake"}'))
    assert handled[0]["metric"]["service"] == "studio"
    assert eventually(
        lambda: series('grpc_server_handling_seconds_count{grpc_method="ExtractMelody"}')
    )
    # Stage durations of takes, the training queue's depth, the door's own counts.
    stages = eventually(lambda: series("studio_stage_seconds_count"))
    assert {"pitch", "lyrics", "synth", "store", "total"} <= {s["metric"]["stage"] for s in stages}
    assert eventually(lambda: series('training_jobs{status="queued"}'))
    assert eventually(
        lambda: series('envoy_http_downstream_rq_xx{envoy_http_conn_manager_prefix="gateway"}')
    )
    assert eventually(
        lambda: series('envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="studio"}')
    )

    def rules_evaluated() -> list[dict[str, Any]]:
        groups = api(prometheus, "rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return (
            rules if all(rule.get("lastEvaluation", "").startswith("2") for rule in rules) else []
        )

    rules = eventually(rules_evaluated)
    assert len(rules) == 8
    assert {rule["health"] for rule in rules} == {"ok"}, [r.get("lastError") for r in rules]
