"""A take's voice, synth engine and transposition, checked before any work starts.

The synth refuses an unknown voice itself, but only when the take reaches it: after the
transcription and the lyrics, when a streaming call has already answered 200. The
studio asks the synth for its voices (``ListVoices``) first and refuses the request
with the synth's own message while it can still be a plain 400.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import grpc
from expertmusic.synth.v1 import synth_pb2

from services.common.errors import InvalidInputError, PreconditionError

#: The engine a take with no ``synth_engine`` is sung with (the synth's default).
DEFAULT_ENGINE = "local"
#: The voice id that asks the synth to choose (services.synth.voices.AUTO_VOICE).
AUTO_VOICE = "auto"
#: How long a voice list is trusted: voices change only when the synth is redeployed.
VOICES_TTL_S = 60.0
#: The furthest a take may be transposed, in semitones either way (the synth's
#: ``SingOptions.transpose_semitones``: -24..24).
MAX_TRANSPOSE_SEMITONES = 24


def check_transpose(semitones: int) -> None:
    """Raises InvalidInputError for a transposition the synth would refuse."""
    if abs(semitones) > MAX_TRANSPOSE_SEMITONES:
        raise InvalidInputError(
            f"transpose_semitones must be within -{MAX_TRANSPOSE_SEMITONES}.."
            f"{MAX_TRANSPOSE_SEMITONES}, not {semitones}"
        )


def check_voice(voices: Sequence[synth_pb2.Voice], engine: str, voice_id: str) -> None:
    """Checks a take's engine and voice against the synth's ``voices``.

    "" and "auto" are the engine's default voice (a local take chooses one by its notes).

    Raises:
        InvalidInputError: ``engine`` is no engine of ``voices``, or ``voice_id`` no
            voice of it (the message names the valid ones, or the engine the voice is of).
        PreconditionError: the voice (or the engine's default) cannot sing on this
            server now (a Replicate engine without its token); the synth's reason.
    """
    engine = engine or DEFAULT_ENGINE
    engines = list(dict.fromkeys(voice.engine for voice in voices))
    if engine not in engines:
        raise InvalidInputError(
            f"unknown synth engine {engine!r}; choose one of: {', '.join(engines)}"
        )
    own = [voice for voice in voices if voice.engine == engine]
    if voice_id in ("", AUTO_VOICE):
        if not any(voice.available for voice in own):
            raise PreconditionError(
                f"synth engine '{engine}' cannot sing here: {own[0].unavailable_reason}"
            )
        return
    chosen = next((voice for voice in own if voice.voice_id == voice_id), None)
    if chosen is None:
        elsewhere = next((voice.engine for voice in voices if voice.voice_id == voice_id), None)
        if elsewhere is not None:
            raise InvalidInputError(
                f"voice '{voice_id}' is a voice of synth engine '{elsewhere}', not "
                f"'{engine}': ask for synth_engine={elsewhere}"
            )
        valid = [*sorted(voice.voice_id for voice in own), AUTO_VOICE]
        raise InvalidInputError(
            f"unknown voice '{voice_id}' for engine '{engine}'; valid voices: {', '.join(valid)}"
        )
    if not chosen.available:
        raise PreconditionError(f"voice '{voice_id}' cannot sing here: {chosen.unavailable_reason}")


class VoiceList:
    """The synth's voices, fetched with ``fetch`` at most once per ``ttl_s``.

    ``fetch`` returns the voices or raises grpc.RpcError (the synth unreachable): then
    ``voices()`` is None and the synth checks the voice itself later, as before.
    """

    def __init__(
        self,
        fetch: Callable[[], Sequence[synth_pb2.Voice]],
        ttl_s: float = VOICES_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._voices: Sequence[synth_pb2.Voice] | None = None
        self._fetched_at = 0.0

    def voices(self) -> Sequence[synth_pb2.Voice] | None:
        """The voices, from the last answer younger than ``ttl_s``; None when the synth
        could not be asked."""
        with self._lock:
            now = self._clock()
            if self._voices is None or now - self._fetched_at > self._ttl_s:
                try:
                    self._voices = list(self._fetch())
                except grpc.RpcError:  # the synth down or slow: it checks the voice itself
                    return None
                self._fetched_at = now
            return self._voices
