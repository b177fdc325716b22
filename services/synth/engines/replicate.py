"""Bark and MusicGen (melody) on Replicate, as in the seed, with timeouts and retries.

Both run through the mesh's one Replicate client (``services.common.replicate``): a
prediction of the configured model version, polled until it ends or ``synth_timeout_s``
passes (then cancelled), its output file fetched and decoded with the project's one
decoder. Anything that fails becomes :class:`ProviderUnavailableError`, which the server
maps to UNAVAILABLE; a server without a Replicate token refuses these engines at once
(FAILED_PRECONDITION, see ``services.synth.render.sing``).

- ``bark`` (suno-ai/bark) sings text placed between ♪ marks; it does not follow notes.
- ``musicgen-melody`` (meta/musicgen, melody model) follows the melody's chroma from an
  audio prompt — we send the notes rendered as a guide tone — but sings no words.
"""

from __future__ import annotations

import threading
from typing import Any

from services.common import musicgen
from services.common.audio import DecodedAudio
from services.common.music import midi_to_hz
from services.common.replicate import ReplicateClient
from services.common.settings import Settings
from services.synth.score import Score
from services.synth.types import Engine
from services.synth.voices import VoiceInfo

#: meta/musicgen's checkpoint that follows a melody.
MUSICGEN_CHECKPOINT = "melody-large"


def render(
    engine: Engine,
    score: Score,
    voice: VoiceInfo,
    settings: Settings,
    cancelled: threading.Event | None = None,
) -> DecodedAudio:
    """Sing ``score`` with a Replicate engine; the whole result, decoded to mono float32.

    Raises PreconditionError when Replicate is not configured (no token: asking again
    will not help, so it is no outage); ProviderUnavailableError when Replicate keeps
    failing after retries, the prediction fails, or it does not finish within
    ``synth_timeout_s``;
    WorkCancelledError when ``cancelled`` is set first (the prediction is cancelled too).
    """
    if engine is Engine.BARK:
        model_version = settings.replicate_bark_version
        model_input = bark_input(score)
    elif engine is Engine.MUSICGEN_MELODY:
        model_version = settings.replicate_musicgen_melody_version
        model_input = musicgen_input(score)
    else:
        raise ValueError(f"{engine} is not a Replicate engine")
    client = ReplicateClient(settings)
    return client.predict_audio(
        model_version,
        model_input,
        timeout_s=settings.synth_timeout_s,
        max_duration_s=settings.max_audio_duration_s,
        max_bytes=settings.max_upload_bytes * 10,
        cancelled=cancelled,
    )


def bark_input(score: Score) -> dict[str, Any]:
    """Bark's input: the lyrics, one ♪-marked line per phrase (Bark's cue to sing)."""
    lines = [f"♪ {phrase.lyrics_text()} ♪" for phrase in score.phrases]
    return {
        "prompt": "\n".join(lines),
        "history_prompt": "en_speaker_6",
        "text_temp": 0.7,
        "waveform_temp": 0.7,
    }


def musicgen_input(score: Score) -> dict[str, Any]:
    """MusicGen's input: a vocal-style prompt with the lyrics and the melody as a guide."""
    lyrics = " / ".join(phrase.lyrics_text() for phrase in score.phrases)
    notes = [
        (note.onset_s, note.offset_s, midi_to_hz(note.midi_pitch))
        for phrase in score.phrases
        for note in phrase.notes
    ]
    guide = musicgen.melody_guide(notes, musicgen.MELODY_SAMPLE_RATE_HZ, score.duration_s)
    return musicgen.musicgen_input(
        f"a cappella solo voice singing a melody, clear vocals. Lyrics: {lyrics}",
        min(float(musicgen.MAX_DURATION_S), score.duration_s),
        musicgen.melody_file(guide, musicgen.MELODY_SAMPLE_RATE_HZ),
        model_version=MUSICGEN_CHECKPOINT,
    )
