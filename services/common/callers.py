"""Who is calling: the client name the gateway forwards with every request.

The gateway (Envoy) checks the caller's API key (``Authorization: Bearer <key>`` or
``x-api-key``), removes the key from the request and forwards the *name* the key was
issued to in one HTTP header, which gRPC services read as metadata. Envoy first strips
any such header a client sent itself, so a service can trust it. Keys never reach the
services.

Without keys (local ``make up``) no name is forwarded: every caller is anonymous ("").
"""

from __future__ import annotations

import grpc

#: The HTTP header / gRPC metadata key holding the authenticated client's name.
CLIENT_NAME_METADATA_KEY = "x-client-name"

#: The caller when the gateway runs without API keys.
ANONYMOUS_CLIENT = ""


def metadata_value(context: grpc.ServicerContext, key: str) -> str:
    """What the call's metadata (HTTP headers through the gateway) holds under ``key``, or
    "" (``key`` in lower case, as gRPC carries it)."""
    for name, value in context.invocation_metadata():
        if name == key:
            return str(value)
    return ""


def client_name(context: grpc.ServicerContext) -> str:
    """The name of the client whose key authenticated this call, or "" when keys are off."""
    return metadata_value(context, CLIENT_NAME_METADATA_KEY) or ANONYMOUS_CLIENT
