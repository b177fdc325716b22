"""Every setting of the mesh, in one place.

Values come from the environment, then from a ``.env`` file in the working directory
(as in the seed), then from the defaults below. The seed's names are kept:
``EXPERT_MUSIC_AI_PORT``, ``LOG_LEVEL``, ``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``,
``REPLICATE_API_TOKEN``. Everything else is the field name in upper case.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services import __version__

MEBIBYTE = 1024 * 1024

#: name -> default gRPC port. The order is the order the supervisor starts them in.
SERVICE_PORTS: dict[str, int] = {
    "pitch": 50051,
    "lyrics": 50052,
    "synth": 50053,
    "registry": 50054,
    "studio": 50055,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    version: str = __version__
    log_level: str = "INFO"
    log_format: str = Field("json", description="'json' for machines, 'text' for people")

    # Gateway (Envoy)
    gateway_host: str = "0.0.0.0"
    gateway_port: int = Field(
        8003, validation_alias=AliasChoices("EXPERT_MUSIC_AI_PORT", "GATEWAY_PORT")
    )
    envoy_admin_port: int = 9901
    cors_allowed_origins: Annotated[list[str], NoDecode] = [
        "http://localhost:3000",
        "http://localhost:5173",
    ]
    #: Envoy's per-route timeout for REST and gRPC calls, in seconds (long audio work).
    gateway_route_timeout_s: float = 330.0

    #: The services this deployment runs: the supervisor starts them and /health checks them.
    mesh_services: Annotated[list[str], NoDecode] = ["pitch", "studio"]

    # Where each service listens (bind) and where the others find it (address).
    service_bind_host: str = "0.0.0.0"
    pitch_address: str = f"127.0.0.1:{SERVICE_PORTS['pitch']}"
    lyrics_address: str = f"127.0.0.1:{SERVICE_PORTS['lyrics']}"
    synth_address: str = f"127.0.0.1:{SERVICE_PORTS['synth']}"
    registry_address: str = f"127.0.0.1:{SERVICE_PORTS['registry']}"
    studio_address: str = f"127.0.0.1:{SERVICE_PORTS['studio']}"
    #: Prometheus metrics port of a service = its gRPC port + this offset (0 disables).
    metrics_port_offset: int = 1000
    grpc_workers: int = 8
    grace_period_s: float = 10.0

    # Limits (the seed's: 10 MB uploads; timeouts per stage)
    max_upload_bytes: int = 10 * MEBIBYTE
    max_audio_duration_s: float = 300.0
    pitch_timeout_s: float = 30.0
    lyrics_timeout_s: float = 60.0
    synth_timeout_s: float = 300.0

    # Pitch
    default_pitch_engine: str = "swift"

    # Optional providers: each switches on when its key is set.
    anthropic_api_key: str = ""
    anthropic_base_url: str = ""
    anthropic_model: str = "claude-sonnet-4-5"
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o"
    replicate_api_token: str = ""
    replicate_base_url: str = ""
    database_url: str = ""
    s3_endpoint_url: str = ""
    s3_bucket: str = ""

    # Local storage
    data_dir: Path = Path("var")

    # Tracing: OTLP/gRPC collector endpoint, e.g. http://otel-collector:4317 ("" = none).
    otel_exporter_otlp_endpoint: str = ""
    #: Write finished spans to the log (useful without a collector).
    otel_console_export: bool = False

    @field_validator("cors_allowed_origins", "mesh_services", mode="before")
    @classmethod
    def _split_comma_separated(cls, value: object) -> object:
        # CORS_ALLOWED_ORIGINS=http://a.example,http://b.example
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def address_of(self, service: str) -> str:
        """host:port where the named service is reached."""
        address: str = getattr(self, f"{service}_address")
        return address

    def bind_address_of(self, service: str) -> str:
        return f"{self.service_bind_host}:{self.port_of(service)}"

    def port_of(self, service: str) -> int:
        return int(self.address_of(service).rsplit(":", 1)[1])

    def metrics_port_of(self, service: str) -> int:
        return self.port_of(service) + self.metrics_port_offset if self.metrics_port_offset else 0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
