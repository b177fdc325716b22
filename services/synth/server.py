"""gRPC wiring of the synth service: protobuf <-> services.synth.render."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from expertmusic.synth.v1 import synth_pb2, synth_pb2_grpc
from google.api import httpbody_pb2

from services.common.convert import melody_from_proto, syllable_from_proto
from services.common.errors import InvalidInputError, grpc_errors
from services.common.server import ServiceSpec, cancellation_of
from services.common.settings import MEBIBYTE, Settings
from services.synth.phrase_cache import PhraseCache
from services.synth.render import sing, sing_to_bytes
from services.synth.render import warm_up as synth_warm_up
from services.synth.types import (
    AudioChunk,
    Engine,
    OutputFormat,
    Progress,
    RangePolicy,
    SingOptions,
    SingRequest,
    SingSummary,
)
from services.synth.voices import all_voices, unavailable_reason

_RANGE_POLICIES = {
    synth_pb2.RANGE_POLICY_UNSPECIFIED: RangePolicy.FIT_OCTAVES,
    synth_pb2.RANGE_POLICY_FIT_OCTAVES: RangePolicy.FIT_OCTAVES,
    synth_pb2.RANGE_POLICY_FIT_SEMITONES: RangePolicy.FIT_SEMITONES,
    synth_pb2.RANGE_POLICY_KEEP: RangePolicy.KEEP,
}
_FORMATS = {
    synth_pb2.AUDIO_FORMAT_UNSPECIFIED: OutputFormat.WAV,
    synth_pb2.AUDIO_FORMAT_WAV: OutputFormat.WAV,
    synth_pb2.AUDIO_FORMAT_FLAC: OutputFormat.FLAC,
}


def options_from_proto(message: synth_pb2.SingOptions) -> SingOptions:
    defaults = SingOptions()
    return SingOptions(
        range_policy=_RANGE_POLICIES[message.range_policy],
        transpose_semitones=message.transpose_semitones,
        vibrato_depth_cents=(
            message.vibrato_depth_cents
            if message.HasField("vibrato_depth_cents")
            else defaults.vibrato_depth_cents
        ),
        vibrato_rate_hz=message.vibrato_rate_hz or defaults.vibrato_rate_hz,
        breathiness=(
            message.breathiness if message.HasField("breathiness") else defaults.breathiness
        ),
        tempo_scale=message.tempo_scale or defaults.tempo_scale,
        output_format=_FORMATS[message.format],
        sample_rate_hz=message.sample_rate_hz,
    )


def request_from_proto(message: synth_pb2.SingRequest | synth_pb2.SingAudioRequest) -> SingRequest:
    engine_name = message.engine or Engine.LOCAL.value
    try:
        engine = Engine(engine_name)
    except ValueError:
        raise InvalidInputError(
            f"unknown synth engine {engine_name!r}; choose one of: "
            + ", ".join(engine.value for engine in Engine)
        ) from None
    return SingRequest(
        melody=melody_from_proto(message.melody),
        syllables=[
            syllable_from_proto(syllable)
            for line in message.lyrics.lines
            for syllable in line.syllables
        ],
        voice_id=_voice_id(message),
        engine=engine,
        options=options_from_proto(message.options),
    )


def _voice_id(message: synth_pb2.SingRequest | synth_pb2.SingAudioRequest) -> str:
    """The voice asked for: ``voice_id``, or the REST request's ``voice``.

    Raises InvalidInputError when both are given and differ.
    """
    voice = message.voice if isinstance(message, synth_pb2.SingAudioRequest) else ""
    if voice and message.voice_id and voice != message.voice_id:
        raise InvalidInputError(
            f"the voice is given twice, as 'voice' ({voice!r}) and 'voice_id' "
            f"({message.voice_id!r}); give one"
        )
    return voice or message.voice_id


def event_to_proto(event: Progress | AudioChunk | SingSummary) -> synth_pb2.SingResponse:
    if isinstance(event, Progress):
        return synth_pb2.SingResponse(
            progress=synth_pb2.SingProgress(stage=event.stage, fraction=event.fraction)
        )
    if isinstance(event, AudioChunk):
        return synth_pb2.SingResponse(
            audio=synth_pb2.AudioChunk(
                data=event.data,
                start_s=event.start_s,
                end_s=event.end_s,
                content_type=event.media_type,
                sample_rate_hz=event.sample_rate_hz,
            )
        )
    return synth_pb2.SingResponse(
        summary=synth_pb2.SingSummary(
            duration_s=event.duration_s,
            sample_rate_hz=event.sample_rate_hz,
            engine=event.engine.value,
            voice_id=event.voice_id,
            applied_transpose_semitones=event.applied_transpose_semitones,
            timings_s=event.timings_s,
            warnings=event.warnings,
            content_type=event.output_format.media_type,
            voice_reason=event.voice_reason,
            transposition_reason=event.transposition_reason,
        )
    )


class SynthServicer(synth_pb2_grpc.SynthServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._phrase_cache = PhraseCache(settings.synth_phrase_cache_mb * MEBIBYTE)

    @grpc_errors
    def Sing(
        self, request: synth_pb2.SingRequest, context: grpc.ServicerContext
    ) -> Iterator[synth_pb2.SingResponse]:
        for event in sing(
            request_from_proto(request),
            settings=self._settings,
            phrase_cache=self._phrase_cache,
            cancelled=cancellation_of(context),
        ):
            yield event_to_proto(event)

    @grpc_errors
    def SingAudio(
        self, request: synth_pb2.SingAudioRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        sing_request = request_from_proto(request)
        return httpbody_pb2.HttpBody(
            content_type=sing_request.options.output_format.media_type,
            data=sing_to_bytes(
                sing_request,
                settings=self._settings,
                phrase_cache=self._phrase_cache,
                cancelled=cancellation_of(context),
            ),
        )

    @grpc_errors
    def ListVoices(
        self, request: synth_pb2.ListVoicesRequest, context: grpc.ServicerContext
    ) -> synth_pb2.ListVoicesResponse:
        replicate_configured = bool(self._settings.replicate_api_token)
        voices = []
        for info in all_voices():
            reason = unavailable_reason(info, replicate_configured=replicate_configured)
            voices.append(
                synth_pb2.Voice(
                    voice_id=info.voice_id,
                    display_name=info.display_name,
                    engine=info.engine.value,
                    lowest_midi=info.lowest_midi,
                    highest_midi=info.highest_midi,
                    sample_rate_hz=info.sample_rate_hz,
                    licence=info.licence,
                    description=info.description,
                    available=reason is None,
                    unavailable_reason=reason or "",
                )
            )
        return synth_pb2.ListVoicesResponse(voices=voices)


def register(server: grpc.Server, settings: Settings) -> None:
    synth_pb2_grpc.add_SynthServiceServicer_to_server(SynthServicer(settings), server)


SPEC = ServiceSpec(
    name="synth",
    protobuf_services=[synth_pb2.DESCRIPTOR.services_by_name["SynthService"].full_name],
    register=register,
    warm_up=synth_warm_up,
)
