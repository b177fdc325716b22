"""Structured logging: one JSON object per line for machines, or plain text for people.

The JSON lines are python-json-logger's (``extra={...}`` fields become top-level keys);
what is ours is the shape every service shares: ``ts`` (UTC, milliseconds), ``level``,
``service``, ``logger``, ``message``, then the extras and any ``exception``.
"""

from __future__ import annotations

import logging
import sys
import time

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter


class JsonFormatter(_LibraryJsonFormatter):
    """A record as one JSON line, stamped with the service's name."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self, service_name: str) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={
                "asctime": "ts",
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
            },
            static_fields={"service": service_name},
            json_default=str,
        )


def configure_logging(service_name: str, level: str = "INFO", log_format: str = "json") -> None:
    """Sends every log record of the process to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(service_name))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {service_name} %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
