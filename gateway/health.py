"""The mesh's health as one grpc.health.v1 service, for probes and load balancers at :8003.

Envoy cannot answer ``grpc.health.v1.Health`` for the services behind it, and no single
service should: each one's own health is what its probes need. The gateway process
therefore follows every service it routes to and keeps what it saw in a standard health
servicer, so a ``Check`` or ``Watch`` through the gateway is answered at once, even while
a service hangs or is down:

- ``""`` (the whole mesh): SERVING only when every service is;
- ``expertmusic.pitch.v1.PitchService`` …: the state of the service that implements it;
- any other name: NOT_FOUND (``Check``) or SERVICE_UNKNOWN (``Watch``), as the protocol says.

Two sources per service, the latest one wins: a ``Watch`` stream, which reports a change
(or a crash: the stream breaks) the moment it happens, and a ``Check`` every
``GATEWAY_HEALTH_POLL_S`` with a timeout, which notices a service that hangs while its
stream stays open. ``Watch`` streams through the gateway get a message only on a change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.common.clients import check_health

logger = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class MeshHealthWatcher:
    """Follows each service's health and mirrors it into ``servicer``.

    ``channels`` maps a service name ("pitch") to a channel to it, ``protobuf_services``
    the name to the protobuf services it implements. Every status starts NOT_SERVING
    until the service has answered.
    """

    def __init__(
        self,
        servicer: health.HealthServicer,
        channels: Mapping[str, grpc.Channel],
        protobuf_services: Mapping[str, list[str]],
        poll_interval_s: float,
    ) -> None:
        self._servicer = servicer
        self._channels = dict(channels)
        self._protobuf_services = {name: list(protobuf_services[name]) for name in channels}
        self._poll_interval_s = poll_interval_s
        # A check that outlives the interval would only pile up behind the next one.
        self._timeout_s = min(poll_interval_s, 1.0)
        self._serving = dict.fromkeys(self._channels, False)
        self._published: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watch_calls: dict[str, grpc.Future] = {}
        self._threads = [
            threading.Thread(target=target, args=(name,), name=f"health-{name}", daemon=True)
            for name in self._channels
            for target in (self._poll, self._watch)
        ]
        self._publish()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            for call in self._watch_calls.values():
                call.cancel()
        for thread in self._threads:
            thread.join(timeout=self._timeout_s + 1)

    def _record(self, name: str, serving: bool, how: str) -> None:
        with self._lock:
            if serving != self._serving[name]:
                logger.log(
                    logging.INFO if serving else logging.WARNING,
                    "%s is %s (%s)",
                    name,
                    "serving" if serving else "not serving",
                    how,
                )
            self._serving[name] = serving
            self._publish()

    def _poll(self, name: str) -> None:
        while not self._stop.is_set():
            report = check_health(self._channels[name], self._timeout_s)
            self._record(name, report.serving, f"check: {report.status} {report.detail}".strip())
            self._stop.wait(self._poll_interval_s)

    def _watch(self, name: str) -> None:
        stub = health_pb2_grpc.HealthStub(self._channels[name])
        while not self._stop.is_set():
            call = stub.Watch(health_pb2.HealthCheckRequest(service=""))
            with self._lock:
                self._watch_calls[name] = call
            try:
                for response in call:
                    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
                    self._record(name, response.status == SERVING, f"watch: {status}")
            except grpc.RpcError as error:
                if self._stop.is_set():
                    return
                code = error.code() if isinstance(error, grpc.Call) else None
                self._record(name, False, f"watch: {code.name if code else error}")
            self._stop.wait(self._poll_interval_s)

    def _publish(self) -> None:
        """Sets every status that changed (the servicer tells watchers on each set)."""
        statuses = {"": SERVING if all(self._serving.values()) else NOT_SERVING}
        for name, serving in self._serving.items():
            for protobuf_service in self._protobuf_services[name]:
                statuses[protobuf_service] = SERVING if serving else NOT_SERVING
        for service, status in statuses.items():
            if self._published.get(service) != status:
                self._servicer.set(service, status)
                self._published[service] = status
