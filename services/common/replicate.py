"""Calls to Replicate: one client, one way to retry, to wait and to fail.

The synth's Bark and MusicGen voices, MusicGen generation and MusicGen fine-tuning all
talk to Replicate through :class:`ReplicateClient`, on the real ``replicate`` SDK:

- predictions: create, poll until done (cancelled when our deadline passes or the caller
  goes away), fetch the output file (:meth:`ReplicateClient.predict`,
  :meth:`ReplicateClient.fetch_output`);
- trainings: upload the dataset, make sure the destination model exists, create, poll
  and cancel (:meth:`ReplicateClient.start_training`, :meth:`ReplicateClient.follow`).

Transient failures (HTTP 429, 5xx, network errors) are retried with the mesh's
:class:`RetryPolicy`; what still fails becomes :class:`ProviderUnavailableError` (an
UnavailableError) with a message naming the action and the cause, which servers map to
UNAVAILABLE and the job queue to "try again later".
"""

from __future__ import annotations

import functools
import io
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import replicate
from replicate.exceptions import ModelError, ReplicateError
from replicate.prediction import Prediction
from replicate.training import Training

from services.common.audio import DecodedAudio, decode_audio
from services.common.cancellation import raise_if_cancelled
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


#: How often a wait between two polls checks whether it should stop early, in seconds.
STOP_CHECK_S = 0.25

Run = TypeVar("Run", Prediction, Training)


class RunStoppedError(Exception):
    """``should_stop()`` turned true while following a prediction or training; the run
    was left as it is (the caller decides whether to cancel it)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"stopped following {run_id}")
        self.run_id = run_id


class RunTimedOutError(Exception):
    """A prediction or training ran past its deadline; it was cancelled."""

    def __init__(self, what: str, timeout_s: float) -> None:
        super().__init__(f"{what} did not finish in {timeout_s:g} s; it was cancelled")
        self.timeout_s = timeout_s


class ReplicateClient:
    """The configured Replicate account: predictions, trainings and files, each call
    retried by the one policy (REPLICATE_RETRY_*)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        Raises:
            PreconditionError: REPLICATE_API_TOKEN is not set.
        """
        self.sdk = make_client(settings)
        self.policy = retry_policy(settings)
        self._settings = settings
        self._sleep = sleep
        self._monotonic = monotonic

    def call(self, fn: Callable[[], T], action: str) -> T:
        """``fn()`` with retries; see :func:`call`."""
        return call(fn, self.policy, action)

    # --- predictions ------------------------------------------------------------------

    def predict(
        self,
        model_version: str,
        model_input: dict[str, Any],
        *,
        timeout_s: float,
        on_status: Callable[[str], None] | None = None,
        cancelled: threading.Event | None = None,
    ) -> Any:
        """Runs a prediction to its end and returns its output (URLs, as the model says).

        Args:
            model_version: "owner/name:version-id".
            model_input: The model's input; file values are ``io.BytesIO`` objects with a
                ``name`` (sent inline, base64), rewound before every try.
            timeout_s: Deadline for the whole prediction, seconds; it is cancelled after.
            on_status: Called with the prediction's status at every poll.
            cancelled: The caller's cancellation (services.common.cancellation), looked at
                while waiting; once set the prediction is cancelled on Replicate too:
                nobody would hear it, and it is paid for by the second.

        Raises:
            ProviderUnavailableError: Replicate kept failing, the prediction failed, or it
                did not finish within ``timeout_s``.
            WorkCancelledError: ``cancelled`` was set (the caller went away or its
                deadline passed).
        """
        version_id = model_version.rsplit(":", 1)[-1]

        def create() -> Prediction:
            for value in model_input.values():
                if isinstance(value, io.BytesIO):
                    value.seek(0)
            return self.sdk.predictions.create(
                version=version_id, input=model_input, file_encoding_strategy="base64"
            )

        prediction = self.call(create, f"creating a prediction of {model_version}")
        try:
            prediction = self.follow(
                prediction,
                timeout_s=timeout_s,
                poll_interval_s=self._settings.replicate_poll_interval_s,
                on_poll=None if on_status is None else lambda run: on_status(run.status),
                should_stop=None if cancelled is None else cancelled.is_set,
            )
        except RunStoppedError:
            self.cancel(prediction)
            raise_if_cancelled(cancelled, f"waiting for prediction {prediction.id}")
            raise
        except RunTimedOutError as error:
            raise ProviderUnavailableError(PROVIDER, str(error)) from None
        if prediction.status != "succeeded":
            raise ProviderUnavailableError(
                PROVIDER,
                f"prediction {prediction.id} of {model_version} {prediction.status}: "
                f"{prediction.error or 'no reason given'}",
            )
        return prediction.output

    def predict_audio(
        self,
        model_version: str,
        model_input: dict[str, Any],
        *,
        timeout_s: float,
        max_duration_s: float,
        max_bytes: int,
        on_status: Callable[[str], None] | None = None,
        cancelled: threading.Event | None = None,
    ) -> DecodedAudio:
        """:meth:`predict`, then its audio fetched and decoded to mono.

        Raises:
            ProviderUnavailableError: As :meth:`predict` and :meth:`fetch_output`, or the
                audio is unreadable or longer than ``max_duration_s``.
            WorkCancelledError: ``cancelled`` was set.
        """
        output = self.predict(
            model_version,
            model_input,
            timeout_s=timeout_s,
            on_status=on_status,
            cancelled=cancelled,
        )
        data = self.fetch_output(output, max_bytes)
        try:
            return decode_audio(data, max_duration_s=max_duration_s)
        except ValueError as error:
            raise ProviderUnavailableError(
                PROVIDER, f"the output audio is unreadable: {error}"
            ) from error

    def fetch_output(self, output: Any, max_bytes: int) -> bytes:
        """The file a prediction's output points to (its audio).

        Args:
            output: A URL, a list of them (the last is taken), or a dict of them (Bark's
                ``audio_out`` first).
            max_bytes: Refuse a larger file.

        Raises:
            ProviderUnavailableError: No URL in the output, the file is too large, or
                fetching it kept failing.
        """
        url = output_url(output)

        def fetch() -> bytes:
            timeout = self._settings.replicate_request_timeout_s
            with httpx.Client(timeout=timeout, follow_redirects=True) as http:
                response = http.get(url)
                response.raise_for_status()
            if len(response.content) > max_bytes:
                raise ProviderUnavailableError(
                    PROVIDER, f"the output file is larger than {max_bytes} bytes"
                )
            return response.content

        return self.call(fetch, "fetching the output audio")

    # --- trainings --------------------------------------------------------------------

    def upload(self, path: Path, content_type: str) -> str:
        """Uploads a file through the files API; its URL."""
        uploaded = self.call(
            lambda: self.sdk.files.create(path, content_type=content_type),
            f"uploading {path.name}",
        )
        return str(uploaded.urls["get"])

    def ensure_model(self, owner: str, name: str, *, hardware: str, description: str) -> None:
        """Creates the private model ``owner/name`` unless it exists (a training's
        destination)."""

        def get_or_create() -> None:
            try:
                self.sdk.models.get(owner, name)
            except ReplicateError as error:
                if not is_not_found(error):
                    raise
                self.sdk.models.create(
                    owner=owner,
                    name=name,
                    visibility="private",
                    hardware=hardware,
                    description=description,
                )

        self.call(get_or_create, f"preparing the model {owner}/{name}")

    def start_training(
        self, trainer_version: str, training_input: dict[str, Any], destination: str
    ) -> Training:
        """Creates a training of ``trainer_version`` ("owner/name:version-id") that pushes
        its result to ``destination`` ("owner/name")."""
        return self.call(
            lambda: self.sdk.trainings.create(
                version=trainer_version, input=training_input, destination=destination
            ),
            f"starting the training of {destination}",
        )

    def get_training(self, training_id: str) -> Training:
        return self.call(
            functools.partial(self.sdk.trainings.get, training_id),
            f"reading training {training_id}",
        )

    # --- both -------------------------------------------------------------------------

    def follow(
        self,
        run: Run,
        *,
        timeout_s: float,
        poll_interval_s: float,
        on_poll: Callable[[Run], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Run:
        """Polls a prediction or training until it succeeds, fails or is cancelled.

        Args:
            timeout_s: From now; past it the run is cancelled.
            poll_interval_s: Between two polls.
            on_poll: Called with the run as first seen and after every poll.
            should_stop: Checked every STOP_CHECK_S while waiting.

        Raises:
            RunStoppedError: ``should_stop()`` turned true (the run keeps going).
            RunTimedOutError: The deadline passed (the run was cancelled).
            ProviderUnavailableError: Polling kept failing.
        """
        kind = "training" if isinstance(run, Training) else "prediction"
        refresh = self.sdk.trainings.get if isinstance(run, Training) else self.sdk.predictions.get
        deadline = self._monotonic() + timeout_s
        while True:
            if on_poll is not None:
                on_poll(run)
            if run.status in TERMINAL_STATUSES:
                return run
            self._wait(poll_interval_s, should_stop)
            if should_stop is not None and should_stop():
                raise RunStoppedError(run.id)
            if self._monotonic() > deadline:
                self.cancel(run)
                raise RunTimedOutError(f"{kind} {run.id}", timeout_s)
            run = self.call(functools.partial(refresh, run.id), f"polling {kind} {run.id}")

    def cancel(self, run: Prediction | Training) -> None:
        """Cancels a prediction or training; a failure is logged, not raised (the caller
        ends its side either way)."""
        kind = "training" if isinstance(run, Training) else "prediction"
        cancel = (
            self.sdk.trainings.cancel if isinstance(run, Training) else self.sdk.predictions.cancel
        )
        try:
            self.call(functools.partial(cancel, run.id), f"cancelling {kind} {run.id}")
        except ProviderUnavailableError:
            logger.warning("could not cancel %s %s", kind, run.id)

    def _wait(self, seconds: float, should_stop: Callable[[], bool] | None) -> None:
        until = self._monotonic() + seconds
        while should_stop is None or not should_stop():
            remaining = until - self._monotonic()
            if remaining <= 0:
                return
            self._sleep(min(STOP_CHECK_S, remaining))


def output_url(output: Any) -> str:
    """The audio URL in a model's output: a string, a list of them (the last is the
    audio), or a dict (Bark's ``audio_out``, else its first value).

    Raises:
        ProviderUnavailableError: There is none.
    """
    if isinstance(output, dict):
        output = output.get("audio_out") or next(iter(output.values()), None)
    if isinstance(output, list):
        output = output[-1] if output else None
    if not isinstance(output, str) or not output:
        raise ProviderUnavailableError(
            PROVIDER, f"the prediction returned no audio URL: {output!r}"
        )
    return output
