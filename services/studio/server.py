"""gRPC wiring of the studio service: banner, mesh health, the pipeline and its takes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2_grpc
from expertmusic.pitch.v1 import pitch_pb2_grpc
from expertmusic.studio.v1 import studio_pb2, studio_pb2_grpc
from expertmusic.synth.v1 import synth_pb2_grpc
from google.api import httpbody_pb2
from google.rpc import status_pb2

from services.common.artifacts import artifact_store_from_settings
from services.common.callers import client_name, metadata_value
from services.common.clients import open_channel
from services.common.convert import lyrics_from_proto, melody_from_proto
from services.common.downloads import content_disposition, file_name
from services.common.errors import UnavailableError, grpc_errors, status_for
from services.common.forms import read_upload_within
from services.common.media_types import AUDIO_MEDIA_TYPES
from services.common.scores import export_score
from services.common.server import ServiceSpec, cancellation_of
from services.common.settings import Settings
from services.common.uploads import read_streamed_upload
from services.studio.admission import TakeAdmission
from services.studio.health import mesh_health
from services.studio.idempotency import (
    IDEMPOTENCY_KEY_METADATA_KEY,
    IdempotencyKeys,
    request_digest,
)
from services.studio.options import options_from_rest
from services.studio.pipeline import StageStubs, VocalsPipeline
from services.studio.revision import checked_lyrics, checked_melody
from services.studio.takes import TakeStore, take_score

logger = logging.getLogger(__name__)

SERVICE_BANNER = "Expert Music AI"
#: Response metadata that the gateway passes on as the HTTP header of the same name.
VARY_HEADER = "vary"


class StudioServicer(studio_pb2_grpc.StudioServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._channels = {
            name: open_channel(settings.address_of(name), settings)
            for name in settings.mesh_services
            if name != "studio"
        }
        artifacts = artifact_store_from_settings(settings)
        self._takes = TakeStore(artifacts, settings.take_time_to_live_s)
        self._idempotency = IdempotencyKeys(artifacts, settings.take_time_to_live_s)
        self._admission = TakeAdmission(
            settings.studio_takes_running, settings.studio_takes_waiting
        )
        self._pipeline = VocalsPipeline(
            StageStubs(
                pitch=pitch_pb2_grpc.PitchServiceStub(self._channel("pitch")),
                lyrics=lyrics_pb2_grpc.LyricsServiceStub(self._channel("lyrics")),
                synth=synth_pb2_grpc.SynthServiceStub(self._channel("synth")),
                ready=lambda stage: grpc.channel_ready_future(self._channel(stage)),
            ),
            self._takes,
            settings,
        )

    def _channel(self, name: str) -> grpc.Channel:
        if name not in self._channels:  # a deployment without it: calls say which is missing
            self._channels[name] = open_channel(self._settings.address_of(name), self._settings)
        return self._channels[name]

    def GetServiceInfo(
        self, request: studio_pb2.GetServiceInfoRequest, context: grpc.ServicerContext
    ) -> studio_pb2.GetServiceInfoResponse:
        # The gateway sends a browser asking for HTML at `/` to the studio page instead:
        # a cache must keep the two answers apart.
        context.send_initial_metadata(((VARY_HEADER, "Accept"),))
        return studio_pb2.GetServiceInfoResponse(
            service=SERVICE_BANNER, version=self._settings.version, status="running"
        )

    @grpc_errors
    def GetHealth(
        self, request: studio_pb2.GetHealthRequest, context: grpc.ServicerContext
    ) -> studio_pb2.GetHealthResponse:
        health = mesh_health(
            {
                name: self._channels[name]
                for name in self._settings.mesh_services
                if name != "studio"
            },
            self._settings,
        )
        if health.services_down:
            raise UnavailableError(
                "not serving: "
                + "; ".join(
                    f"{name} at {self._settings.address_of(name)}"
                    f" ({health.services[name].status} {health.services[name].detail})".rstrip()
                    for name in health.services_down
                )
            )
        response = studio_pb2.GetHealthResponse(
            status=health.status, version=self._settings.version
        )
        for name, report in health.services.items():
            response.services[name].CopyFrom(
                studio_pb2.ServiceHealth(
                    status=report.status,
                    address=self._settings.address_of(name),
                    latency_ms=report.latency_ms,
                    detail=report.detail,
                )
            )
        for name, state in health.providers.items():
            response.providers[name].CopyFrom(
                studio_pb2.ProviderHealth(
                    configured=state.configured, status=state.status, detail=state.detail
                )
            )
        return response

    @grpc_errors
    def MelodyToVocals(
        self,
        request_iterator: Iterator[studio_pb2.MelodyToVocalsRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
        with self._take_slot(context):
            options, audio = read_streamed_upload(
                request_iterator, max_bytes=self._settings.max_upload_bytes
            )
            yield from self._new_take(audio, options or studio_pb2.VocalsOptions(), context)

    @grpc_errors
    def CreateTake(
        self, request: studio_pb2.CreateTakeRequest, context: grpc.ServicerContext
    ) -> studio_pb2.Take:
        with self._take_slot(context):
            audio, options = self._read_rest_upload(request)
            for event in self._new_take(audio, options, context):
                if event.HasField("take"):
                    return event.take
        raise RuntimeError("the pipeline ended without a take")

    @grpc_errors
    def StreamTake(
        self, request: studio_pb2.CreateTakeRequest, context: grpc.ServicerContext
    ) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
        with self._take_slot(context):
            audio, options = self._read_rest_upload(request)
            yield from _with_error_event(self._new_take(audio, options, context))

    @grpc_errors
    def ReviseTake(
        self, request: studio_pb2.ReviseTakeRequest, context: grpc.ServicerContext
    ) -> studio_pb2.Take:
        with self._take_slot(context):
            for event in self._pipeline.revise(
                request,
                context.time_remaining,
                owner=client_name(context),
                cancelled=cancellation_of(context),
            ):
                if event.HasField("take"):
                    return event.take
        raise RuntimeError("the revision ended without a take")

    @grpc_errors
    def StreamReviseTake(
        self, request: studio_pb2.ReviseTakeRequest, context: grpc.ServicerContext
    ) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
        with self._take_slot(context):
            yield from _with_error_event(
                self._pipeline.revise(
                    request,
                    context.time_remaining,
                    owner=client_name(context),
                    cancelled=cancellation_of(context),
                )
            )

    @grpc_errors
    def ListTakes(
        self, request: studio_pb2.ListTakesRequest, context: grpc.ServicerContext
    ) -> studio_pb2.ListTakesResponse:
        takes, next_page_token = self._takes.list_page(
            request.page_size, request.page_token, owner=client_name(context)
        )
        return studio_pb2.ListTakesResponse(takes=takes, next_page_token=next_page_token)

    @grpc_errors
    def DeleteTake(
        self, request: studio_pb2.DeleteTakeRequest, context: grpc.ServicerContext
    ) -> studio_pb2.DeleteTakeResponse:
        owner = client_name(context)
        self._takes.load(request.take_id, owner)  # another's take is "not found"
        self._idempotency.forget(request.take_id)
        deleted_files = self._takes.delete(request.take_id, owner)
        logger.info("take deleted", extra={"take_id": request.take_id, "files": deleted_files})
        return studio_pb2.DeleteTakeResponse(take_id=request.take_id, deleted_files=deleted_files)

    @grpc_errors
    def GetTake(
        self, request: studio_pb2.GetTakeRequest, context: grpc.ServicerContext
    ) -> studio_pb2.Take:
        return self._takes.load(request.take_id, client_name(context))

    @grpc_errors
    def GetTakeAudio(
        self, request: studio_pb2.GetTakeAudioRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        take = self._takes.load(request.take_id, client_name(context))
        data, media_type = self._takes.audio(take, request.format)
        extension = request.format or "wav"
        context.send_initial_metadata(
            content_disposition(file_name(_take_title(take), extension, "take"), inline=True)
        )
        return httpbody_pb2.HttpBody(content_type=media_type, data=data)

    @grpc_errors
    def GetTakeMidi(
        self, request: studio_pb2.GetTakeMidiRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        return self._take_score(request.take_id, "midi", context)

    @grpc_errors
    def GetTakeMusicXml(
        self, request: studio_pb2.GetTakeMusicXmlRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        return self._take_score(request.take_id, "musicxml", context)

    @grpc_errors
    def GetTakeUstx(
        self, request: studio_pb2.GetTakeUstxRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        return self._take_score(request.take_id, "ustx", context)

    @grpc_errors
    def GetTakeRecording(
        self, request: studio_pb2.GetTakeRecordingRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        take = self._takes.load(request.take_id, client_name(context))
        data, media_type = self._takes.recording(take)
        extension = next(
            (name for name, known in AUDIO_MEDIA_TYPES.items() if known == media_type), "bin"
        )
        name = file_name(_take_title(take), extension, "recording", suffix=" (recording)")
        context.send_initial_metadata(content_disposition(name, inline=True))
        return httpbody_pb2.HttpBody(content_type=media_type, data=data)

    @grpc_errors
    def ExportScore(
        self, request: studio_pb2.ExportScoreRequest, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        melody = checked_melody(
            melody_from_proto(request.melody), max_duration_s=self._settings.max_audio_duration_s
        )
        syllables = []
        if request.lyrics.lines:
            syllables = checked_lyrics(lyrics_from_proto(request.lyrics), melody).syllables
        score = export_score(request.format, melody, syllables, title=request.title)
        context.send_initial_metadata(
            content_disposition(file_name(request.title, score.extension, "score"))
        )
        return httpbody_pb2.HttpBody(content_type=score.media_type, data=score.data)

    def _take_score(
        self, take_id: str, score_format: str, context: grpc.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        take = self._takes.load(take_id, client_name(context))
        melody, syllables = take_score(take)
        title = _take_title(take)
        score = export_score(score_format, melody, syllables, title=title)
        context.send_initial_metadata(
            content_disposition(file_name(title, score.extension, "take"))
        )
        return httpbody_pb2.HttpBody(content_type=score.media_type, data=score.data)

    def _new_take(
        self, audio: bytes, options: studio_pb2.VocalsOptions, context: grpc.ServicerContext
    ) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
        """A new take's events, or, for a retry with the same Idempotency-Key, those of the
        take the first request made (its melody, lyrics and take: no audio chunks, which
        the take's audio_url serves)."""
        owner = client_name(context)
        with self._idempotency.request(
            owner,
            metadata_value(context, IDEMPOTENCY_KEY_METADATA_KEY),
            request_digest(audio, options),
            context.time_remaining,
        ) as earlier:
            if earlier.take_id:
                take = self._takes.load(earlier.take_id, owner)
                yield studio_pb2.MelodyToVocalsResponse(melody=take.melody)
                yield studio_pb2.MelodyToVocalsResponse(lyrics=take.lyrics)
                yield studio_pb2.MelodyToVocalsResponse(take=take)
                return
            for event in self._pipeline.run(
                audio,
                options,
                context.time_remaining,
                owner=owner,
                cancelled=cancellation_of(context),
            ):
                if event.HasField("take"):
                    earlier.remember(event.take.take_id)
                yield event

    def _take_slot(self, context: grpc.ServicerContext) -> AbstractContextManager[None]:
        """A place among the takes in progress (see admission.py); OverloadedError if none."""
        return self._admission.slot(context.time_remaining, context.is_active)

    def _read_rest_upload(
        self, request: studio_pb2.CreateTakeRequest
    ) -> tuple[bytes, studio_pb2.VocalsOptions]:
        form = read_upload_within(
            request.upload.content_type, request.upload.data, self._settings.max_upload_bytes
        )
        return form.audio, options_from_rest(request, form.fields)

    def sweep_expired_takes_forever(self) -> None:
        while True:
            try:
                deleted = self._takes.delete_expired() + self._idempotency.delete_expired()
                if deleted:
                    logger.info("deleted %d files of expired takes", deleted)
            except Exception:
                logger.exception("sweeping expired takes failed; trying again later")
            threading.Event().wait(self._settings.take_sweep_interval_s)


def _with_error_event(
    events: Iterator[studio_pb2.MelodyToVocalsResponse],
) -> Iterator[studio_pb2.MelodyToVocalsResponse]:
    """A job's events for a REST stream: failures before the first event get a real
    status (and HTTP code); after it, the status line has gone out, so a failure becomes
    a final ``error`` event."""
    yield next(events)
    try:
        yield from events
    except Exception as error:
        code = status_for(error)
        message = str(error) if code is not grpc.StatusCode.INTERNAL else "internal error"
        if code is grpc.StatusCode.INTERNAL:
            logger.exception("the pipeline failed mid-stream", exc_info=error)
        yield studio_pb2.MelodyToVocalsResponse(
            error=status_pb2.Status(code=code.value[0], message=message)
        )


def _take_title(take: studio_pb2.Take) -> str:
    """A score title for a take: its theme, or its first line of words."""
    if take.options.theme:
        return take.options.theme
    return take.lyrics.lines[0].text if take.lyrics.lines else ""


def register(server: grpc.Server, settings: Settings) -> None:
    servicer = StudioServicer(settings)
    studio_pb2_grpc.add_StudioServiceServicer_to_server(servicer, server)
    threading.Thread(
        target=servicer.sweep_expired_takes_forever, name="take-sweeper", daemon=True
    ).start()


SPEC = ServiceSpec(
    name="studio",
    protobuf_services=[studio_pb2.DESCRIPTOR.services_by_name["StudioService"].full_name],
    register=register,
    # Takes in progress each hold a thread, running or queued (admission.py).
    waiting_calls=lambda settings: settings.studio_takes_running + settings.studio_takes_waiting,
)
