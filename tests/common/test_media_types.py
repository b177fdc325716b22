"""One media type per audio format, whether a file is sniffed or made by us."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.media_types import AUDIO_MEDIA_TYPES, UNKNOWN_MEDIA_TYPE, sniff_media_type
from services.synth.types import OutputFormat
from tests.support.encoding import FORMATS, encode

TONE = np.sin(np.linspace(0, 2 * np.pi * 220, 16_000)).astype(np.float32) * 0.5


@pytest.mark.parametrize("audio_format", sorted(FORMATS))
def test_an_uploaded_recording_is_named_as_its_format_is_everywhere(audio_format: str) -> None:
    recording = encode(TONE, 16_000, audio_format)
    assert sniff_media_type(recording) == AUDIO_MEDIA_TYPES[audio_format]


def test_flac_and_wav_are_the_registered_names_not_filetypes_x_types() -> None:
    assert sniff_media_type(encode(TONE, 16_000, "flac")) == "audio/flac"
    assert sniff_media_type(encode(TONE, 16_000, "wav")) == "audio/wav"


def test_what_the_synth_streams_has_the_same_names() -> None:
    assert {output.value: output.media_type for output in OutputFormat} == {
        "wav": "audio/wav",
        "flac": "audio/flac",
    }


def test_bytes_of_no_known_format_are_octet_stream() -> None:
    assert sniff_media_type(b"la la la") == UNKNOWN_MEDIA_TYPE
