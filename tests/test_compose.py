"""compose.yaml (the mesh on one machine with Docker) and the Dockerfile's per-service
targets, checked offline against the settings and against each other: no Docker engine
runs here, so what `docker compose config` would check, and more, is checked by reading."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from services.common.settings import SERVICE_PORTS, Settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
GRPC_SERVICES = sorted(SERVICE_PORTS)
#: The catalogue's users share one volume (SQLite file and artifacts).
CATALOGUE_USERS = ("registry", "trainer", "generation")


def dockerfile_stages() -> dict[str, list[str]]:
    """Stage name -> its instructions (one logical line each, continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = stages.setdefault(match.group(1), [])
        current.append(line)
    return stages


def settings_of(service: str) -> Settings:
    """The settings a container computes from its environment (and nothing else)."""
    environment = {key: str(value) for key, value in SERVICES[service]["environment"].items()}
    with mock.patch.dict(os.environ, environment, clear=True):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_compose_runs_every_service_the_trainer_and_the_gateway() -> None:
    assert set(SERVICES) == {*GRPC_SERVICES, "trainer", "gateway"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_container_is_its_own_image_built_from_its_dockerfile_target(name: str) -> None:
    service = SERVICES[name]
    target = service["build"]["target"]
    assert target == name
    image, tag = service["image"].rsplit(":", 1)
    assert image == f"expert-music-ai-{name}" and tag
    stage = dockerfile_stages()[target]
    (command,) = [line for line in stage if line.startswith("CMD ")]
    module = "gateway" if name == "gateway" else f"services.{name}"
    assert command == f'CMD ["python", "-m", "{module}"]'
    # The image carries its own package and the shared library, no other service.
    copied = {
        line.split()[1] for line in stage if line.startswith("COPY ") and "--from" not in line
    }
    package = "gateway" if name == "gateway" else f"services/{name}"
    assert package in copied
    assert not {path for path in copied if path.startswith("services/")} - {package}


def test_every_service_finds_every_other_by_its_compose_name_and_settings_port() -> None:
    for name in SERVICES:
        settings = settings_of(name)
        assert sorted(settings.mesh_services) == GRPC_SERVICES, name
        for other in GRPC_SERVICES:
            host, port = settings.address_of(other).rsplit(":", 1)
            assert host == other and int(port) == SERVICE_PORTS[other], (name, other)


def test_grpc_services_are_healthy_only_when_they_serve() -> None:
    for name in GRPC_SERVICES:
        check = SERVICES[name]["healthcheck"]["test"]
        assert check == ["CMD", "python", "-m", "services.common.healthcheck", name]
    assert "healthcheck" not in SERVICES["trainer"], "it serves no port to check"


def test_the_gateway_is_the_one_door_and_starts_after_the_services() -> None:
    gateway = SERVICES["gateway"]
    port = settings_of("gateway").gateway_port
    assert gateway["ports"] == [f"{port}:{port}"]
    for name, service in SERVICES.items():
        if name != "gateway":
            assert "ports" not in service, name
    assert gateway["depends_on"] == {
        name: {"condition": "service_healthy"} for name in GRPC_SERVICES
    }


def test_the_catalogue_volume_is_shared_by_registry_trainer_and_generation() -> None:
    data_dir = settings_of("registry").data_dir
    mounts = {name: service.get("volumes", []) for name, service in SERVICES.items()}
    for name in CATALOGUE_USERS:
        assert mounts[name] == [f"catalogue:{data_dir}"], name
    assert mounts["studio"] == [f"takes:{data_dir}"]
    assert set(COMPOSE["volumes"]) == {"catalogue", "takes"}
    for name, service in SERVICES.items():
        # A read-only root: the data directory is a volume or memory, never the image.
        assert service["read_only"] is True, name
        assert bool(mounts[name]) != (str(data_dir) in service["tmpfs"]), name
        assert "/tmp" in service["tmpfs"], name


def test_the_trainer_waits_for_the_registry_and_has_time_to_hand_its_job_back() -> None:
    trainer = SERVICES["trainer"]
    assert trainer["depends_on"] == {"registry": {"condition": "service_healthy"}}
    grace_s = float(trainer["stop_grace_period"].removesuffix("s"))
    assert grace_s >= settings_of("trainer").registry_lease_s


def test_keys_come_from_an_optional_env_file_never_from_this_file() -> None:
    for name, service in SERVICES.items():
        assert service["env_file"] == [{"path": ".env", "required": False}], name
        assert not {"REPLICATE_API_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"} & set(
            service["environment"]
        ), name


def test_the_dockerfile_builds_every_image_the_manifests_and_compose_name() -> None:
    stages = dockerfile_stages()
    assert {*SERVICES, "pitch-crepe"} <= set(stages)
    # Only the crepe variant of pitch installs torch.
    for name in ("pitch", "pitch-crepe"):
        (install,) = [line for line in stages[f"env-{name}"] if "install-service-env.sh" in line]
        assert ("crepe" in install) == (name == "pitch-crepe")
