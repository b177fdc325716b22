"""The supervisor keeps the mesh alive: a crashed service is restarted and health recovers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.mesh.test_gateway import http
from tests.support.mesh import Mesh, running_mesh


def pid_of(service: str, mesh: Mesh) -> int:
    """The process running ``python -m services.<service>`` for this mesh."""
    address = mesh.addresses[service].encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"services.{service}".encode() in command and (
            f"{service.upper()}_ADDRESS=".encode() + address in environment
        ):
            return int(entry.name)
    raise LookupError(f"no {service} process for {mesh.addresses[service]}")


def test_a_killed_service_is_restarted_and_health_turns_green_again(tmp_path: Path) -> None:
    with running_mesh(["pitch", "studio"], tmp_path) as mesh:
        old_pid = pid_of("pitch", mesh)
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
        assert pid_of("pitch", mesh) != old_pid
