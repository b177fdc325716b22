"""A REST client for the test mesh: urllib, statuses returned rather than raised."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.support.mesh import Mesh


def http(
    mesh: Mesh,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        mesh.base_url + path, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def http_json(mesh: Mesh, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = http(mesh, method, path, **kwargs)
    return status, json.loads(body)


def post_json(mesh: Mesh, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
    """POSTs ``payload`` as JSON; the status and the decoded JSON answer."""
    return http_json(
        mesh,
        "POST",
        path,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )


def post_audio(
    mesh: Mesh, path: str, audio: bytes, content_type: str = "audio/wav"
) -> tuple[int, dict[str, str], bytes]:
    """POSTs ``audio`` as the raw body of ``path``: the status, headers and body."""
    return http(mesh, "POST", path, body=audio, headers={"Content-Type": content_type})
