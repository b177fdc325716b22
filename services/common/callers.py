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


def client_name(context: grpc.ServicerContext) -> str:
    """The name of the client whose key authenticated this call, or "" when keys are off."""
    for key, value in context.invocation_metadata():
        if key == CLIENT_NAME_METADATA_KEY:
            return str(value)
    return ANONYMOUS_CLIENT
