"""Which LLM providers are usable right now, for /health.

A provider is ``not_configured`` without its key (or base URL), ``degraded`` when its
last outcome within the recent window was a failure (retries exhausted), and
``configured`` otherwise. The local lyricist needs nothing and is always configured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class ProviderState(StrEnum):
    CONFIGURED = "configured"
    NOT_CONFIGURED = "not_configured"
    DEGRADED = "degraded"


@dataclass(frozen=True)
class ProviderStatus:
    """A provider's state, and why when it is degraded (e.g. "rate limited (HTTP 429)")."""

    state: ProviderState
    detail: str = ""


class HealthTracker:
    """Remembers each provider's last failure and last success (thread-safe).

    clock: monotonic seconds; replaceable in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[float, str]] = {}

    def record_failure(self, provider: str, reason: str) -> None:
        with self._lock:
            self._failures[provider] = (self._clock(), reason)

    def record_success(self, provider: str) -> None:
        with self._lock:
            self._failures.pop(provider, None)

    def recent_failure(self, provider: str, window_s: float) -> str | None:
        """Why the provider last failed, if that was within ``window_s`` seconds and it has
        not succeeded since."""
        with self._lock:
            failure = self._failures.get(provider)
        if failure is None or self._clock() - failure[0] > window_s:
            return None
        return failure[1]


#: The process-wide record that write_lyrics() updates and provider_health() reads.
TRACKER = HealthTracker()
