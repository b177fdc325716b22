"""Calls to Replicate: one client factory, one way to retry and to fail.

The synth's Bark and MusicGen voices, MusicGen fine-tuning and MusicGen generation all
talk to Replicate through the real ``replicate`` SDK. Transient failures (HTTP 429, 5xx,
network errors) are retried with the mesh's :class:`RetryPolicy`; what still fails
becomes :class:`ProviderUnavailableError` (an UnavailableError) with a message naming the
action and the cause, which servers map to UNAVAILABLE and the job queue to "try again
later".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import httpx
import replicate
from replicate.exceptions import ModelError, ReplicateError

from services.common.errors import PreconditionError
from services.common.retry import ProviderUnavailableError, RetryPolicy, call_with_retries
from services.common.settings import Settings

logger = logging.getLogger(__name__)

PROVIDER = "replicate"

T = TypeVar("T")

#: Statuses after which a prediction or training changes no more.
TERMINAL_STATUSES = ("succeeded", "failed", "canceled")


def make_client(settings: Settings) -> replicate.Client:
    """A client for the configured token and base URL (a fake server's in tests).

    Raises:
        PreconditionError: REPLICATE_API_TOKEN is not set.
    """
    if not settings.replicate_api_token:
        raise PreconditionError(
            "Replicate is not configured: set REPLICATE_API_TOKEN to use Replicate models"
        )
    return replicate.Client(
        api_token=settings.replicate_api_token,
        base_url=settings.replicate_base_url or None,
        timeout=httpx.Timeout(settings.replicate_request_timeout_s, connect=5.0),
    )


def retry_policy(settings: Settings) -> RetryPolicy:
    """The configured retry policy for Replicate calls."""
    return RetryPolicy(
        attempts=settings.replicate_retry_attempts,
        base_delay_s=settings.replicate_retry_base_delay_s,
    )


def is_transient(error: BaseException) -> bool:
    """Whether a failed call may succeed if tried again: 429, 5xx, or the network."""
    if isinstance(error, ReplicateError):
        return error.status is not None and (error.status == 429 or error.status >= 500)
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return status == 429 or status >= 500
    return isinstance(error, httpx.TransportError)


def is_not_found(error: BaseException) -> bool:
    """Whether Replicate answered 404."""
    return isinstance(error, ReplicateError) and error.status == 404


def describe(error: BaseException) -> str:
    """A failed call's cause in a few words, e.g. "HTTP 503: overloaded"."""
    if isinstance(error, ReplicateError):
        return f"HTTP {error.status}: {error.detail or error.title or 'no detail'}"
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return str(error) or type(error).__name__


def call(fn: Callable[[], T], policy: RetryPolicy, action: str) -> T:
    """``fn()`` with retries of transient failures.

    Args:
        action: What ``fn`` does, for messages: "uploading the dataset".

    Raises:
        ProviderUnavailableError: ``fn`` kept failing, or failed in a way retrying cannot
            fix; the message names ``action`` and the cause.
    """

    def log_retry(retry_number: int, error: BaseException, delay_s: float) -> None:
        logger.warning(
            "replicate: %s failed (%s); retry %d in %.1f s",
            action,
            describe(error),
            retry_number,
            delay_s,
        )

    try:
        return call_with_retries(fn, policy=policy, is_retryable=is_transient, on_retry=log_retry)
    except ProviderUnavailableError:
        raise
    except (ReplicateError, ModelError, httpx.HTTPError) as error:
        raise ProviderUnavailableError(PROVIDER, f"{action} failed: {describe(error)}") from error
