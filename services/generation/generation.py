"""Generating music with the registry's models: one request, three ways to answer it.

- A local instrument model (a DDSP timbre model the "local" backend trained) plays a
  melody: notes, or a hum whose pitch and dynamics it follows ("hum it, hear it on the
  Telecaster"). It needs no prompt and makes exactly the melody's length.
- MusicGen on Replicate — a base version (small, medium, melody, large) or one fine-tuned
  by the "replicate" backend — makes ``duration_s`` of music from the prompt, following
  the melody (a hum, or the notes rendered as a guide tone) when one is given.
- MusicGen on this machine (the model name ``musicgen-local``) when its weights are in
  MUSICGEN_MODEL_DIR: prompt only.

The gRPC servicer resolves the request's model with :func:`resolve_target`, calls
:meth:`MusicGenerator.generate` and streams what it reports and returns; nothing here
knows about gRPC.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
import soxr

from services.common import musicgen
from services.common.artifacts import ArtifactStore
from services.common.audio import decode_audio, encode_wav
from services.common.catalogue.models import Engine, Model, ModelStatus
from services.common.errors import InvalidInputError, NotFoundError, PreconditionError
from services.common.music import Note, midi_to_hz
from services.common.replicate import ReplicateClient
from services.common.settings import Settings

if TYPE_CHECKING:  # torch and transformers load only when a generation needs them
    from services.common.timbre.checkpoint import TimbreModel
    from services.generation.musicgen_local import LocalMusicgen

logger = logging.getLogger(__name__)

#: The model name that stands for the MusicGen checkpoint in MUSICGEN_MODEL_DIR.
LOCAL_MUSICGEN_MODEL = "musicgen-local"
#: Output rate when the request names none: MusicGen's own, and the registry's datasets'.
DEFAULT_SAMPLE_RATE_HZ = 32_000
#: Loaded instrument models kept in memory, most recently used first out last.
_TIMBRE_CACHE_SIZE = 4

Float32Array = npt.NDArray[np.float32]


class TargetKind(StrEnum):
    INSTRUMENT = "instrument"
    REPLICATE_MUSICGEN = "replicate-musicgen"
    LOCAL_MUSICGEN = "local-musicgen"


@dataclass(frozen=True)
class GenerationTarget:
    """The model a request resolved to.

    version: the artifact key prefix of an instrument model, the Replicate version
        ("owner/name:version-id"), or the MusicGen directory.
    """

    kind: TargetKind
    name: str
    version: str


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate.

    prompt: text description of the music (MusicGen; an instrument model ignores it).
    duration_s: length of MusicGen's music, seconds (an instrument plays the melody's).
    notes: a melody to play or follow.
    melody_audio: an encoded audio file (wav, mp3, ...) of a hum or reference melody.
    sample_rate_hz: rate of the result; 0 means 32 kHz.
    seed: seeds sampling (MusicGen on this machine) and noise, for repeatable results.
    """

    prompt: str = ""
    duration_s: float = 10.0
    notes: Sequence[Note] = ()
    melody_audio: bytes = b""
    sample_rate_hz: int = 0
    seed: int = 0

    @property
    def output_rate_hz(self) -> int:
        return self.sample_rate_hz or DEFAULT_SAMPLE_RATE_HZ


@dataclass(frozen=True)
class GenerationProgress:
    """A step of a generation, for the client: ``stage`` in words, ``fraction`` 0..1."""

    stage: str
    fraction: float


@dataclass(frozen=True)
class GeneratedMusic:
    """The result: mono samples (n_samples,) float32 in [-1, 1] at sample_rate_hz."""

    samples: Float32Array
    sample_rate_hz: int
    target: GenerationTarget
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz

    def wav_bytes(self) -> bytes:
        """The audio as a 16-bit PCM mono WAV file (what GenerateMusic streams)."""
        return encode_wav(self.samples, self.sample_rate_hz)


class ModelCatalogue(Protocol):
    """Looks models up by id or name: the registry over gRPC in the service
    (:class:`services.generation.catalogue.RegistryCatalogue`), or the catalogue's
    ModelRepository directly."""

    def lookup(self, ref: str) -> Model:
        """The model with id or name ``ref``; raises NotFoundError when there is none."""
        ...


def resolve_target(
    model_ref: str, catalogue: ModelCatalogue, settings: Settings
) -> GenerationTarget:
    """The model a request names, by id ("mdl_...") or name ("melody", "telecaster").

    Raises:
        InvalidInputError: No model named.
        NotFoundError: No such model (the message says where to look).
        PreconditionError: The model is archived, or it is ``musicgen-local`` and
            MUSICGEN_MODEL_DIR is not set.
    """
    ref = model_ref.strip()
    if not ref:
        raise InvalidInputError(
            "name a model to generate with: a base MusicGen (small, medium, melody, large), "
            f"a trained model, or {LOCAL_MUSICGEN_MODEL!r}"
        )
    if ref == LOCAL_MUSICGEN_MODEL:
        if not settings.musicgen_model_dir:
            raise PreconditionError(
                f"{LOCAL_MUSICGEN_MODEL!r} needs MusicGen weights on this machine: set "
                "MUSICGEN_MODEL_DIR to a directory saved with transformers' save_pretrained"
            )
        return GenerationTarget(TargetKind.LOCAL_MUSICGEN, ref, settings.musicgen_model_dir)
    try:
        model = catalogue.lookup(ref)
    except NotFoundError as error:
        raise NotFoundError(
            f"{error}; GET /v1/models lists the models, and {LOCAL_MUSICGEN_MODEL!r} uses "
            "MusicGen weights on this machine"
        ) from error
    if model.status is not ModelStatus.READY:
        raise PreconditionError(f"model {model.name!r} is {model.status.value}, not ready")
    kind = TargetKind.INSTRUMENT if model.engine is Engine.LOCAL else TargetKind.REPLICATE_MUSICGEN
    return GenerationTarget(kind, model.name, model.version)


def _resampled(samples: npt.NDArray[np.floating], from_hz: int, to_hz: int) -> Float32Array:
    if from_hz == to_hz:
        return np.asarray(samples, dtype=np.float32)
    return soxr.resample(np.asarray(samples, dtype=np.float32), from_hz, to_hz, quality="HQ")


ProgressCallback = Callable[[GenerationProgress], None]


class MusicGenerator:
    """Generates with any target; shares loaded models between threads and requests."""

    def __init__(self, settings: Settings, artifacts: ArtifactStore) -> None:
        self._settings = settings
        self._artifacts = artifacts
        self._timbre_models: OrderedDict[str, TimbreModel] = OrderedDict()
        self._local_musicgen: dict[str, LocalMusicgen] = {}
        self._lock = threading.Lock()

    def generate(
        self,
        target: GenerationTarget,
        request: GenerationRequest,
        on_progress: ProgressCallback | None = None,
        cancelled: threading.Event | None = None,
    ) -> GeneratedMusic:
        """Generates music for ``request`` with ``target``.

        Args:
            on_progress: Called at each stage (loading, generating, ...).
            cancelled: The caller's cancellation (services.common.cancellation); once set
                the generation stops (a Replicate prediction is cancelled too).

        Raises:
            InvalidInputError: The request does not fit the target (e.g. an instrument
                model without a melody, MusicGen without a prompt), or bad audio.
            PreconditionError: The target is not available here (missing weights or
                files, Replicate not configured), with what to do about it.
            UnavailableError: Replicate failed.
            WorkCancelledError: ``cancelled`` was set.
        """
        if request.sample_rate_hz < 0:
            raise InvalidInputError(f"sample rate must be positive, got {request.sample_rate_hz}")

        def report(stage: str, fraction: float) -> None:
            if on_progress is not None:
                on_progress(GenerationProgress(stage, fraction))

        if target.kind is TargetKind.INSTRUMENT:
            return self._play_instrument(target, request, report)
        if target.kind is TargetKind.REPLICATE_MUSICGEN:
            return self._musicgen_on_replicate(target, request, report, cancelled)
        return self._musicgen_here(target, request, report)

    def generate_events(
        self,
        target: GenerationTarget,
        request: GenerationRequest,
        cancelled: threading.Event | None = None,
    ) -> Iterator[GenerationProgress | GeneratedMusic]:
        """:meth:`generate` as a stream: progress as it happens, the music last.

        The generation runs on a thread of its own so that progress reaches a streaming
        client while the work goes on; its errors are raised here, in the caller.
        """
        events: queue.Queue[GenerationProgress | GeneratedMusic | BaseException] = queue.Queue()

        def work() -> None:
            try:
                events.put(self.generate(target, request, events.put, cancelled))
            except BaseException as error:  # handed to the caller's thread
                events.put(error)

        threading.Thread(target=work, name="generation", daemon=True).start()
        while True:
            event = events.get()
            if isinstance(event, BaseException):
                raise event
            yield event
            if isinstance(event, GeneratedMusic):
                return

    # --- local instrument models ------------------------------------------------------

    def _play_instrument(
        self,
        target: GenerationTarget,
        request: GenerationRequest,
        report: Callable[[str, float], None],
    ) -> GeneratedMusic:
        from services.common.timbre.render import render_hum, render_notes

        if not request.notes and not request.melody_audio:
            raise InvalidInputError(
                f"{target.name!r} is an instrument model: it plays a melody, so send notes "
                "or a hum (melody_audio)"
            )
        warnings = []
        if request.prompt:
            warnings.append(f"{target.name!r} plays the melody as it is; the prompt is ignored")
        report(f"loading instrument model {target.name}", 0.1)
        model = self._timbre_model(target)
        report(f"playing the melody on {target.name}", 0.3)
        if request.melody_audio:
            hum = decode_audio(
                request.melody_audio, max_duration_s=self._settings.max_audio_duration_s
            )
            samples = render_hum(model, hum.samples, hum.sample_rate_hz, request.output_rate_hz)
        else:
            end_s = max(note.offset_s for note in request.notes)
            if end_s > self._settings.max_audio_duration_s:
                raise InvalidInputError(
                    f"the notes last {end_s:.1f} s; the limit is "
                    f"{self._settings.max_audio_duration_s:g} s"
                )
            samples = render_notes(model, request.notes, request.output_rate_hz)
        report("done", 1.0)
        return GeneratedMusic(samples, request.output_rate_hz, target, warnings)

    def _timbre_model(self, target: GenerationTarget) -> TimbreModel:
        from services.common.timbre.checkpoint import MODEL_FILE_NAME, model_from_bytes

        with self._lock:
            model = self._timbre_models.get(target.version)
            if model is not None:
                self._timbre_models.move_to_end(target.version)
                return model
        key = f"{target.version}/{MODEL_FILE_NAME}"
        try:
            data = self._artifacts.get(key)
        except NotFoundError as error:
            raise PreconditionError(
                f"the files of instrument model {target.name!r} are missing from the artifact "
                f"store ({key}); train it again"
            ) from error
        model = model_from_bytes(data)
        with self._lock:
            self._timbre_models[target.version] = model
            while len(self._timbre_models) > _TIMBRE_CACHE_SIZE:
                self._timbre_models.popitem(last=False)
        return model

    # --- MusicGen ---------------------------------------------------------------------

    def _melody_file(self, request: GenerationRequest) -> io.BytesIO | None:
        """The melody to condition MusicGen on, as a WAV file, or None."""
        rate_hz = musicgen.MELODY_SAMPLE_RATE_HZ
        if request.melody_audio:
            melody = decode_audio(
                request.melody_audio,
                max_duration_s=self._settings.max_audio_duration_s,
                target_sample_rate_hz=rate_hz,
            )
            return musicgen.melody_file(melody.samples, rate_hz)
        if request.notes:
            notes = [
                (
                    note.onset_s,
                    note.offset_s,
                    note.frequency_hz or midi_to_hz(note.midi_pitch + note.cents_offset / 100),
                )
                for note in request.notes
            ]
            return musicgen.melody_file(musicgen.melody_guide(notes, rate_hz), rate_hz)
        return None

    def _musicgen_on_replicate(
        self,
        target: GenerationTarget,
        request: GenerationRequest,
        report: Callable[[str, float], None],
        cancelled: threading.Event | None,
    ) -> GeneratedMusic:
        melody = self._melody_file(request)
        if not request.prompt.strip() and melody is None:
            raise InvalidInputError("MusicGen needs a prompt, a melody, or both")
        model_input = musicgen.musicgen_input(request.prompt, request.duration_s, melody)
        client = ReplicateClient(self._settings)
        report(f"starting {target.name} on Replicate", 0.05)
        audio = client.predict_audio(
            target.version,
            model_input,
            timeout_s=self._settings.generation_timeout_s,
            max_duration_s=musicgen.MAX_DURATION_S + 5,
            max_bytes=self._settings.max_upload_bytes * 10,
            on_status=lambda status: report(f"Replicate: {status}", 0.5),
            cancelled=cancelled,
        )
        samples = _resampled(audio.samples, audio.sample_rate_hz, request.output_rate_hz)
        samples = samples[: round(request.duration_s * request.output_rate_hz)]
        report("done", 1.0)
        return GeneratedMusic(samples, request.output_rate_hz, target)

    def _musicgen_here(
        self,
        target: GenerationTarget,
        request: GenerationRequest,
        report: Callable[[str, float], None],
    ) -> GeneratedMusic:
        from services.generation.musicgen_local import LocalMusicgen

        if request.notes or request.melody_audio:
            raise PreconditionError(
                f"{LOCAL_MUSICGEN_MODEL!r} generates from the prompt only; to follow a melody "
                "use the 'melody' model (MusicGen melody on Replicate)"
            )
        with self._lock:
            musicgen = self._local_musicgen.get(target.version)
            if musicgen is None:
                musicgen = LocalMusicgen(Path(target.version))
                self._local_musicgen[target.version] = musicgen
        musicgen.check_available()
        report("generating with MusicGen on this machine", 0.1)
        clip = musicgen.generate(request.prompt, request.duration_s, request.seed)
        samples = _resampled(clip.samples, clip.sample_rate_hz, request.output_rate_hz)
        report("done", 1.0)
        return GeneratedMusic(samples, request.output_rate_hz, target)
