"""gRPC wiring of the lyrics service: protobuf <-> services.lyrics.writer."""

from __future__ import annotations

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc
from expertmusic.music.v1 import music_pb2

from services.common.convert import lyrics_to_proto, melody_from_proto
from services.common.errors import grpc_errors
from services.common.server import ServiceSpec, cancellation_of
from services.common.settings import Settings
from services.lyrics.domain import LyricsRequest
from services.lyrics.writer import check_request, provider_health, write_lyrics
from services.lyrics.writer import warm_up as lyrics_warm_up


def request_from_proto(message: lyrics_pb2.WriteLyricsRequest) -> LyricsRequest:
    return LyricsRequest(
        melody=melody_from_proto(message.melody) if message.HasField("melody") else None,
        syllables_per_line=tuple(message.syllable_plan.syllables_per_line),
        theme=message.theme,
        mood=message.mood,
        genre=message.genre,
        language=message.language or "en",
        rhyme_scheme=message.rhyme_scheme,
        provider=message.provider,
        user_lyrics=message.user_lyrics,
        seed=message.seed if message.HasField("seed") else None,
        rhyme_with=message.rhyme_with,
        avoid_end_words=tuple(message.avoid_end_words),
    )


class LyricsServicer(lyrics_pb2_grpc.LyricsServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @grpc_errors
    def WriteLyrics(
        self, request: lyrics_pb2.WriteLyricsRequest, context: grpc.ServicerContext
    ) -> music_pb2.Lyrics:
        if request.validate_only:
            check_request(request_from_proto(request), self._settings)
            return music_pb2.Lyrics()
        return lyrics_to_proto(
            write_lyrics(
                request_from_proto(request), self._settings, cancelled=cancellation_of(context)
            )
        )

    def ListProviders(
        self, request: lyrics_pb2.ListProvidersRequest, context: grpc.ServicerContext
    ) -> lyrics_pb2.ListProvidersResponse:
        response = lyrics_pb2.ListProvidersResponse()
        for name, status in provider_health(self._settings).items():
            response.providers[name].CopyFrom(
                lyrics_pb2.ProviderStatus(state=status.state.value, detail=status.detail)
            )
        return response


def register(server: grpc.Server, settings: Settings) -> None:
    lyrics_pb2_grpc.add_LyricsServiceServicer_to_server(LyricsServicer(settings), server)


SPEC = ServiceSpec(
    name="lyrics",
    protobuf_services=[lyrics_pb2.DESCRIPTOR.services_by_name["LyricsService"].full_name],
    register=register,
    warm_up=lyrics_warm_up,
)
