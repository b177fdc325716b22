"""gRPC wiring of the pitch service: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterator

import grpc
from expertmusic.pitch.v1 import pitch_pb2, pitch_pb2_grpc
from google.api import httpbody_pb2

from services.common.audio import decode_audio
from services.common.cancellation import JobSlots, raise_if_cancelled
from services.common.convert import melody_to_proto
from services.common.errors import grpc_errors
from services.common.f0.engines import use_torch_threads
from services.common.forms import read_upload_within, set_form_fields
from services.common.music import Melody
from services.common.scores import midi
from services.common.server import ServiceSpec, cancellation_of
from services.common.settings import Settings
from services.common.uploads import read_streamed_upload
from services.pitch.melody import RecordingTooShortError, extract_melody
from services.pitch.melody import warm_up as pitch_warm_up

#: Engines whose jobs take seconds of every core per second of audio (and GBs at peak):
#: only a few run at once per replica (PITCH_CREPE_FULL_JOBS_AT_ONCE).
HEAVY_ENGINES = frozenset({"crepe-full"})


class PitchServicer(pitch_pb2_grpc.PitchServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._heavy_slots = JobSlots(
            "crepe-full",
            settings.pitch_crepe_full_jobs_at_once,
            settings.pitch_crepe_full_jobs_waiting,
        )

    @grpc_errors
    def ExtractMelody(
        self,
        request_iterator: Iterator[pitch_pb2.ExtractMelodyRequest],
        context: grpc.ServicerContext,
    ) -> pitch_pb2.ExtractMelodyResponse:
        options, data = read_streamed_upload(
            request_iterator, max_bytes=self._settings.max_upload_bytes
        )
        melody = self._melody_of(
            data, options or pitch_pb2.ExtractionOptions(), cancellation_of(context)
        )
        return pitch_pb2.ExtractMelodyResponse(melody=melody_to_proto(melody))

    @grpc_errors
    def UploadMelody(
        self, request: pitch_pb2.UploadMelodyRequest, context: grpc.ServicerContext
    ) -> pitch_pb2.UploadMelodyResponse:
        audio = self._uploaded_audio(request)
        options = pitch_pb2.ExtractionOptions(
            engine=request.engine,
            include_contour=request.include_contour,
            min_note_duration_s=request.min_note_duration_s,
        )
        melody = self._melody_of(audio, options, cancellation_of(context))
        return pitch_pb2.UploadMelodyResponse(melody=melody_to_proto(melody))

    @grpc_errors
    def ExportMidi(
        self, request_iterator: Iterator[pitch_pb2.ExportMidiRequest], context: grpc.ServicerContext
    ) -> pitch_pb2.ExportMidiResponse:
        options, data = read_streamed_upload(
            request_iterator, max_bytes=self._settings.max_upload_bytes
        )
        melody = self._melody_of(
            data, options or pitch_pb2.ExtractionOptions(), cancellation_of(context)
        )
        return pitch_pb2.ExportMidiResponse(
            midi_file=midi.melody_to_midi(melody), melody=melody_to_proto(melody)
        )

    @grpc_errors
    def UploadMidi(
        self, request: pitch_pb2.UploadMidiRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        audio = self._uploaded_audio(request)
        options = pitch_pb2.ExtractionOptions(
            engine=request.engine, min_note_duration_s=request.min_note_duration_s
        )
        melody = self._melody_of(audio, options, cancellation_of(context))
        return httpbody_pb2.HttpBody(
            content_type=midi.CONTENT_TYPE, data=midi.melody_to_midi(melody)
        )

    def _uploaded_audio(
        self, request: pitch_pb2.UploadMelodyRequest | pitch_pb2.UploadMidiRequest
    ) -> bytes:
        """The audio of a REST upload, a raw body or a multipart/form-data form; a form's
        other fields are set onto ``request`` (over the query string's options)."""
        upload = read_upload_within(
            request.audio.content_type, request.audio.data, self._settings.max_upload_bytes
        )
        set_form_fields(request, upload.fields)
        return upload.audio

    def _melody_of(
        self, data: bytes, options: pitch_pb2.ExtractionOptions, cancelled: threading.Event
    ) -> Melody:
        audio = decode_audio(data, max_duration_s=self._settings.max_audio_duration_s)
        raise_if_cancelled(cancelled, "decoding the upload")
        engine = options.engine or self._settings.default_pitch_engine
        heavy = engine in HEAVY_ENGINES
        with self._heavy_slots.slot(cancelled) if heavy else contextlib.nullcontext():
            try:
                melody = extract_melody(
                    audio.samples,
                    audio.sample_rate_hz,
                    engine=engine,
                    include_contour=options.include_contour,
                    min_note_duration_s=options.min_note_duration_s or None,
                    cancelled=cancelled,
                )
            except RecordingTooShortError as error:
                if not audio.warnings:
                    raise
                # A file cut short is why it is short ("... header promises 12.0 s").
                raise RecordingTooShortError(
                    error.duration_s, error.min_duration_s, why="; ".join(audio.warnings)
                ) from None
        if not audio.warnings:
            return melody
        return dataclasses.replace(melody, warnings=[*audio.warnings, *melody.warnings])


def register(server: grpc.Server, settings: Settings) -> None:
    use_torch_threads(settings.pitch_torch_threads)
    pitch_pb2_grpc.add_PitchServiceServicer_to_server(PitchServicer(settings), server)


SPEC = ServiceSpec(
    name="pitch",
    protobuf_services=[pitch_pb2.DESCRIPTOR.services_by_name["PitchService"].full_name],
    register=register,
    warm_up=pitch_warm_up,
)
