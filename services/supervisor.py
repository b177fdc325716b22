"""``python -m services.supervisor`` (= ``make up``): the whole mesh on one machine.

Starts every service in ``MESH_SERVICES``, ``TRAINING_WORKERS`` trainer processes (with
the registry) and the Envoy gateway as child processes,
restarts one that crashes (with backoff, a bounded number of times), waits until the
gateway's ``/health`` answers 200, prints the URLs, and on Ctrl-C or SIGTERM stops them
all gracefully (SIGTERM, then SIGKILL after the grace period).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from types import FrameType

from services.common.logs import configure_logging
from services.common.settings import Settings, get_settings

logger = logging.getLogger("supervisor")

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0


@dataclass
class Child:
    """One supervised process."""

    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)
        logger.info("started %s (pid %d)", self.name, self.process.pid)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


def child_commands(settings: Settings) -> list[Child]:
    """The services first (in settings order), the trainers, the gateway last."""
    python = sys.executable
    children = [Child(name, [python, "-m", f"services.{name}"]) for name in settings.mesh_services]
    if "registry" in settings.mesh_services:
        children.extend(
            Child(f"trainer-{number}", [python, "-m", "services.trainer"])
            for number in range(1, settings.training_workers + 1)
        )
    children.append(Child("gateway", [python, "-m", "gateway"]))
    return children


def gateway_url(settings: Settings, path: str = "") -> str:
    host = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "::") else settings.gateway_host
    return f"http://{host}:{settings.gateway_port}{path}"


def gateway_healthy(settings: Settings, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(gateway_url(settings, "/health"), timeout=timeout_s) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def api_key_state(settings: Settings) -> str:
    """One line on who may call the gateway, for the banner."""
    if settings.gateway_api_keys_file:
        return f"required, from {settings.gateway_api_keys_file}"
    return (
        "none: the gateway is OPEN to anyone who can reach port "
        f"{settings.gateway_port} (set GATEWAY_API_KEYS_FILE to require keys)"
    )


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._children = child_commands(settings)
        self._stopping = threading.Event()

    def start(self) -> None:
        for child in self._children:
            child.start()

    def wait_until_healthy(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            if gateway_healthy(self._settings):
                return True
            if not self._restart_crashed():
                return False
            time.sleep(0.2)
        return False

    def watch(self) -> int:
        """Keeps the children alive until asked to stop; returns the exit status."""
        while not self._stopping.wait(0.5):
            if not self._restart_crashed():
                return 1
        return 0

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self) -> None:
        """The gateway first (it drains the requests in flight), then everything else."""
        gateway = [c for c in self._children if c.name == "gateway"]
        others = [c for c in self._children if c.name != "gateway"]
        self._terminate(gateway, self._settings.gateway_drain_timeout_s + 5)
        self._terminate(others, self._settings.grace_period_s + 2)

    @staticmethod
    def _terminate(children: list[Child], timeout_s: float) -> None:
        running = [c for c in children if c.process and c.process.poll() is None]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in time; killing it", child.name)
                child.process.kill()
                child.process.wait()

    def _restart_crashed(self) -> bool:
        """Restarts children that died; False once one crashed too often."""
        now = time.monotonic()
        for child in self._children:
            code = child.exited()
            if code is None or self._stopping.is_set():
                continue
            child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_S]
            if len(child.restarts) >= MAX_RESTARTS:
                logger.error(
                    "%s exited with %d and crashed %d times in %.0f s; giving up",
                    child.name,
                    code,
                    MAX_RESTARTS,
                    RESTART_WINDOW_S,
                )
                return False
            delay_s = 0.5 * 2 ** len(child.restarts)
            logger.warning("%s exited with %d; restarting in %.1f s", child.name, code, delay_s)
            child.restarts.append(now)
            time.sleep(delay_s)
            child.start()
        return True


def main() -> int:
    # A person at a terminal reads text logs; anything else (CI, files) gets JSON lines.
    # Set here, before the settings are read, so every child inherits the choice.
    os.environ.setdefault("LOG_FORMAT", "text" if sys.stderr.isatty() else "json")
    settings = get_settings()
    configure_logging("supervisor", settings.log_level, settings.log_format)
    supervisor = Supervisor(settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s; stopping the mesh", signal.Signals(signum).name)
        supervisor.request_stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    supervisor.start()
    try:
        if not supervisor.wait_until_healthy(timeout_s=120):
            if not supervisor.stopping:
                logger.error("the mesh did not become healthy within 120 s")
            return 1
        base = gateway_url(settings)
        print(
            f"\nExpert Music AI is up (services: {', '.join(settings.mesh_services)}).\n"
            f"  web studio:     {base}/studio  (open it in a browser)\n"
            f"  REST and gRPC:  {base}/\n"
            f"  health:         {base}/health  (gRPC: grpc.health.v1.Health at the same port)\n"
            f"  discover gRPC:  grpcurl -plaintext {base.removeprefix('http://')} list\n"
            f"  extract notes:  curl -H 'Content-Type: audio/wav' --data-binary @hum.wav "
            f"{base}/v1/melody:extract\n"
            f"  API keys:       {api_key_state(settings)}\n"
            f"  services:       on {settings.service_bind_host} (gRPC 5005x, metrics 5105x)\n"
            f"  Envoy admin:    http://127.0.0.1:{settings.envoy_admin_port}/ (this machine only)\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        return supervisor.watch()
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
