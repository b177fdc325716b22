"""Every service logs the same JSON line shape: what log collectors parse."""

from __future__ import annotations

import json
import logging
import sys

from services.common.logs import JsonFormatter


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "services.pitch.server", "levelname": "WARNING", "levelno": 30, "msg": message}
    )
    record.__dict__.update(extra)
    return record


def test_a_log_line_is_one_json_object_with_the_shared_fields_and_the_extras() -> None:
    line = JsonFormatter("pitch").format(_record("request refused", code="INVALID_ARGUMENT"))

    entry = json.loads(line)
    assert "\n" not in line
    assert list(entry)[:5] == ["ts", "level", "logger", "message", "service"]
    assert entry["level"] == "WARNING" and entry["service"] == "pitch"
    assert entry["logger"] == "services.pitch.server"
    assert entry["message"] == "request refused" and entry["code"] == "INVALID_ARGUMENT"
    assert entry["ts"].endswith("Z") and "T" in entry["ts"]


def test_an_exception_travels_inside_its_line() -> None:
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        record = _record("could not store the take")
        record.exc_info = sys.exc_info()

    entry = json.loads(JsonFormatter("studio").format(record))

    assert "RuntimeError: disk full" in entry["exception"]
