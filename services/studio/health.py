"""The health of the whole mesh, as `GET /health` reports it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc

from services.common.clients import HealthReport, check_health
from services.common.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderState:
    configured: bool
    status: str
    detail: str


@dataclass(frozen=True)
class MeshHealth:
    status: str  # "ok" or "degraded"
    services: dict[str, HealthReport]
    providers: dict[str, ProviderState]

    @property
    def services_down(self) -> list[str]:
        return [name for name, report in self.services.items() if not report.serving]


def provider_states(settings: Settings) -> dict[str, ProviderState]:
    """Which optional external providers are switched on by configuration."""
    switches = {
        "anthropic": (settings.anthropic_api_key, "ANTHROPIC_API_KEY"),
        "openai": (settings.openai_api_key, "OPENAI_API_KEY"),
        "replicate": (settings.replicate_api_token, "REPLICATE_API_TOKEN"),
        "postgresql": (settings.database_url, "DATABASE_URL"),
        "s3": (settings.s3_endpoint_url or settings.s3_bucket, "S3_ENDPOINT_URL / S3_BUCKET"),
    }
    return {
        name: (
            ProviderState(True, "configured", f"{variable} is set")
            if value
            else ProviderState(False, "not_configured", f"set {variable} to enable it")
        )
        for name, (value, variable) in switches.items()
    }


def lyrics_provider_states(channel: grpc.Channel, timeout_s: float) -> dict[str, ProviderState]:
    """The LLM providers the lyrics service saw failing recently ("degraded")."""
    try:
        response = lyrics_pb2_grpc.LyricsServiceStub(channel).ListProviders(
            lyrics_pb2.ListProvidersRequest(), timeout=timeout_s, wait_for_ready=False
        )
    except grpc.RpcError as error:
        # The lyrics service's own health check reports it when it is down.
        logger.debug("could not ask the lyrics service for its providers: %s", error)
        return {}
    return {
        name: ProviderState(True, status.state, status.detail)
        for name, status in response.providers.items()
        if status.state == "degraded"
    }


def mesh_health(
    channels: Mapping[str, grpc.Channel], settings: Settings, timeout_s: float = 1.0
) -> MeshHealth:
    """Checks every service's gRPC health, and the lyrics providers, in parallel.

    ``channels`` maps service names to open channels; the studio itself is reported as
    serving since it is the one answering.
    """
    with ThreadPoolExecutor(max_workers=len(channels) + 1) as pool:
        pending = {
            name: pool.submit(check_health, channel, timeout_s)
            for name, channel in channels.items()
        }
        lyrics_providers = (
            pool.submit(lyrics_provider_states, channels["lyrics"], timeout_s)
            if "lyrics" in channels
            else None
        )
        services = {name: future.result() for name, future in pending.items()}
        providers = provider_states(settings) | (
            lyrics_providers.result() if lyrics_providers else {}
        )
    if "studio" in settings.mesh_services:
        services["studio"] = HealthReport("SERVING", 0.0)
    degraded = any(not report.serving for report in services.values()) or any(
        state.status == "degraded" for state in providers.values()
    )
    return MeshHealth("degraded" if degraded else "ok", services, providers)
