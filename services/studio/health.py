"""The health of the whole mesh, as `GET /health` reports it."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

from services.common.clients import HealthReport, check_health
from services.common.settings import Settings


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


def mesh_health(
    channels: Mapping[str, grpc.Channel], settings: Settings, timeout_s: float = 1.0
) -> MeshHealth:
    """Checks every service's gRPC health in parallel.

    ``channels`` maps service names to open channels; the studio itself is reported as
    serving since it is the one answering.
    """
    with ThreadPoolExecutor(max_workers=max(1, len(channels))) as pool:
        pending = {
            name: pool.submit(check_health, channel, timeout_s)
            for name, channel in channels.items()
        }
        services = {name: future.result() for name, future in pending.items()}
    if "studio" in settings.mesh_services:
        services["studio"] = HealthReport("SERVING", 0.0)
    providers = provider_states(settings)
    degraded = any(not report.serving for report in services.values()) or any(
        state.status == "degraded" for state in providers.values()
    )
    return MeshHealth("degraded" if degraded else "ok", services, providers)
