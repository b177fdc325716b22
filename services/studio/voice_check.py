"""A take's voice and synth engine, checked before any work starts.

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

from services.common.errors import InvalidInputError

#: The engine a take with no ``synth_engine`` is sung with (the synth's default).
DEFAULT_ENGINE = "local"
#: The voice id that asks the synth to choose (services.synth.voices.AUTO_VOICE).
AUTO_VOICE = "auto"
#: How long a voice list is trusted: voices change only when the synth is redeployed.
VOICES_TTL_S = 60.0


def check_voice(voices: Sequence[synth_pb2.Voice], engine: str, voice_id: str) -> None:
    """Raises InvalidInputError, naming the valid choices, when ``engine`` is no engine
    of ``voices`` or ``voice_id`` no voice of it ("" is the engine's default; "auto"
    lets a local take choose)."""
    engine = engine or DEFAULT_ENGINE
    engines = list(dict.fromkeys(voice.engine for voice in voices))
    if engine not in engines:
        raise InvalidInputError(
            f"unknown synth engine {engine!r}; choose one of: {', '.join(engines)}"
        )
    if not voice_id or (voice_id == AUTO_VOICE and engine == DEFAULT_ENGINE):
        return
    ids = [voice.voice_id for voice in voices if voice.engine == engine]
    if voice_id not in ids:
        valid = sorted(ids) + ([AUTO_VOICE] if engine == DEFAULT_ENGINE else [])
        raise InvalidInputError(
            f"unknown voice '{voice_id}' for engine '{engine}'; valid voices: {', '.join(valid)}"
        )


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
