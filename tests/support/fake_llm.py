"""Fake Anthropic and OpenAI HTTP APIs on 127.0.0.1, for the real SDKs to talk to.

A test starts a server, points the SDK (or our settings) at ``server.base_url``, queues
the replies it wants (``server.reply_text(...)``, ``server.reply_error(429)``, a slow
reply for timeouts) and then reads what the SDK sent from ``server.requests``. When the
queue is empty the server answers with ``server.responder`` (by default HTTP 500).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Flavour = Literal["anthropic", "openai"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def prompt_text(self) -> str:
        """Every message's text (and the system prompt) joined, for assertions."""
        parts = [str(self.body.get("system", ""))]
        for message in self.body.get("messages", []):
            content = message.get("content", "")
            parts.append(content if isinstance(content, str) else json.dumps(content))
        return "\n".join(parts)


@dataclass(frozen=True)
class Reply:
    """What the server sends back: a status, a JSON body, headers, after a delay."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class FakeLLMServer:
    """An HTTP server speaking just enough of one provider's API."""

    def __init__(self, flavour: Flavour, *, model: str = "fake-model") -> None:
        self.flavour = flavour
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[RecordedRequest], Reply] = lambda _: self.error(500)
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # Lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        """The base URL each SDK expects (OpenAI's includes /v1)."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}" + ("/v1" if self.flavour == "openai" else "")

    # Scripting -----------------------------------------------------------------------

    def reply_text(self, text: str, *, delay_s: float = 0.0) -> None:
        """Queue a successful answer whose text is ``text``."""
        self._queue(Reply(200, self.text_body(text), delay_s=delay_s))

    def reply_lines(self, lines: list[str]) -> None:
        """Queue a successful answer in the JSON form our prompt asks for."""
        self.reply_text(json.dumps({"lines": lines}))

    def reply_error(self, status: int, *, retry_after_s: float | None = None) -> None:
        """Queue an HTTP error in the provider's error format."""
        reply = self.error(status)
        if retry_after_s is not None:
            reply = Reply(status, reply.body, {"retry-after": str(retry_after_s)})
        self._queue(reply)

    def reply_slowly(self, delay_s: float) -> None:
        """Queue an answer that comes only after ``delay_s`` seconds (for timeouts)."""
        self._queue(Reply(200, self.text_body('{"lines": []}'), delay_s=delay_s))

    def text_body(self, text: str) -> dict[str, Any]:
        if self.flavour == "anthropic":
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            }
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def error(self, status: int) -> Reply:
        if self.flavour == "anthropic":
            body = {"type": "error", "error": {"type": "api_error", "message": f"fake {status}"}}
        else:
            body = {"error": {"message": f"fake {status}", "type": "server_error", "code": None}}
        return Reply(status, body)

    def _queue(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            queued = self._replies.popleft() if self._replies else None
        return queued if queued is not None else self.responder(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length) if length else b"{}"
                request = RecordedRequest(
                    "POST",
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    json.loads(raw or b"{}"),
                )
                reply = server._next_reply(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler
