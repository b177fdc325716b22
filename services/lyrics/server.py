"""gRPC wiring of the lyrics service: protobuf <-> services.lyrics.writer."""

from __future__ import annotations

import grpc
from expertmusic.lyrics.v1 import lyrics_pb2, lyrics_pb2_grpc

from services.common.convert import melody_from_proto
from services.common.errors import grpc_errors
from services.common.server import ServiceSpec
from services.common.settings import Settings
from services.lyrics.domain import Lyrics, LyricsRequest
from services.lyrics.writer import provider_health, write_lyrics


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
    )


def lyrics_to_proto(lyrics: Lyrics) -> lyrics_pb2.WriteLyricsResponse:
    return lyrics_pb2.WriteLyricsResponse(
        lines=[
            lyrics_pb2.LyricLine(
                text=line.text,
                phrase_index=line.phrase_index,
                rhyme_label=line.rhyme_label,
                syllables=[
                    lyrics_pb2.Syllable(
                        text=syllable.text,
                        note_index=syllable.note_index,
                        phonemes=list(syllable.phonemes),
                        stressed=syllable.stressed,
                        starts_word=syllable.starts_word,
                    )
                    for syllable in line.syllables
                ],
            )
            for line in lyrics.lines
        ],
        provider=lyrics.provider,
        model=lyrics.model,
        fit=lyrics_pb2.FitMetrics(
            syllable_match_rate=lyrics.fit.syllable_match_rate,
            raw_syllable_match_rate=lyrics.fit.raw_syllable_match_rate,
            raw_llm_fit=lyrics.fit.raw_llm_fit,
            rhymes_requested=lyrics.fit.rhymes_requested,
            rhymes_achieved=lyrics.fit.rhymes_achieved,
            stress_on_strong_rate=lyrics.fit.stress_on_strong_rate,
            llm_repair_requests=lyrics.fit.llm_repair_requests,
            locally_repaired_lines=lyrics.fit.locally_repaired_lines,
        ),
        warnings=list(lyrics.warnings),
        seed=lyrics.seed,
    )


class LyricsServicer(lyrics_pb2_grpc.LyricsServiceServicer):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @grpc_errors
    def WriteLyrics(
        self, request: lyrics_pb2.WriteLyricsRequest, context: grpc.ServicerContext
    ) -> lyrics_pb2.WriteLyricsResponse:
        return lyrics_to_proto(write_lyrics(request_from_proto(request), self._settings))

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
)
