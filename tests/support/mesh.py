"""Starts the real mesh (``python -m services.supervisor``) on free ports for a test session."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.common.settings import SERVICE_PORTS

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = tuple(SERVICE_PORTS)


#: Ports for test meshes come from below Linux's ephemeral range (32768+), where the
#: kernel also picks the local ports of outgoing connections: a port chosen there can be
#: taken by a client socket before the service binds it.
TEST_PORT_RANGE = range(20_000, 32_000)


def free_ports(count: int, metrics_offset: int = 0) -> list[int]:
    """``count`` distinct ports that nothing listens on now (held open while choosing).

    With ``metrics_offset``, each port + offset is free too (and still below the
    ephemeral range): a service's metrics port.
    """
    held: list[socket.socket] = []
    candidates = range(TEST_PORT_RANGE.start, TEST_PORT_RANGE.stop - metrics_offset)
    try:
        chosen: list[int] = []
        while len(chosen) < count:
            port = random.choice(candidates)
            if port in chosen or port + metrics_offset in chosen:
                continue
            probes = []
            try:
                for candidate in {port, port + metrics_offset}:
                    probe = socket.socket()
                    probes.append(probe)
                    probe.bind(("127.0.0.1", candidate))
            except OSError:
                for probe in probes:
                    probe.close()
                continue
            held.extend(probes)
            chosen.append(port)
        return chosen
    finally:
        for probe in held:
            probe.close()


def free_port() -> int:
    return free_ports(1)[0]


@dataclass(frozen=True)
class Mesh:
    """Where a running test mesh answers."""

    base_url: str  # http://127.0.0.1:PORT, Envoy: REST and gRPC
    gateway_target: str  # 127.0.0.1:PORT, for gRPC channels through Envoy
    addresses: dict[str, str]  # service name -> 127.0.0.1:PORT (direct gRPC)
    admin_url: str
    environment: dict[str, str]


#: Every test mesh serves metrics, on each port + this offset (as `make up` does).
METRICS_PORT_OFFSET = 1000


def mesh_environment(services: Sequence[str], data_dir: Path) -> dict[str, str]:
    # One choice for all, so that no port is another's metrics port.
    gateway_port, admin_port, local_grpc_port, *service_ports = free_ports(
        3 + len(SERVICE_NAMES), METRICS_PORT_OFFSET
    )
    environment = {
        "MESH_SERVICES": ",".join(services),
        "GATEWAY_HOST": "127.0.0.1",
        "EXPERT_MUSIC_AI_PORT": str(gateway_port),
        "ENVOY_ADMIN_PORT": str(admin_port),
        "GATEWAY_LOCAL_GRPC_PORT": str(local_grpc_port),
        "METRICS_PORT_OFFSET": str(METRICS_PORT_OFFSET),
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(data_dir),
    }
    for name, port in zip(SERVICE_NAMES, service_ports, strict=True):
        environment[f"{name.upper()}_ADDRESS"] = f"127.0.0.1:{port}"
    return environment


@contextmanager
def running_mesh(
    services: Sequence[str],
    data_dir: Path,
    extra_environment: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[Mesh]:
    """The supervisor with the given services and Envoy, torn down gracefully afterwards.

    Every process's output goes to ``log_path`` when given (stderr otherwise).
    """
    environment = mesh_environment(services, data_dir) | (extra_environment or {})
    log = open(log_path, "wb") if log_path else None  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "services.supervisor"],
        cwd=REPO_ROOT,
        env=os.environ | environment,
        stdout=log or subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{environment['EXPERT_MUSIC_AI_PORT']}"
    mesh = Mesh(
        base_url=base_url,
        gateway_target=f"127.0.0.1:{environment['EXPERT_MUSIC_AI_PORT']}",
        addresses={name: environment[f"{name.upper()}_ADDRESS"] for name in SERVICE_NAMES},
        admin_url=f"http://127.0.0.1:{environment['ENVOY_ADMIN_PORT']}",
        environment=environment,
    )
    try:
        _wait_until_healthy(base_url, process, timeout_s=90)
        yield mesh
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if log:
            log.close()


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the supervisor exited with {process.returncode} before ready")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"the mesh at {base_url} was not healthy within {timeout_s} s")


def pid_of(module: str, mesh: Mesh) -> int:
    """The process running ``python -m <module>`` for this mesh (not another mesh's)."""
    marker = f"EXPERT_MUSIC_AI_PORT={mesh.environment['EXPERT_MUSIC_AI_PORT']}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if module.encode() in command and marker in environment:
            return int(entry.name)
    raise LookupError(f"no {module} process in the mesh at {mesh.base_url}")
