"""Maps domain exceptions to gRPC status codes, in one place for every service.

Domain modules raise plain Python exceptions with messages written for a person; the
servicer methods are wrapped with :func:`grpc_errors`, which aborts the call with the
matching status. Anything unexpected becomes INTERNAL with a generic message (the
details go to the log, not to the caller).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from services.common.cancellation import OverloadedError, WorkCancelledError

logger = logging.getLogger(__name__)


class InvalidInputError(ValueError):
    """The caller sent something we cannot work with (INVALID_ARGUMENT / HTTP 400)."""


class NotFoundError(LookupError):
    """A named thing does not exist (NOT_FOUND / HTTP 404)."""


class PreconditionError(Exception):
    """The input is well-formed but the work cannot be done on it (FAILED_PRECONDITION)."""


class UnavailableError(Exception):
    """A dependency (service or external provider) cannot be reached (UNAVAILABLE / 503)."""


class ResourceLimitError(Exception):
    """A configured limit was exceeded (upload size, duration...)."""


#: The metadata key (HTTP header) that tells a refused caller when to try again, in s.
RETRY_AFTER_METADATA_KEY = "retry-after"


# Order matters: the first matching class wins.
_STATUS_BY_EXCEPTION: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (ResourceLimitError, grpc.StatusCode.INVALID_ARGUMENT),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (PreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (TimeoutError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (OverloadedError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    # The caller went away: nobody reads the status, but it is no fault of ours.
    (ConnectionAbortedError, grpc.StatusCode.CANCELLED),
    (WorkCancelledError, grpc.StatusCode.CANCELLED),
)


def status_for(error: BaseException) -> grpc.StatusCode:
    """The gRPC status for a domain exception (INTERNAL for anything unexpected)."""
    for error_type, code in _STATUS_BY_EXCEPTION:
        if isinstance(error, error_type):
            return code
    return grpc.StatusCode.INTERNAL


def error_from_status(error: grpc.RpcError, service: str) -> Exception:
    """A status another service answered with, as the matching domain error, so that it
    reaches our own caller with the same meaning (NOT_FOUND stays NOT_FOUND).

    Args:
        service: The service called, named in messages that would otherwise say nothing.
    """
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInputError(details)
    if code is grpc.StatusCode.NOT_FOUND:
        return NotFoundError(details)
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return PreconditionError(details)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return TimeoutError(f"the {service} service did not answer in time")
    return UnavailableError(f"the {service} service is unavailable ({code.name}: {details})")


def abort_with(context: grpc.ServicerContext, error: BaseException) -> None:
    """Aborts the call with the status and message that fit ``error``; never returns."""
    code = status_for(error)
    if code is grpc.StatusCode.INTERNAL:
        logger.exception("unexpected error", exc_info=error)
        message = "internal error; the service logged the details"
    else:
        logger.info("request refused", extra={"code": code.name, "reason": str(error)})
        message = str(error)
    if isinstance(error, OverloadedError) and error.retry_after_s is not None:
        context.set_trailing_metadata(((RETRY_AFTER_METADATA_KEY, str(error.retry_after_s)),))
    context.abort(code, message)


F = TypeVar("F", bound=Callable[..., Any])


def grpc_errors(method: F) -> F:
    """Decorates a servicer method (unary or streaming) so domain errors become statuses."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def stream_wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from method(self, request, context)
            except Exception as error:
                if _already_aborted(context):
                    raise
                abort_with(context, error)

        return stream_wrapper  # type: ignore[return-value]

    @functools.wraps(method)
    def unary_wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Exception as error:
            if _already_aborted(context):
                raise
            abort_with(context, error)

    return unary_wrapper  # type: ignore[return-value]


def _already_aborted(context: grpc.ServicerContext) -> bool:
    # context.abort() records the status, then raises a bare Exception: let it through.
    code = context.code()  # type: ignore[attr-defined]  # grpcio >= 1.38; absent from grpc-stubs
    return code is not None and code is not grpc.StatusCode.OK
