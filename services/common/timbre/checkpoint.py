"""A trained timbre model as one file: the decoder's weights, its config, and what the
renderer needs to know about the instrument it learned.

The file is a ``torch.save`` of plain tensors, numbers and strings, read back with
``weights_only=True``, so loading a model file can never run code.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from typing import Any

import torch

from services.common.errors import InvalidInputError
from services.common.timbre.model import DdspConfig, DdspDecoder

#: Bumped when the file layout changes; older files are refused with a clear message.
FORMAT_VERSION = 1
#: The artifact file name of a trained timbre model.
MODEL_FILE_NAME = "timbre_model.pt"


@dataclass(frozen=True)
class InstrumentRange:
    """What the training recordings covered, so renders stay where the model has been.

    loudness_db: (quiet, loud) playing loudness, dB: the 10th and 95th percentiles of
        the voiced frames.
    f0_hz: (lowest, highest) pitch, Hz: the 2nd and 98th percentiles of the voiced frames.
    """

    loudness_db: tuple[float, float]
    f0_hz: tuple[float, float]


@dataclass
class TimbreModel:
    """A decoder ready to render, with its instrument's name and range."""

    decoder: DdspDecoder
    instrument: str
    instrument_range: InstrumentRange

    @property
    def config(self) -> DdspConfig:
        return self.decoder.config


def model_to_bytes(model: TimbreModel) -> bytes:
    """Serializes a timbre model (see the module docstring)."""
    buffer = io.BytesIO()
    torch.save(
        {
            "format_version": FORMAT_VERSION,
            "config": asdict(model.config),
            "state_dict": model.decoder.state_dict(),
            "instrument": model.instrument,
            "loudness_range_db": list(model.instrument_range.loudness_db),
            "f0_range_hz": list(model.instrument_range.f0_hz),
        },
        buffer,
    )
    return buffer.getvalue()


def model_from_bytes(data: bytes) -> TimbreModel:
    """Reads a file written by :func:`model_to_bytes`; the decoder is in eval mode.

    Raises:
        InvalidInputError: The bytes are not a timbre model file of this format.
    """
    try:
        saved: dict[str, Any] = torch.load(io.BytesIO(data), weights_only=True)
    except Exception as error:  # torch raises pickle, zip and runtime errors alike
        raise InvalidInputError(f"not a timbre model file: {error}") from error
    if saved.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"timbre model file format {saved.get('format_version')!r} is not supported "
            f"(expected {FORMAT_VERSION}); retrain the model"
        )
    decoder = DdspDecoder(DdspConfig(**saved["config"]))
    decoder.load_state_dict(saved["state_dict"])
    decoder.eval()
    low_db, high_db = saved["loudness_range_db"]
    low_hz, high_hz = saved["f0_range_hz"]
    return TimbreModel(
        decoder=decoder,
        instrument=str(saved["instrument"]),
        instrument_range=InstrumentRange(
            loudness_db=(float(low_db), float(high_db)), f0_hz=(float(low_hz), float(high_hz))
        ),
    )
