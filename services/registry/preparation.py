"""Training-data preparation, as the seed's ``prepare_training_data.py``: uploaded audio in,
a training set of captioned chunks out.

Every audio file of the upload (one file, or each of a zip's members) is decoded to mono
at 32 kHz (MusicGen's rate), split at its silences into chunks of at most 30 s (silence
dropped), and each chunk is loudness-normalized to an RMS target under a peak ceiling.
Each chunk gets a caption: the one given with the upload, or one derived from the
instrument and the chunk's tempo and key. The chunks are stored under
``datasets/<id>/`` as ``chunk_NNNN.wav`` + ``chunk_NNNN.txt``, with a ``manifest.json``
that says where each came from.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from services.common.artifacts import ArtifactStore
from services.common.audio import AudioTooLongError, decode_audio, encode_wav
from services.common.catalogue.datasets import Dataset, DatasetRepository, dataset_prefix
from services.common.catalogue.validation import (
    DATASET_ID_PREFIX,
    new_id,
    validate_name,
    validate_text,
)
from services.common.errors import InvalidInputError, ResourceLimitError
from services.common.media_types import AUDIO_MEDIA_TYPES
from services.common.settings import Settings
from services.common.tonality import best_key
from services.registry.archives import AudioFile, UploadLimits, iter_audio_files

FloatArray = npt.NDArray[np.float32]

#: MusicGen's sample rate; the local timbre models train at it too.
SAMPLE_RATE_HZ = 32_000
MAX_CHUNK_S = 30.0
#: Sound shorter than this between silences is dropped (a click, a breath).
MIN_CHUNK_S = 1.0
#: Pauses shorter than this stay inside a chunk: they are phrasing, not silence.
MAX_PAUSE_S = 0.5
#: A frame is silent below this RMS level, in dB relative to full scale...
SILENCE_FLOOR_DBFS = -50.0
#: ...or this many dB below the file's loudest frame.
SILENCE_BELOW_PEAK_DB = 50.0
FRAME_S = 0.032
#: Every chunk is scaled to this RMS level (EBU R128's -23 LUFS, measured as plain RMS)...
TARGET_RMS_DBFS = -23.0
#: ...unless that would push its peak above this ceiling; then the peak sets the gain.
PEAK_CEILING_DBFS = -1.0
#: Keys whose profile correlates less than this with the chroma are left out of captions.
MIN_KEY_CORRELATION = 0.6
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class PreparedChunk:
    """One stored chunk and where it came from."""

    #: Artifact keys of the audio (16-bit WAV, mono, 32 kHz) and its caption (UTF-8 text).
    audio_key: str
    caption_key: str
    #: The uploaded file (or zip member) it was cut from, and where, in seconds.
    source: str
    source_start_s: float
    duration_s: float
    caption: str


def _db(value: float) -> float:
    return float(20 * np.log10(max(value, 1e-12)))


def sound_intervals(
    samples: FloatArray,
    sample_rate_hz: int,
    *,
    max_chunk_s: float = MAX_CHUNK_S,
    min_chunk_s: float = MIN_CHUNK_S,
    max_pause_s: float = MAX_PAUSE_S,
) -> list[tuple[int, int]]:
    """Where the sound is: (start, end) sample indices of chunks of at most
    ``max_chunk_s`` seconds, silence dropped, pauses under ``max_pause_s`` kept.

    Args:
        samples: Mono audio, shape (n_samples,).
    """
    frame = max(1, int(FRAME_S * sample_rate_hz))
    n_frames = len(samples) // frame
    if n_frames == 0:
        return []
    framed = samples[: n_frames * frame].reshape(n_frames, frame).astype(np.float64)
    frame_db = 10 * np.log10(np.mean(framed**2, axis=1) + 1e-24)
    threshold_db = max(SILENCE_FLOOR_DBFS, float(frame_db.max()) - SILENCE_BELOW_PEAK_DB)
    loud = frame_db > threshold_db

    intervals: list[list[int]] = []
    max_pause_frames = int(max_pause_s / FRAME_S)
    for index in np.flatnonzero(loud).tolist():
        if intervals and index - intervals[-1][1] <= max_pause_frames:
            intervals[-1][1] = index + 1
        else:
            intervals.append([index, index + 1])

    chunks: list[tuple[int, int]] = []
    max_frames = int(max_chunk_s * sample_rate_hz) // frame
    for start, end in intervals:
        length = end - start
        if length * frame < min_chunk_s * sample_rate_hz:
            continue
        # Equal pieces rather than 30 s + a short remainder.
        n_pieces = -(-length // max_frames)
        bounds = np.linspace(start, end, n_pieces + 1).round().astype(int)
        chunks.extend((int(a) * frame, int(b) * frame) for a, b in itertools.pairwise(bounds))
    return chunks


def normalize_loudness(samples: FloatArray) -> FloatArray:
    """Scales to TARGET_RMS_DBFS, or less when the peak would pass PEAK_CEILING_DBFS."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    peak = float(np.max(np.abs(samples)))
    if rms == 0.0:
        return samples
    gain = min(10 ** (TARGET_RMS_DBFS / 20) / rms, 10 ** (PEAK_CEILING_DBFS / 20) / peak)
    return (samples * gain).astype(np.float32)


def estimate_key_name(samples: FloatArray, sample_rate_hz: int) -> str:
    """ "A minor"-style key from the mean chroma (Krumhansl-Kessler profiles); "" when no
    key fits well (drums, noise)."""
    import librosa  # deferred: a second of import time, needed only here

    chroma = librosa.feature.chroma_stft(y=samples, sr=sample_rate_hz, n_fft=4096)
    match = best_key(chroma.mean(axis=1))
    return match.name if match is not None and match.correlation >= MIN_KEY_CORRELATION else ""


def estimate_tempo_bpm(samples: FloatArray, sample_rate_hz: int) -> float:
    """Beats per minute from the onset envelope (librosa's beat tracker); 0 when unclear."""
    import librosa

    tempo, beats = librosa.beat.beat_track(y=samples, sr=sample_rate_hz)
    bpm = float(np.atleast_1d(tempo)[0])
    return bpm if len(beats) >= 4 and np.isfinite(bpm) else 0.0


def derived_caption(samples: FloatArray, sample_rate_hz: int, instrument: str) -> str:
    """E.g. "Telecaster guitar, 120 BPM, A minor" (parts that cannot be told are left out)."""
    parts = [instrument or "instrumental"]
    tempo_bpm = estimate_tempo_bpm(samples, sample_rate_hz)
    if tempo_bpm > 0:
        parts.append(f"{tempo_bpm:.0f} BPM")
    key_name = estimate_key_name(samples, sample_rate_hz)
    if key_name:
        parts.append(key_name)
    return ", ".join(parts)


class DatasetPreparer:
    """Turns uploads into stored, recorded datasets."""

    def __init__(
        self,
        artifacts: ArtifactStore,
        datasets: DatasetRepository,
        limits: UploadLimits,
        max_duration_s: float,
    ) -> None:
        """
        Args:
            max_duration_s: Total audio one dataset may hold, in seconds (before silence
                is dropped).
        """
        self._artifacts = artifacts
        self._datasets = datasets
        self._limits = limits
        self._max_duration_s = max_duration_s

    @classmethod
    def from_settings(
        cls, settings: Settings, artifacts: ArtifactStore, datasets: DatasetRepository
    ) -> DatasetPreparer:
        return cls(
            artifacts,
            datasets,
            UploadLimits.from_settings(settings),
            settings.dataset_max_duration_s,
        )

    def prepare(
        self,
        data: bytes,
        *,
        name: str,
        filename: str = "",
        instrument: str = "",
        caption: str = "",
    ) -> Dataset:
        """Prepares and records a dataset from an audio file or a zip of audio files.

        Args:
            data: The uploaded file.
            name: The dataset's name (e.g. ``telecaster_licks``).
            filename: The upload's file name, kept for the record.
            instrument: Free text used in derived captions, e.g. "Telecaster guitar".
            caption: A caption for every chunk; "" derives one per chunk.

        Raises:
            InvalidInputError: Bad names or text, undecodable or silent audio, unsafe zips.
            ResourceLimitError: Size, member, ratio or duration limits exceeded.
        """
        validate_name(name, "dataset name")
        instrument = validate_text(instrument, "instrument", max_length=200)
        caption = validate_text(caption, "caption")
        filename = validate_text(filename, "file name", max_length=255)
        dataset_id = new_id(DATASET_ID_PREFIX)
        prefix = dataset_prefix(dataset_id)
        try:
            chunks = self._store_chunks(
                iter_audio_files(data, filename, self._limits), prefix, instrument, caption
            )
            if not chunks:
                raise InvalidInputError(
                    "no sound found: the audio is silent or shorter than "
                    f"{MIN_CHUNK_S:g} s between silences"
                )
            manifest = {
                "dataset_id": dataset_id,
                "sample_rate_hz": SAMPLE_RATE_HZ,
                "chunks": [asdict(chunk) for chunk in chunks],
            }
            self._artifacts.put(
                f"{prefix}{MANIFEST_NAME}",
                json.dumps(manifest, indent=2).encode(),
                "application/json",
            )
            return self._datasets.add(
                dataset_id=dataset_id,
                name=name,
                instrument=instrument,
                caption=caption,
                chunk_count=len(chunks),
                total_duration_s=sum(chunk.duration_s for chunk in chunks),
                sample_rate_hz=SAMPLE_RATE_HZ,
                source_filename=filename,
            )
        except BaseException:
            # Half a dataset is no dataset: leave nothing behind.
            self._artifacts.delete_prefix(prefix)
            raise

    def _store_chunks(
        self, files: Iterable[AudioFile], prefix: str, instrument: str, caption: str
    ) -> list[PreparedChunk]:
        chunks: list[PreparedChunk] = []
        remaining_s = self._max_duration_s
        for audio_file in files:
            name, data = audio_file.name, audio_file.data
            try:
                audio = decode_audio(
                    data, max_duration_s=remaining_s, target_sample_rate_hz=SAMPLE_RATE_HZ
                )
            except AudioTooLongError as error:
                raise ResourceLimitError(
                    f"{name}: the dataset would hold more than {self._max_duration_s:g} s of audio"
                ) from error
            except ValueError as error:
                raise InvalidInputError(f"{name}: {error}") from error
            remaining_s -= audio.duration_s
            for start, end in sound_intervals(audio.samples, SAMPLE_RATE_HZ):
                samples = normalize_loudness(audio.samples[start:end])
                stem = f"{prefix}chunk_{len(chunks):04d}"
                text = caption or derived_caption(samples, SAMPLE_RATE_HZ, instrument)
                self._artifacts.put(
                    f"{stem}.wav", encode_wav(samples, SAMPLE_RATE_HZ), AUDIO_MEDIA_TYPES["wav"]
                )
                self._artifacts.put(f"{stem}.txt", text.encode(), "text/plain; charset=utf-8")
                chunks.append(
                    PreparedChunk(
                        audio_key=f"{stem}.wav",
                        caption_key=f"{stem}.txt",
                        source=name,
                        source_start_s=start / SAMPLE_RATE_HZ,
                        duration_s=(end - start) / SAMPLE_RATE_HZ,
                        caption=text,
                    )
                )
        return chunks
