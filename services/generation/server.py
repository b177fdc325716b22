"""gRPC wiring of the generation service: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from expertmusic.generation.v1 import generation_pb2, generation_pb2_grpc
from google.api import httpbody_pb2

from services.common.artifacts import artifact_store_from_settings
from services.common.convert import note_from_proto
from services.common.errors import grpc_errors
from services.common.media_types import AUDIO_MEDIA_TYPES
from services.common.server import ServiceSpec, cancellation_of
from services.common.settings import Settings
from services.generation.catalogue import RegistryCatalogue
from services.generation.generation import (
    GenerationProgress,
    GenerationRequest,
    GenerationTarget,
    ModelCatalogue,
    MusicGenerator,
    TargetKind,
    resolve_target,
)

_TARGET_KIND_TO_PROTO = {
    TargetKind.INSTRUMENT: generation_pb2.GENERATION_TARGET_KIND_INSTRUMENT,
    TargetKind.REPLICATE_MUSICGEN: generation_pb2.GENERATION_TARGET_KIND_REPLICATE_MUSICGEN,
    TargetKind.LOCAL_MUSICGEN: generation_pb2.GENERATION_TARGET_KIND_LOCAL_MUSICGEN,
}
AUDIO_CHUNK_BYTES = 64 * 1024


def generation_request_from_proto(spec: generation_pb2.GenerationSpec) -> GenerationRequest:
    return GenerationRequest(
        prompt=spec.prompt,
        duration_s=spec.duration_s or GenerationRequest.duration_s,
        notes=[note_from_proto(note) for note in spec.notes],
        melody_audio=spec.melody_audio,
        sample_rate_hz=spec.sample_rate_hz,
        seed=spec.seed,
    )


class GenerationServicer(generation_pb2_grpc.GenerationServiceServicer):
    def __init__(
        self, catalogue: ModelCatalogue, generator: MusicGenerator, settings: Settings
    ) -> None:
        self._catalogue = catalogue
        self._generator = generator
        self._settings = settings

    @grpc_errors
    def GenerateMusic(
        self, request: generation_pb2.GenerateMusicRequest, context: grpc.ServicerContext
    ) -> Iterator[generation_pb2.GenerateMusicResponse]:
        target, generation_request = self._resolve(request.spec)
        for event in self._generator.generate_events(
            target, generation_request, cancelled=cancellation_of(context)
        ):
            if isinstance(event, GenerationProgress):
                yield generation_pb2.GenerateMusicResponse(
                    progress=generation_pb2.GenerationProgress(
                        stage=event.stage, fraction=event.fraction
                    )
                )
                continue
            wav = event.wav_bytes()
            for start in range(0, len(wav), AUDIO_CHUNK_BYTES):
                yield generation_pb2.GenerateMusicResponse(
                    audio_chunk=generation_pb2.GeneratedAudioChunk(
                        data=wav[start : start + AUDIO_CHUNK_BYTES]
                    )
                )
            yield generation_pb2.GenerateMusicResponse(
                summary=generation_pb2.GenerationSummary(
                    model=event.target.name,
                    kind=_TARGET_KIND_TO_PROTO[event.target.kind],
                    version=event.target.version,
                    duration_s=event.duration_s,
                    sample_rate_hz=event.sample_rate_hz,
                    content_type=AUDIO_MEDIA_TYPES["wav"],
                    audio_bytes=len(wav),
                    warnings=event.warnings,
                )
            )

    @grpc_errors
    def GenerateMusicFile(
        self, request: generation_pb2.GenerateMusicFileRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        target, generation_request = self._resolve(request.spec)
        music = self._generator.generate(
            target, generation_request, cancelled=cancellation_of(context)
        )
        return httpbody_pb2.HttpBody(content_type=AUDIO_MEDIA_TYPES["wav"], data=music.wav_bytes())

    def _resolve(
        self, spec: generation_pb2.GenerationSpec
    ) -> tuple[GenerationTarget, GenerationRequest]:
        target = resolve_target(spec.model, self._catalogue, self._settings)
        return target, generation_request_from_proto(spec)


def register(server: grpc.Server, settings: Settings) -> None:
    generator = MusicGenerator(settings, artifact_store_from_settings(settings))
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(
        GenerationServicer(RegistryCatalogue(settings), generator, settings), server
    )


SPEC = ServiceSpec(
    name="generation",
    protobuf_services=[
        generation_pb2.DESCRIPTOR.services_by_name["GenerationService"].full_name,
    ],
    register=register,
)
