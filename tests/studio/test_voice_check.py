"""A take's voice and engine are checked against the synth's voices before any work
(services/studio/voice_check.py)."""

from __future__ import annotations

import grpc
import pytest
from expertmusic.synth.v1 import synth_pb2

from services.common.errors import InvalidInputError, PreconditionError
from services.studio.voice_check import VoiceList, check_voice

VOICES = [
    synth_pb2.Voice(voice_id="joe", engine="local", available=True),
    synth_pb2.Voice(voice_id="slt", engine="local", available=True),
    synth_pb2.Voice(voice_id="bark-speaker-6", engine="bark", available=True),
]
#: The same, on a server without Replicate's token.
WITHOUT_REPLICATE = [
    *VOICES[:2],
    synth_pb2.Voice(
        voice_id="bark-speaker-6",
        engine="bark",
        available=False,
        unavailable_reason="REPLICATE_API_TOKEN is not set",
    ),
]


@pytest.mark.parametrize(
    ("engine", "voice_id"),
    [
        ("", ""),
        ("", "joe"),
        ("local", "auto"),
        ("", "auto"),
        ("bark", "bark-speaker-6"),
        ("bark", ""),
        ("bark", "auto"),
    ],
)
def test_a_voice_of_the_engine_its_default_and_auto_pass(engine: str, voice_id: str) -> None:
    check_voice(VOICES, engine, voice_id)


def test_an_unknown_voice_is_refused_naming_the_engines_voices() -> None:
    with pytest.raises(InvalidInputError) as refused:
        check_voice(VOICES, "", "Joe")

    assert (
        str(refused.value) == "unknown voice 'Joe' for engine 'local'; valid voices: joe, slt, auto"
    )


def test_a_voice_of_another_engine_is_refused_naming_its_engine() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"^voice 'joe' is a voice of synth engine 'local', not 'bark': ask for "
        r"synth_engine=local$",
    ):
        check_voice(VOICES, "bark", "joe")
    with pytest.raises(InvalidInputError, match=r"ask for synth_engine=bark$"):
        check_voice(VOICES, "", "bark-speaker-6")


def test_an_engine_or_voice_that_cannot_sing_here_is_refused_with_the_synths_reason() -> None:
    for voice_id in ("", "auto"):
        with pytest.raises(
            PreconditionError,
            match=r"^synth engine 'bark' cannot sing here: REPLICATE_API_TOKEN is not set$",
        ):
            check_voice(WITHOUT_REPLICATE, "bark", voice_id)
    with pytest.raises(PreconditionError, match=r"^voice 'bark-speaker-6' cannot sing here"):
        check_voice(WITHOUT_REPLICATE, "bark", "bark-speaker-6")
    check_voice(WITHOUT_REPLICATE, "", "joe")


def test_an_unknown_engine_is_refused_naming_the_engines() -> None:
    with pytest.raises(
        InvalidInputError, match=r"^unknown synth engine 'vits'; choose one of: local, bark$"
    ):
        check_voice(VOICES, "vits", "")


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


class Unreachable(grpc.RpcError):
    pass


def test_the_voice_list_is_asked_once_per_ttl_and_again_after_it() -> None:
    clock, asked = Clock(), []

    def fetch() -> list[synth_pb2.Voice]:
        asked.append(clock.now_s)
        return VOICES

    voices = VoiceList(fetch, ttl_s=60.0, clock=clock)

    voices.voices()
    clock.now_s = 59.0
    voices.voices()
    assert asked == [0.0]
    clock.now_s = 61.0
    assert voices.voices() == VOICES
    assert asked == [0.0, 61.0]


def test_a_synth_that_cannot_be_asked_gives_no_list_and_is_asked_again_next_time() -> None:
    answers: list[object] = [Unreachable(), VOICES]

    def fetch() -> list[synth_pb2.Voice]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    voices = VoiceList(fetch, clock=Clock())

    assert voices.voices() is None
    assert voices.voices() == VOICES
