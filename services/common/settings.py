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
    "web": 50056,
    "generation": 50057,
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
    #: Connections Envoy accepts at once before refusing new ones.
    gateway_max_connections: int = 10_000
    #: Melody-to-vocals takes each gateway starts per minute; more get HTTP 429 (0 = no limit).
    gateway_vocals_per_minute: int = 120
    #: On SIGTERM, how long the gateway waits for requests in flight, in seconds.
    gateway_drain_timeout_s: float = 20.0
    #: Where the rendered envoy.yaml goes ("" = a new temporary directory).
    gateway_config_dir: str = ""
    envoy_log_level: str = "warn"
    #: Client API keys: a file of ``name=key`` lines (see gateway/keys.py). "" = no keys,
    #: anyone who reaches the gateway may call (local ``make up``; said at start).
    gateway_api_keys_file: str = ""
    #: Refuse to start without a key file (the production overlay sets it).
    gateway_require_api_keys: bool = False
    #: How often the gateway reads the key file for changes, in seconds.
    gateway_api_keys_reload_s: float = 2.0
    #: Loopback port of the gateway's own gRPC server: the mesh's aggregated
    #: grpc.health.v1.Health and reflection of every public service, behind Envoy.
    gateway_local_grpc_port: int = 9902
    #: How often the gateway checks the health of every service, in seconds.
    gateway_health_poll_s: float = 1.0
    #: How long a call that finds its service down (connection refused: restarting) is
    #: retried by the gateway before it gets 503, in seconds (0 = at once).
    gateway_restart_wait_s: float = 10.0

    #: The services this deployment runs: the supervisor starts them and /health checks them.
    mesh_services: Annotated[list[str], NoDecode] = [
        "pitch",
        "lyrics",
        "synth",
        "registry",
        "studio",
        "web",
        "generation",
    ]
    #: Trainer processes (``python -m services.trainer``) the supervisor runs beside the
    #: registry (0 = none).
    training_workers: int = 1

    # Where each service listens (bind) and where the others find it (address).
    #: The interface every service's gRPC and metrics ports (and the gateway's metrics)
    #: bind to: loopback on one machine, so nothing skips the gateway's keys and limits;
    #: 0.0.0.0 in Kubernetes, where NetworkPolicies decide who may connect.
    service_bind_host: str = "127.0.0.1"
    pitch_address: str = f"127.0.0.1:{SERVICE_PORTS['pitch']}"
    lyrics_address: str = f"127.0.0.1:{SERVICE_PORTS['lyrics']}"
    synth_address: str = f"127.0.0.1:{SERVICE_PORTS['synth']}"
    registry_address: str = f"127.0.0.1:{SERVICE_PORTS['registry']}"
    studio_address: str = f"127.0.0.1:{SERVICE_PORTS['studio']}"
    web_address: str = f"127.0.0.1:{SERVICE_PORTS['web']}"
    generation_address: str = f"127.0.0.1:{SERVICE_PORTS['generation']}"
    #: Prometheus metrics port of a service = its gRPC port + this offset (0 disables).
    metrics_port_offset: int = 1000
    grpc_workers: int = 8
    grace_period_s: float = 10.0
    #: Threads of numpy's BLAS (OpenBLAS) in a service; 0 = the library's default (one
    #: per core). A call's matrices are small: with one thread a pitch extract of 12 s
    #: took 86 ms and 127 ms of CPU, with two (the default) 100 ms and 195 ms, the second
    #: thread spinning while it waits (2026-12-01, 2 cores).
    blas_threads: int = 1

    # Limits (the seed's: 10 MB uploads; timeouts per stage)
    max_upload_bytes: int = 10 * MEBIBYTE
    max_audio_duration_s: float = 300.0
    pitch_timeout_s: float = 30.0
    lyrics_timeout_s: float = 60.0
    synth_timeout_s: float = 300.0

    # Pitch
    default_pitch_engine: str = "swift"
    #: Threads of the CREPE engines (torch's pool); 0 = one per CPU the process may use.
    pitch_torch_threads: int = 0
    #: crepe-full jobs one pitch replica runs at once (each uses every core, and up to
    #: ~1 GB); 0 = no limit. Up to PITCH_CREPE_FULL_JOBS_WAITING more wait their turn while
    #: their caller waits; beyond that a job is refused (RESOURCE_EXHAUSTED / HTTP 429).
    pitch_crepe_full_jobs_at_once: int = 1
    pitch_crepe_full_jobs_waiting: int = 4

    # Synth
    #: Memory for phrases sung recently (a revised take sings only its changed phrases
    #: again), in MiB per synth process; 0 keeps none.
    synth_phrase_cache_mb: int = 64
    #: Threads of one piper (onnxruntime) speech call; 0 = one per core. One, because a
    #: take already speaks on a second core (the next phrases, ahead of the singing):
    #: with two, a lone phrase is said in half the time on a quiet machine, but a whole
    #: 12 s take measured 4 % slower and 9 % more CPU (spinning pool threads, onnxruntime's
    #: default and now turned off, had cost 1.5x the CPU on busy cores).
    synth_speech_threads: int = 1
    #: Threads of the piper call that says a take's first phrase when no other speech is
    #: being said in the synth process: nothing else of the take can run until it is
    #: said (its first audio waits on it), so the second core would sit idle. Two cut a
    #: 2 s phrase from 215 to 163 ms (2026-12-01). 1 turns it off.
    synth_first_speech_threads: int = 2

    # Lyrics
    #: Who writes when a request names no provider: "local", "anthropic", "openai", "auto".
    lyrics_default_provider: str = "local"
    #: Rhyme scheme when a request names none ("AABB", "ABAB", ... or "none").
    lyrics_default_rhyme_scheme: str = "AABB"
    #: Most notes (syllables) one request may ask words for.
    lyrics_max_notes: int = 1000
    #: Longest theme, and longest mood or genre, in characters (they are sent to LLMs).
    lyrics_max_theme_chars: int = 500
    lyrics_max_style_chars: int = 60
    #: Longest user-written lyrics to fit, in characters.
    lyrics_max_user_lyrics_chars: int = 5000
    #: One LLM call's timeout, in seconds (the whole request has lyrics_timeout_s).
    lyrics_llm_call_timeout_s: float = 20.0
    #: Tries per LLM provider (first call included) and the backoff between them.
    lyrics_retry_attempts: int = 3
    lyrics_retry_base_delay_s: float = 0.5
    lyrics_retry_max_delay_s: float = 8.0
    #: A provider that failed within this many seconds (and has not succeeded since)
    #: shows as degraded in /health.
    lyrics_degraded_window_s: float = 300.0

    # Optional providers: each switches on when its key is set.
    anthropic_api_key: str = ""
    anthropic_base_url: str = ""
    anthropic_model: str = "claude-sonnet-4-5"
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o"
    replicate_api_token: str = ""
    replicate_base_url: str = ""
    #: Model versions ("owner/name:version-id") of the synth's Replicate engines; the
    #: MusicGen one is the seed's registry entry "melody".
    replicate_bark_version: str = (
        "suno-ai/bark:b76242b40d67c76ab6742e987628a2a9ac019e11d56ab96c4e91ce03b79b2787"
    )
    replicate_musicgen_melody_version: str = (
        "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"
    )
    #: Seconds between polls of a running prediction, and per HTTP request to Replicate.
    replicate_poll_interval_s: float = 1.0
    replicate_request_timeout_s: float = 30.0
    #: Tries per Replicate call (create, poll, fetch) for transient failures, and the
    #: first backoff in seconds (doubled per retry).
    replicate_retry_attempts: int = 3
    replicate_retry_base_delay_s: float = 1.0
    #: The MusicGen fine-tuning trainer on Replicate ("owner/name:version-id"), e.g. a
    #: version of sakemin/musicgen-fine-tuner; the "replicate" training backend needs it.
    replicate_musicgen_trainer_version: str = ""
    #: The Replicate account (user or organization) fine-tuned models are pushed to, as
    #: "<owner>/<model name>"; the model is created there (private) if it does not exist.
    replicate_owner: str = ""
    #: Hardware of a destination model the training backend creates on Replicate.
    replicate_training_hardware: str = "gpu-l40s"
    #: Seconds between polls of a running Replicate training, and how long one may run.
    replicate_training_poll_interval_s: float = 15.0
    replicate_training_timeout_s: float = 6 * 3600.0
    #: A MusicGen checkpoint on disk (a transformers ``save_pretrained`` directory, e.g.
    #: facebook/musicgen-small) for generating without Replicate; "" when there is none.
    musicgen_model_dir: str = ""
    #: Longest a MusicGen generation on Replicate may take before it is cancelled, in s.
    generation_timeout_s: float = 300.0
    #: How long generation waits for the registry to look a model up, in seconds.
    registry_lookup_timeout_s: float = 5.0

    # Storage: files under data_dir (SQLite, artifacts) unless these are set.
    data_dir: Path = Path("var")
    #: PostgreSQL for the registry, e.g. postgresql://user:pass@db:5432/expertmusic.
    database_url: str = ""
    #: S3-compatible storage for takes, datasets and checkpoints (credentials: AWS_*).
    s3_endpoint_url: str = ""
    s3_bucket: str = ""

    # Studio
    #: Takes one studio works on at once; more wait in its queue (services/studio/admission.py).
    studio_takes_running: int = 4
    #: Takes that may wait behind them; one more is refused at once (HTTP 429, retry-after).
    studio_takes_waiting: int = 64
    #: How long a take waits for pitch, lyrics or synth when it finds the service not
    #: reachable (restarting), in seconds; then it fails with 503 / UNAVAILABLE naming it.
    #: A call already delivered is not bounded by this, only by the stage's timeout.
    studio_restart_wait_s: float = 10.0
    #: How long takes are kept before they are deleted, in seconds (a day by default).
    take_time_to_live_s: float = 86_400.0
    #: How often expired takes are swept away, in seconds.
    take_sweep_interval_s: float = 600.0
    #: The URL clients reach the gateway at, for links in responses; empty means
    #: http://localhost:<EXPERT_MUSIC_AI_PORT>.
    public_base_url: str = ""

    # Web studio
    #: The web studio's files (HTML, CSS, JavaScript modules), served at /studio.
    web_root: Path = Path(__file__).resolve().parents[2] / "web"

    # Registry: training job queue
    #: How long a worker's claim on a training job lasts without a heartbeat, in seconds.
    registry_lease_s: float = 60.0
    #: Claims a training job gets (the first run plus resumptions) before it fails.
    registry_max_attempts: int = 3
    #: How often an idle training worker looks for queued jobs, in seconds.
    registry_worker_poll_s: float = 2.0
    #: Shortest time between two persisted progress reports of one job, in seconds.
    registry_progress_interval_s: float = 1.0

    # Registry: training-data uploads (a raw audio file or a zip of them)
    dataset_max_upload_bytes: int = 200 * MEBIBYTE
    #: Total size of a zip's members once extracted, in bytes.
    dataset_max_uncompressed_bytes: int = 1024 * MEBIBYTE
    dataset_max_zip_members: int = 500
    #: Largest uncompressed/compressed size ratio of a zip member (zip bombs reach 1000+).
    dataset_max_compression_ratio: float = 100.0
    #: Total audio in one dataset, in seconds.
    dataset_max_duration_s: float = 3600.0

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

    @property
    def public_url(self) -> str:
        return (self.public_base_url or f"http://localhost:{self.gateway_port}").rstrip("/")

    def address_of(self, service: str) -> str:
        """host:port where the named service is reached."""
        address: str = getattr(self, f"{service}_address")
        return address

    def port_of(self, service: str) -> int:
        return int(self.address_of(service).rsplit(":", 1)[1])

    def metrics_port_of(self, service: str) -> int:
        return self.port_of(service) + self.metrics_port_offset if self.metrics_port_offset else 0

    @property
    def gateway_metrics_port(self) -> int:
        """Where Envoy's own metrics are served (``/metrics``); 0 when metrics are off."""
        return self.gateway_port + self.metrics_port_offset if self.metrics_port_offset else 0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
