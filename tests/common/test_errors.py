"""Domain errors become the gRPC status a client (and Envoy's HTTP mapping) expects."""

from __future__ import annotations

import grpc
import pytest

from services.common.audio import AudioDecodeError
from services.common.errors import (
    InvalidInputError,
    NotFoundError,
    PreconditionError,
    ResourceLimitError,
    UnavailableError,
    status_for,
)
from services.common.retry import ProviderUnavailableError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInputError("bad option"), grpc.StatusCode.INVALID_ARGUMENT),
        (AudioDecodeError("not audio"), grpc.StatusCode.INVALID_ARGUMENT),
        (ResourceLimitError("too big"), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFoundError("no such take"), grpc.StatusCode.NOT_FOUND),
        (PreconditionError("no melody"), grpc.StatusCode.FAILED_PRECONDITION),
        (UnavailableError("synth is down"), grpc.StatusCode.UNAVAILABLE),
        (ProviderUnavailableError("anthropic", "HTTP 429"), grpc.StatusCode.UNAVAILABLE),
        (TimeoutError("too slow"), grpc.StatusCode.DEADLINE_EXCEEDED),
        (KeyError("a bug"), grpc.StatusCode.INTERNAL),
        (RuntimeError("a bug"), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_kind_of_error_has_its_status(error: Exception, code: grpc.StatusCode) -> None:
    assert status_for(error) is code
