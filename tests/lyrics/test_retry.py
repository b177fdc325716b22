"""The mesh's one retry policy: exponential backoff with jitter, bounded attempts."""

from __future__ import annotations

import pytest

from services.common.retry import ProviderUnavailableError, RetryPolicy, call_with_retries


class FlakyError(Exception):
    def __init__(self, retry_after_s: float | None = None) -> None:
        super().__init__("flaky")
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s


def failing(times: int, error: Exception, result: str = "ok"):
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result

    return fn, calls


def test_transient_failures_are_retried_with_doubling_waits() -> None:
    fn, calls = failing(3, FlakyError())
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay_s=0.5, max_delay_s=8.0, jitter=0.0)

    assert (
        call_with_retries(fn, policy=policy, is_retryable=lambda e: True, sleep=waits.append)
        == "ok"
    )

    assert calls["n"] == 4
    assert waits == [0.5, 1.0, 2.0]


def test_jitter_spreads_each_wait_within_its_bounds() -> None:
    policy = RetryPolicy(attempts=3, base_delay_s=1.0, max_delay_s=8.0, jitter=0.2)
    waits = [policy.delay_s(2) for _ in range(200)]

    assert all(1.6 <= wait <= 2.4 for wait in waits)
    assert len(set(waits)) > 1


def test_waits_never_exceed_the_ceiling() -> None:
    policy = RetryPolicy(attempts=10, base_delay_s=1.0, max_delay_s=3.0, jitter=0.2)

    assert max(policy.delay_s(n) for n in range(1, 10)) <= 3.0


def test_a_server_requested_wait_is_honoured_but_capped() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay_s=0.1, max_delay_s=5.0, jitter=0.0)
    fn, _ = failing(1, FlakyError(retry_after_s=2.5))
    call_with_retries(fn, policy=policy, is_retryable=lambda e: True, sleep=waits.append)
    fn, _ = failing(1, FlakyError(retry_after_s=60))
    call_with_retries(fn, policy=policy, is_retryable=lambda e: True, sleep=waits.append)

    assert waits == [2.5, 5.0]


def test_the_last_failure_is_raised_when_attempts_run_out() -> None:
    fn, calls = failing(5, FlakyError())
    with pytest.raises(FlakyError):
        call_with_retries(
            fn, policy=RetryPolicy(attempts=3), is_retryable=lambda e: True, sleep=lambda s: None
        )
    assert calls["n"] == 3


def test_a_permanent_failure_is_not_retried() -> None:
    fn, calls = failing(1, ValueError("bad key"))
    with pytest.raises(ValueError):
        call_with_retries(
            fn,
            policy=RetryPolicy(attempts=3),
            is_retryable=lambda e: isinstance(e, FlakyError),
            sleep=lambda s: None,
        )
    assert calls["n"] == 1


def test_each_retry_is_reported_before_waiting() -> None:
    fn, _ = failing(2, FlakyError())
    seen: list[tuple[int, float]] = []
    call_with_retries(
        fn,
        policy=RetryPolicy(attempts=3, base_delay_s=0.25, jitter=0.0),
        is_retryable=lambda e: True,
        sleep=lambda s: None,
        on_retry=lambda n, error, delay: seen.append((n, delay)),
    )
    assert seen == [(1, 0.25), (2, 0.5)]


def test_a_policy_must_try_at_least_once() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_provider_unavailable_names_the_provider_and_the_reason() -> None:
    error = ProviderUnavailableError("replicate", "rate limited (HTTP 429) after 3 attempts")
    assert error.provider == "replicate"
    assert "rate limited" in error.message
    assert str(error) == "replicate: rate limited (HTTP 429) after 3 attempts"
