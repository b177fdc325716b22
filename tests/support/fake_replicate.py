"""A fake Replicate API on 127.0.0.1 for the real ``replicate`` SDK to talk to.

It implements what our adapters use: creating predictions (``POST /v1/predictions`` with a
``version``, or ``POST /v1/models/{owner}/{name}/predictions``), reading them
(``GET /v1/predictions/{id}``), cancelling them, and serving output files
(``GET /files/{name}``). A prediction is "processing" for ``polls_before_done`` reads,
then "succeeded" with the output the test chose, or "failed".

For fine-tuning it also has the files API (``POST /v1/files``, multipart, stored and then
served under ``/files/``), models (``GET /v1/models/{owner}/{name}``, ``POST /v1/models``)
and trainings (``POST /v1/models/{owner}/{name}/versions/{id}/trainings``,
``GET /v1/trainings/{id}``, ``POST /v1/trainings/{id}/cancel``). A training is
"processing" for ``training_polls_before_done`` reads, revealing one line of
``training_log_lines`` per read, then "succeeded" with a new version of its destination
(or "failed" with ``training_error``).

Failures are scripted per route: ``server.fail_next("POST /v1/predictions", 503, 2)``
answers the next two creations with HTTP 503. Every request is recorded (method, path,
headers, JSON body) so tests can check what the SDK sent.

    with FakeReplicate() as fake:
        fake.add_file("out.wav", wav_bytes)
        fake.output = {"audio_out": fake.url("/files/out.wav")}
        client = replicate.Client(api_token="r8_test", base_url=fake.base_url)
"""

from __future__ import annotations

import email.policy
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None


@dataclass
class _Prediction:
    id: str
    version: str
    input: dict[str, Any]
    polls_left: int
    status: str = "starting"
    output: Any = None
    error: str | None = None


@dataclass
class _Training:
    id: str
    version: str
    destination: str
    input: dict[str, Any]
    polls_left: int
    status: str = "starting"
    logs: str = ""
    output: Any = None
    error: str | None = None


@dataclass
class FakeReplicate:
    """The server; use as a context manager. Settable attributes shape its answers."""

    #: Output of succeeded predictions; a callable gets the prediction's input.
    output: Any | Callable[[dict[str, Any]], Any] = None
    #: GETs that still answer "processing" before the prediction ends.
    polls_before_done: int = 1
    #: When set, predictions end "failed" with this error instead of succeeding.
    prediction_error: str | None = None
    #: When True, predictions never end (to test our deadline).
    never_finish: bool = False
    #: GETs that still answer "processing" before a training ends.
    training_polls_before_done: int = 1
    #: One line is appended to a training's logs per poll while it runs.
    training_log_lines: list[str] = field(default_factory=list)
    #: When set, trainings end "failed" with this error instead of succeeding.
    training_error: str | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    predictions: dict[str, _Prediction] = field(default_factory=dict)
    #: "owner/name" of the models that exist; POST /v1/models adds to it.
    models: set[str] = field(default_factory=set)
    trainings: dict[str, _Training] = field(default_factory=dict)
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __enter__(self) -> FakeReplicate:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval lets shutdown() return quickly at the end of each test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server with `with FakeReplicate() as ...`"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add_file(self, name: str, data: bytes) -> str:
        """Serve ``data`` at /files/{name}; returns its URL."""
        self.files[name] = data
        return self.url(f"/files/{name}")

    def fail_next(self, route: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``route`` ("POST /v1/predictions",
        "GET /v1/predictions", "GET /files") with HTTP ``status``."""
        self._failures.setdefault(route, []).extend([status] * times)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        method, prefix = route.split(" ", 1)
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    # --- request handling -------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = _parse_body(handler.headers.get("Content-Type", ""), raw)
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(RecordedRequest(method, path, dict(handler.headers), body))
            status = self._scripted_failure(method, path)
        if status is not None:
            self._send_json(
                handler,
                status,
                {"title": "scripted failure", "detail": f"HTTP {status}", "status": status},
            )
            return
        if method == "GET" and path.startswith("/files/"):
            data = self.files.get(path.removeprefix("/files/"))
            if data is None:
                self._send_json(handler, 404, {"detail": "no such file"})
                return
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        if not handler.headers.get("Authorization", "").startswith("Bearer "):
            self._send_json(handler, 401, {"detail": "missing API token"})
            return
        if self._handle_training_routes(handler, method, path, body):
            return
        if method == "POST" and (
            path == "/v1/predictions"
            or (path.startswith("/v1/models/") and path.endswith("/predictions"))
        ):
            self._create(handler, path, body or {})
        elif method == "POST" and path.startswith("/v1/predictions/") and path.endswith("/cancel"):
            prediction = self.predictions.get(path.split("/")[3])
            if prediction is None:
                self._send_json(handler, 404, {"detail": "not found"})
                return
            prediction.status = "canceled"
            self._send_json(handler, 200, self._as_json(prediction))
        elif method == "GET" and path.startswith("/v1/predictions/"):
            prediction = self.predictions.get(path.split("/")[3])
            if prediction is None:
                self._send_json(handler, 404, {"detail": "not found"})
                return
            self._advance(prediction)
            self._send_json(handler, 200, self._as_json(prediction))
        else:
            self._send_json(handler, 404, {"detail": f"no route {method} {path}"})

    def _scripted_failure(self, method: str, path: str) -> int | None:
        for route, statuses in self._failures.items():
            route_method, prefix = route.split(" ", 1)
            if statuses and method == route_method and path.startswith(prefix):
                return statuses.pop(0)
        return None

    def _create(self, handler: BaseHTTPRequestHandler, path: str, body: dict[str, Any]) -> None:
        version = body.get("version") or path.removeprefix("/v1/models/").removesuffix(
            "/predictions"
        )
        prediction = _Prediction(
            id=uuid.uuid4().hex[:12],
            version=str(version),
            input=body.get("input") or {},
            polls_left=self.polls_before_done,
        )
        self.predictions[prediction.id] = prediction
        self._send_json(handler, 201, self._as_json(prediction))

    def _advance(self, prediction: _Prediction) -> None:
        if prediction.status in ("succeeded", "failed", "canceled") or self.never_finish:
            if self.never_finish and prediction.status == "starting":
                prediction.status = "processing"
            return
        if prediction.polls_left > 0:
            prediction.polls_left -= 1
            prediction.status = "processing"
            return
        if self.prediction_error is not None:
            prediction.status, prediction.error = "failed", self.prediction_error
        else:
            prediction.status = "succeeded"
            prediction.output = (
                self.output(prediction.input) if callable(self.output) else self.output
            )

    def _as_json(self, prediction: _Prediction) -> dict[str, Any]:
        return {
            "id": prediction.id,
            "model": "fake/model",
            "version": prediction.version,
            "status": prediction.status,
            "input": prediction.input,
            "output": prediction.output,
            "logs": "",
            "error": prediction.error,
            "metrics": {},
            "created_at": "2025-01-01T00:00:00Z",
            "started_at": None,
            "completed_at": None,
            "urls": {
                "get": self.url(f"/v1/predictions/{prediction.id}"),
                "cancel": self.url(f"/v1/predictions/{prediction.id}/cancel"),
            },
        }

    # --- files, models and trainings (fine-tuning) -------------------------------------

    def _handle_training_routes(
        self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any
    ) -> bool:
        """Answers the fine-tuning routes; False when ``path`` is not one of them."""
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/files":
            self._send_json(handler, 201, self._store_upload(body or {}))
        elif method == "POST" and path == "/v1/models":
            name = f"{body['owner']}/{body['name']}"
            self.models.add(name)
            self._send_json(handler, 201, self._model_json(name, body.get("visibility")))
        elif method == "GET" and len(parts) == 4 and parts[:2] == ["v1", "models"]:
            name = f"{parts[2]}/{parts[3]}"
            if name in self.models:
                self._send_json(handler, 200, self._model_json(name, "private"))
            else:
                self._send_json(handler, 404, {"title": "Not found", "status": 404})
        elif method == "POST" and len(parts) == 7 and parts[-1] == "trainings":
            training = _Training(
                id=uuid.uuid4().hex[:12],
                version=parts[5],
                destination=str((body or {}).get("destination", "")),
                input=(body or {}).get("input") or {},
                polls_left=self.training_polls_before_done,
            )
            self.trainings[training.id] = training
            self._send_json(handler, 201, self._training_json(training))
        elif parts[:2] == ["v1", "trainings"] and len(parts) >= 3:
            existing = self.trainings.get(parts[2])
            if existing is None:
                self._send_json(handler, 404, {"title": "Not found", "status": 404})
            elif method == "POST" and parts[-1] == "cancel":
                existing.status = "canceled"
                self._send_json(handler, 200, self._training_json(existing))
            else:
                self._advance_training(existing)
                self._send_json(handler, 200, self._training_json(existing))
        else:
            return False
        return True

    def _store_upload(self, form: dict[str, Any]) -> dict[str, Any]:
        upload = form.get("content") or {}
        file_id = uuid.uuid4().hex[:12]
        name = f"{file_id}-{upload.get('filename', 'file')}"
        self.files[name] = upload.get("data", b"")
        return {
            "id": file_id,
            "name": upload.get("filename", "file"),
            "content_type": upload.get("content_type", "application/octet-stream"),
            "size": len(self.files[name]),
            "etag": file_id,
            "checksums": {},
            "metadata": {},
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": None,
            "urls": {"get": self.url(f"/files/{name}")},
        }

    def uploaded_file(self, url: str) -> bytes:
        """The bytes uploaded through the files API and now served at ``url``."""
        return self.files[url.removeprefix(self.url("/files/"))]

    def _advance_training(self, training: _Training) -> None:
        if training.status in ("succeeded", "failed", "canceled"):
            return
        if training.polls_left > 0:
            training.polls_left -= 1
            training.status = "processing"
            line_number = self.training_polls_before_done - training.polls_left - 1
            if line_number < len(self.training_log_lines):
                training.logs += self.training_log_lines[line_number] + "\n"
            return
        if self.training_error is not None:
            training.status, training.error = "failed", self.training_error
        else:
            training.status = "succeeded"
            training.output = {
                "version": f"{training.destination}:{uuid.uuid4().hex}",
                "weights": self.url(f"/files/{training.id}-weights.tar"),
            }

    def _training_json(self, training: _Training) -> dict[str, Any]:
        return {
            "id": training.id,
            "model": "fake/trainer",
            "version": training.version,
            "destination": training.destination,
            "status": training.status,
            "input": training.input,
            "output": training.output,
            "logs": training.logs,
            "error": training.error,
            "created_at": "2025-01-01T00:00:00Z",
            "started_at": None,
            "completed_at": None,
            "urls": {
                "get": self.url(f"/v1/trainings/{training.id}"),
                "cancel": self.url(f"/v1/trainings/{training.id}/cancel"),
            },
        }

    def _model_json(self, name: str, visibility: str | None) -> dict[str, Any]:
        owner, model_name = name.split("/", 1)
        return {
            "url": self.url(f"/{name}"),
            "owner": owner,
            "name": model_name,
            "description": None,
            "visibility": visibility or "private",
            "github_url": None,
            "paper_url": None,
            "license_url": None,
            "run_count": 0,
            "cover_image_url": None,
            "default_example": None,
            "latest_version": None,
        }

    @staticmethod
    def _send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _parse_body(content_type: str, raw: bytes) -> Any:
    """JSON bodies as parsed JSON; multipart forms as {field: {filename, content_type,
    data}} (files) or {field: text}; anything else as None."""
    if not raw:
        return None
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        form: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            filename = part.get_filename()
            if filename is None:
                form[str(name)] = payload.decode()
            else:
                form[str(name)] = {
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "data": payload,
                }
        return form
    return json.loads(raw)
