"""Training data for a timbre model: a prepared dataset's recordings and their controls.

The registry prepares datasets as ``*.wav`` chunks (32 kHz mono, up to 30 s each). Each
chunk is resampled to the model's rate and analysed once (f0, loudness), then training
draws random crops of a fixed number of frames from all chunks; crops start on a frame
boundary so audio and controls stay aligned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
import soxr
import torch

from services.common.errors import PreconditionError
from services.common.f0.engines import DEFAULT_ENGINE
from services.common.timbre.features import extract_features

#: A crop must reach this loudness somewhere to be worth training on, in dB.
_AUDIBLE_DB = -60.0


@dataclass(frozen=True)
class Recording:
    """One analysed recording: audio (n_frames * hop,), f0_hz and loudness_db (n_frames,)."""

    audio: npt.NDArray[np.float32]
    f0_hz: npt.NDArray[np.float32]
    loudness_db: npt.NDArray[np.float32]
    voiced: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Batch:
    """Aligned training examples: audio (batch, n_frames * hop); f0_hz, loudness_db
    (batch, n_frames)."""

    audio: torch.Tensor
    f0_hz: torch.Tensor
    loudness_db: torch.Tensor


def analyse_recording(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    model_sample_rate_hz: int,
    hop_samples: int,
    pitch_engine: str = DEFAULT_ENGINE,
) -> Recording:
    """Resamples mono audio to the model's rate and computes its controls."""
    audio = np.asarray(samples, dtype=np.float32)
    if sample_rate_hz != model_sample_rate_hz:
        audio = soxr.resample(audio, sample_rate_hz, model_sample_rate_hz, quality="HQ")
    features = extract_features(audio, model_sample_rate_hz, hop_samples, pitch_engine)
    return Recording(
        audio=np.ascontiguousarray(audio[: features.n_frames * hop_samples], dtype=np.float32),
        f0_hz=features.f0_hz,
        loudness_db=features.loudness_db,
        voiced=features.voiced,
    )


def load_recordings(
    dataset_dir: Path,
    model_sample_rate_hz: int,
    hop_samples: int,
    pitch_engine: str = DEFAULT_ENGINE,
) -> list[Recording]:
    """Every ``*.wav`` of a prepared dataset, analysed, in name order.

    Recordings without any pitched frame (silence, pure noise) are left out.

    Raises:
        PreconditionError: The directory holds no wav file, or none with a pitched sound.
    """
    paths = sorted(dataset_dir.glob("*.wav"))
    if not paths:
        raise PreconditionError(f"the dataset at {dataset_dir} holds no .wav chunks")
    recordings = []
    for path in paths:
        samples, sample_rate_hz = soundfile.read(path, dtype="float32", always_2d=True)
        recording = analyse_recording(
            samples.mean(axis=1), sample_rate_hz, model_sample_rate_hz, hop_samples, pitch_engine
        )
        if recording.voiced.any():
            recordings.append(recording)
    if not recordings:
        raise PreconditionError(
            "no pitched sound found in the dataset: a local timbre model learns from "
            "recordings of one monophonic instrument playing notes"
        )
    return recordings


class CropSampler:
    """Random crops of ``crop_frames`` frames from a set of recordings.

    Crops that are silent throughout are never drawn. A recording shorter than a crop is
    padded with silence (its controls with its last f0 and the silence floor).
    """

    def __init__(self, recordings: list[Recording], crop_frames: int, hop_samples: int) -> None:
        self.crop_frames = crop_frames
        self.hop_samples = hop_samples
        self._recordings = [self._padded(r) for r in recordings]
        # (recording index, first frame) of every audible crop start.
        starts = []
        for index, recording in enumerate(self._recordings):
            n_starts = len(recording.f0_hz) - crop_frames + 1
            loud = recording.loudness_db > _AUDIBLE_DB
            # audible_ahead[s]: some frame in s..s+crop_frames-1 is audible.
            cumulative = np.concatenate([[0], np.cumsum(loud)])
            audible_ahead = cumulative[crop_frames:] - cumulative[:n_starts] > 0
            starts += [(index, int(s)) for s in np.flatnonzero(audible_ahead)]
        if not starts:
            raise PreconditionError("the dataset is silent: nothing reaches -60 dB")
        self._starts = np.asarray(starts, dtype=np.int64)

    def _padded(self, recording: Recording) -> Recording:
        missing = self.crop_frames - len(recording.f0_hz)
        if missing <= 0:
            return recording
        return Recording(
            audio=np.pad(recording.audio, (0, missing * self.hop_samples)),
            f0_hz=np.pad(recording.f0_hz, (0, missing), mode="edge"),
            loudness_db=np.pad(recording.loudness_db, (0, missing), constant_values=-100.0),
            voiced=np.pad(recording.voiced, (0, missing)),
        )

    @property
    def n_crops(self) -> int:
        """How many distinct crop positions there are."""
        return len(self._starts)

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """A batch of crops drawn uniformly, with replacement, from all audible positions."""
        picks = torch.randint(len(self._starts), (batch_size,), generator=generator).numpy()
        audio, f0, loudness = [], [], []
        for index, start in self._starts[picks]:
            recording = self._recordings[index]
            frames = slice(start, start + self.crop_frames)
            samples = slice(start * self.hop_samples, (start + self.crop_frames) * self.hop_samples)
            audio.append(recording.audio[samples])
            f0.append(recording.f0_hz[frames])
            loudness.append(recording.loudness_db[frames])
        return Batch(
            audio=torch.from_numpy(np.stack(audio)),
            f0_hz=torch.from_numpy(np.stack(f0)),
            loudness_db=torch.from_numpy(np.stack(loudness)),
        )


def total_duration_s(recordings: list[Recording], sample_rate_hz: int) -> float:
    """Seconds of audio across recordings."""
    return sum(len(r.audio) for r in recordings) / sample_rate_hz
