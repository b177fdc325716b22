"""The mesh's one retry policy for calls to external APIs (LLMs, Replicate, ...).

A call is retried with exponential backoff and jitter while the caller's
``is_retryable`` says the failure is transient (a timeout, HTTP 429, a 5xx). When the
exception carries a ``retry_after_s`` attribute (a server's ``Retry-After``), that wait
is used instead of the computed one, capped at ``max_delay_s``. The module knows nothing
about any provider: callers decide what is retryable and what to do when retries run out,
usually by raising :class:`ProviderUnavailableError`.

The loop is tenacity's (``Retrying``); what is ours is the policy: how long to wait
(doubling, ±jitter, the server's word first) and which failures are worth a retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from services.common.errors import UnavailableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    attempts: total tries including the first (1 = no retry).
    base_delay_s: wait before the first retry, in seconds; doubled for every later one.
    max_delay_s: ceiling on any single wait, in seconds (also caps ``retry_after_s``).
    jitter: relative spread of each wait, 0..1 (0.2 = ±20 %), so that many clients
        failing together do not retry in lockstep.
    """

    attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be within 0..1, got {self.jitter}")

    def delay_s(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Wait before retry number ``retry_number`` (1 = the first retry), in seconds."""
        base = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry_number - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.max_delay_s, base * (1.0 + spread)))


class ProviderUnavailableError(UnavailableError):
    """An external provider could not serve the request, even after retries.

    ``provider`` names it (e.g. "anthropic"); ``message`` says why in words a person
    can act on (e.g. "rate limited (HTTP 429) after 3 attempts"). Served as UNAVAILABLE.
    """

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message


def _server_delay_s(error: BaseException) -> float | None:
    value = getattr(error, "retry_after_s", None)
    if isinstance(value, int | float) and value >= 0:
        return float(value)
    return None


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    is_retryable: Callable[[BaseException], bool],
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Return ``fn()``, retrying transient failures as ``policy`` allows.

    A failure for which ``is_retryable`` is false, or the last attempt's failure, is
    raised unchanged. Before each retry ``on_retry(retry_number, error, delay_s)`` is
    called (for logs and metrics), then ``sleep(delay_s)``.
    """

    def wait_s(state: RetryCallState) -> float:
        error = _error_of(state)
        server_delay = _server_delay_s(error)
        if server_delay is not None:
            return min(server_delay, policy.max_delay_s)
        return policy.delay_s(state.attempt_number)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.next_action is not None:
            on_retry(state.attempt_number, _error_of(state), state.next_action.sleep)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_s,
        # Only exceptions: KeyboardInterrupt and the like end the call at once.
        retry=retry_if_exception(
            lambda error: isinstance(error, Exception) and is_retryable(error)
        ),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)


def _error_of(state: RetryCallState) -> BaseException:
    assert state.outcome is not None and state.outcome.failed
    error = state.outcome.exception()
    assert error is not None
    return error
