"""The one audio decoder of the project: uploaded bytes in, mono float32 samples out.

Every service that accepts audio calls :func:`decode_audio`. PyAV (FFmpeg inside the wheel)
reads wav, flac, ogg/opus, mp3, webm/opus and m4a/aac alike; :func:`downmix_to_mono` turns
the channels into one (keeping a voice that the plain mix would cancel); soxr resamples when
a caller needs a fixed rate. Errors are ``ValueError`` subclasses whose messages can be
shown to the person who uploaded the file.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
import soundfile
import soxr

Float32Array = npt.NDArray[np.float32]

# Containers whose header states a duration let us refuse a long upload before decoding it;
# the running sample count below catches the rest (streams without metadata, lying headers).
_AV_TIME_BASE_S = 1e-6


#: What users are told they may upload (anything FFmpeg reads works).
SUPPORTED_FORMATS = "wav, flac, mp3, ogg/opus, webm, m4a/aac"

#: The channels cancel when their mean keeps less than this share of the energy that the
#: mean of unrelated channels of the same energies would have (the sum of the channels'
#: energies over the number of channels squared). Identical channels keep n times that,
#: unrelated ones (or a voice on one channel, the others silent) 1, a channel and its
#: inverse 0; for two channels of equal energy the bound is a correlation of -0.5.
CANCELLING_ENERGY_RATIO = 0.5

#: A file whose header promises more audio than this beyond what it holds, in seconds,
#: was cut short (encoders' priming and padding differ from the header by under 30 ms).
CUT_SHORT_TOLERANCE_S = 0.1

#: FFmpeg's probe of a WAV file: its header states the codec, rate and channels, yet
#: ``avformat_find_stream_info`` reads up to ``probesize`` (5 MB by default) of the PCM
#: after it, which was two thirds of decoding a 12 s WAV (16 of 23 ms). Other containers
#: stop probing early by themselves and keep FFmpeg's default (an mp3 whose ID3 tag holds
#: cover art needs the default to be recognised).
_WAV_PROBE_OPTIONS = {"probesize": str(32 * 1024)}
#: RIFF/WAVE, 64-bit RF64 and Broadcast Wave 64: the first 4 bytes, then "WAVE" at 8.
_WAV_MAGIC = (b"RIFF", b"RF64", b"BW64")


class AudioDecodeError(ValueError):
    """The upload is not audio we can read, or holds no samples."""


class AudioTooLongError(ValueError):
    """The audio is longer than the caller's limit."""

    def __init__(self, duration_s: float, max_duration_s: float, *, at_least: bool = False):
        self.duration_s = duration_s
        self.max_duration_s = max_duration_s
        qualifier = "at least " if at_least else ""
        super().__init__(
            f"the audio is {qualifier}{duration_s:.1f} s long; the limit is {max_duration_s:g} s"
        )


@dataclass(frozen=True)
class DecodedAudio:
    """Mono audio: ``samples`` has shape (n_samples,), float32 in [-1, 1]."""

    samples: Float32Array
    sample_rate_hz: int
    format_name: str  # FFmpeg's name of the container, e.g. "wav", "ogg", "mov,mp4,m4a,..."
    #: Things the person who uploaded the file should know (e.g. that its channels cancel).
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz


def decode_audio(
    data: bytes,
    *,
    max_duration_s: float | None = None,
    target_sample_rate_hz: int | None = None,
) -> DecodedAudio:
    """Decode an uploaded audio file of any common format to mono float32 samples.

    Args:
        data: The whole file as bytes (wav, flac, ogg/opus, mp3, webm/opus, m4a/aac, ...).
        max_duration_s: Refuse audio longer than this many seconds. The container's
            stated duration is checked before decoding and the decoded length while
            decoding, so a huge upload is never decoded in full.
        target_sample_rate_hz: Resample to this rate (soxr, high quality); None keeps
            the file's own rate.

    Returns:
        DecodedAudio with samples of shape (n_samples,), float32, clipped to [-1, 1]: the
        mean of the channels, or the loudest channel when the mean cancels (see
        :func:`downmix_to_mono`; a warning then says so). A file cut short (its header
        promises more than it holds) or breaking off in a damaged frame gives the audio
        it holds, with a warning saying so.

    Raises:
        AudioDecodeError: Empty upload, not decodable as audio, or no samples in it.
        AudioTooLongError: Longer than max_duration_s.
    """
    if not data:
        raise AudioDecodeError("the upload is empty")
    if target_sample_rate_hz is not None and target_sample_rate_hz <= 0:
        raise ValueError(f"target_sample_rate_hz must be positive, got {target_sample_rate_hz}")
    try:
        channels, sample_rate_hz, format_name, cut_warning = _decode_channels(data, max_duration_s)
    except av.FFmpegError as error:
        cut_short = _cut_before_audio(data)
        if cut_short is not None:
            raise AudioDecodeError(f"could not decode the upload as audio: {cut_short}") from error
        # FFmpeg's own words ("Invalid data found when processing input"), without its
        # errno and the '<none>' file name that an in-memory upload has.
        reason = error.strerror or "unreadable data"
        raise AudioDecodeError(
            f"could not decode the upload as audio ({reason.lower()}); "
            f"send one of: {SUPPORTED_FORMATS}"
        ) from error
    except (UnicodeDecodeError, IndexError) as error:
        raise AudioDecodeError(
            f"could not decode the upload as audio; send one of: {SUPPORTED_FORMATS}"
        ) from error
    if channels.shape[1] == 0:
        if cut_warning is not None:  # a header promising audio, and none after it
            raise AudioDecodeError(
                "the audio has no samples: the file is cut short after its header (was the "
                "upload interrupted?)"
            )
        raise AudioDecodeError("the audio has no samples")
    broken_warning = _non_finite_warning(channels)
    samples, mix_warning = downmix_to_mono(np.nan_to_num(channels, copy=False))
    del channels
    if target_sample_rate_hz is not None and target_sample_rate_hz != sample_rate_hz:
        samples = soxr.resample(samples, sample_rate_hz, target_sample_rate_hz, quality="HQ")
        sample_rate_hz = target_sample_rate_hz
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)
    return DecodedAudio(
        samples=samples,
        sample_rate_hz=sample_rate_hz,
        format_name=format_name,
        warnings=tuple(
            warning for warning in (cut_warning, broken_warning, mix_warning) if warning
        ),
    )


def _non_finite_warning(channels: Float32Array) -> str | None:
    """What a person is told about samples that are not numbers (NaN or infinite: a
    float WAV written by broken software), which are read as silence.

    Raises AudioDecodeError when no sample is a number.
    """
    broken = int(np.count_nonzero(~np.isfinite(channels)))
    if broken == 0:
        return None
    if broken == channels.size:
        raise AudioDecodeError(
            "none of the audio's samples is a number (all are NaN or infinite): the file "
            "is damaged; export the recording again"
        )
    share = broken / channels.size
    return (
        f"{broken} of the audio's {channels.size} samples ({share:.1%}) are not numbers "
        "(NaN or infinite) and were read as silence: the file is damaged"
    )


def downmix_to_mono(channels: npt.ArrayLike) -> tuple[Float32Array, str | None]:
    """One channel from many, so that a voice on any channel survives.

    The mix is the channel mean (FFmpeg's downmix matrix boosts correlated stereo by 3 dB
    and can clip). When the mean keeps less than CANCELLING_ENERGY_RATIO of the energy that
    the mean of unrelated channels would have, the channels cancel each other (a wire
    swapped on one side of a stereo microphone, a phase-inverting effect): the loudest
    single channel is used instead.

    Args:
        channels: Shape (n_channels, n_samples), floats.

    Returns:
        (samples of shape (n_samples,), float32; a warning for the uploader when the
        channels cancelled, else None).

    Raises:
        ValueError: ``channels`` is not two-dimensional or has no channel.
    """
    planes = np.asarray(channels, dtype=np.float32)
    if planes.ndim != 2 or planes.shape[0] == 0:
        raise ValueError(f"channels must have shape (n_channels, n_samples), got {planes.shape}")
    if planes.shape[0] == 1:
        return planes[0], None
    mix = planes.mean(axis=0, dtype=np.float32)
    channel_energy = np.einsum("cn,cn->c", planes, planes, dtype=np.float64)
    mix_energy = float(np.dot(mix.astype(np.float64), mix.astype(np.float64)))
    unrelated_mix_energy = float(channel_energy.sum()) / planes.shape[0] ** 2
    if channel_energy.max() <= 0.0 or mix_energy >= CANCELLING_ENERGY_RATIO * unrelated_mix_energy:
        return mix, None
    loudest = int(np.argmax(channel_energy))
    if planes.shape[0] == 2:
        which = "left and right channels", ("left", "right")[loudest] + " channel"
    else:
        which = f"{planes.shape[0]} channels", f"channel {loudest + 1} (the loudest)"
    return planes[loudest].copy(), (
        f"the recording's {which[0]} cancel each other out when mixed (they are in opposite "
        f"phase), so only the {which[1]} was used"
    )


def _decode_channels(
    data: bytes, max_duration_s: float | None
) -> tuple[Float32Array, int, str, str | None]:
    """(channels, sample rate, FFmpeg's container name, a warning when the file is cut
    short or breaks off: the audio before the break is kept)."""
    is_wav = data[:4] in _WAV_MAGIC and data[8:12] == b"WAVE"
    options = _WAV_PROBE_OPTIONS if is_wav else {}
    with av.open(io.BytesIO(data), mode="r", options=options) as container:
        if not container.streams.audio:
            raise AudioDecodeError("could not decode the upload as audio: it has no audio stream")
        stream = container.streams.audio[0]
        if max_duration_s is not None:
            stated_s = _stated_duration_s(container, stream)
            if stated_s is not None and stated_s > max_duration_s:
                raise AudioTooLongError(stated_s, max_duration_s)
        if stream.codec_context is None:  # e.g. a WAV whose format tag names no codec
            raise AudioDecodeError(
                "could not decode the upload as audio: its audio codec is not one FFmpeg "
                f"knows; send one of: {SUPPORTED_FORMATS}"
            )
        sample_rate_hz = int(stream.codec_context.sample_rate or stream.rate or 0)
        if sample_rate_hz <= 0:
            raise AudioDecodeError("could not decode the upload as audio: no sample rate")
        # Each frame's samples are converted to float here rather than by FFmpeg's
        # resampler, which crashes (PyAV 18) on frames whose many channels have no layout
        # mask; the mixdown is ours too (downmix_to_mono), once every channel is decoded.
        max_samples = None if max_duration_s is None else int(max_duration_s * sample_rate_hz)
        chunks: list[Float32Array] = []
        n_samples = 0
        broke_off = False
        try:
            for frame in container.decode(stream):
                chunk = _planes(frame)
                chunks.append(chunk)
                n_samples += chunk.shape[1]
                if (
                    max_samples is not None
                    and max_duration_s is not None
                    and n_samples > max_samples
                ):
                    raise AudioTooLongError(
                        n_samples / sample_rate_hz, max_duration_s, at_least=True
                    )
        except av.FFmpegError:
            # A FLAC or MP3 cut off mid-frame fails on its last packet: the audio before
            # it is sound, and is what the person recorded.
            if not chunks:
                raise
            broke_off = True
        stated_s = _wav_stated_duration_s(data) if is_wav else _stated_duration_s(container, stream)
        # FFmpeg reads an Ogg file cut short to its last whole page without a word, and
        # its stated duration is read from that page: the pages themselves say so.
        broke_off = broke_off or (data[:4] == b"OggS" and _ogg_ends_early(data))
        format_name = str(container.format.name)
        n_channels = chunks[0].shape[0] if chunks else 1
    channels = (
        np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
        if chunks
        else np.zeros((n_channels, 0), dtype=np.float32)
    )
    return (
        channels,
        sample_rate_hz,
        format_name,
        _cut_short_warning(channels.shape[1] / sample_rate_hz, stated_s, broke_off),
    )


def _cut_short_warning(decoded_s: float, stated_s: float | None, broke_off: bool) -> str | None:
    if stated_s is not None and stated_s - decoded_s > CUT_SHORT_TOLERANCE_S:
        held = _duration_text(decoded_s)
        return (
            f"the file is cut short: its header promises {_duration_text(stated_s)} of audio "
            f"but it holds {held} (was the upload interrupted?); the {held} there were used"
        )
    if broke_off:
        return (
            f"the file breaks off after {_duration_text(decoded_s)} (it is damaged or cut "
            "short); the audio up to there was used"
        )
    return None


def _duration_text(seconds: float) -> str:
    """ "33.2 s", or "22 ms" under a second (where tenths of a second would say 0.0 s)."""
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _wav_stated_duration_s(data: bytes) -> float | None:
    """The duration that a RIFF WAVE header's ``fmt `` and ``data`` chunks state, from
    their sizes (FFmpeg states only what the file holds); None for a header without
    them, a streamed one (data size 0 or 0xFFFFFFFF: unknown) or RF64/BW64 (whose size
    is in a ds64 chunk). Chunk layout: the Microsoft/IBM RIFF specification (1991)."""
    if data[:4] != b"RIFF":
        return None
    byte_rate = 0
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        if chunk_id == b"fmt " and size >= 16 and offset + 16 <= len(data):
            (byte_rate,) = struct.unpack_from("<I", data, offset + 16)
        if chunk_id == b"data":
            if byte_rate <= 0 or size in (0, 0xFFFFFFFF):
                return None
            return size / byte_rate
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
    return None


def _cut_before_audio(data: bytes) -> str | None:
    """Why a file FFmpeg could not open is cut short before its audio, when its own
    structure says so; None otherwise."""
    interrupted = "(was the upload interrupted?)"
    # "WAVE", or as much of it as the file holds.
    wave_form = data[8:12] == b"WAVE"[: max(0, min(4, len(data) - 8))]
    if data[:4] in _WAV_MAGIC and wave_form and b"data" not in data[12:]:
        return f"the WAV file ends inside its header, before any audio {interrupted}"
    if data[4:8] == b"ftyp" and b"moov" not in data:
        # An MP4/M4A keeps its index (the moov box) at its end unless it was written
        # for streaming: without it not one sample can be found.
        return (
            "the MP4/M4A file has no index (its 'moov' box, which most recorders write "
            "last), so it is probably cut short; send the whole file"
        )
    if data[:4] == _OGG_CAPTURE and _ogg_ends_early(data):
        return f"the Ogg file ends inside a page, before any audio could be read {interrupted}"
    if data[:4] == b"fLaC":
        if _flac_header_end(data) > len(data):
            return f"the FLAC file ends inside its header, before any audio {interrupted}"
        return f"the FLAC file ends inside its first frame of audio, or is damaged {interrupted}"
    if data[:4] in _WAV_MAGIC and _wav_holds_no_whole_sample(data):
        return f"the WAV file ends before its first whole sample {interrupted}"
    if data[:3] == b"ID3" and (len(data) < 10 or _id3_end(data) >= len(data)):
        return f"the MP3 file ends inside its ID3 tag, before any audio {interrupted}"
    audio_start = _id3_end(data) if data[:3] == b"ID3" else 0
    if (
        data[audio_start : audio_start + 1] == b"\xff"
        and (data[audio_start + 1 : audio_start + 2] or b"\x00")[0] & 0xE0 == 0xE0
    ):
        # An MPEG audio frame's sync word (11 bits set) that FFmpeg could not read on.
        return f"the MP3 file ends inside its first frame of audio {interrupted}"
    if data[:4] == _EBML_MAGIC:
        return f"the WebM/Matroska file ends before any audio could be read {interrupted}"
    return None


_EBML_MAGIC = bytes.fromhex("1a45dfa3")


def _wav_holds_no_whole_sample(data: bytes) -> bool:
    """Whether a RIFF WAVE file's ``data`` chunk holds fewer bytes than one sample frame
    (its ``fmt `` chunk's block align; the chunk layout as in _wav_stated_duration_s)."""
    block_align = 0
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        if chunk_id == b"fmt " and offset + 22 <= len(data):
            (block_align,) = struct.unpack_from("<H", data, offset + 20)
        if chunk_id == b"data":
            return 0 < len(data) - (offset + 8) < block_align
        offset += 8 + size + (size & 1)
    return False


def _flac_header_end(data: bytes) -> int:
    """Where a FLAC file's metadata blocks end (its first audio frame), from their
    headers: one byte (last-block flag, type) and a 24-bit length each, after "fLaC"
    (the FLAC format specification, RFC 9639 section 8)."""
    offset = 4
    while offset + 4 <= len(data):
        last = data[offset] & 0x80
        offset += 4 + int.from_bytes(data[offset + 1 : offset + 4], "big")
        if last:
            return offset
    return len(data) + 1  # the block headers themselves are cut


def _id3_end(data: bytes) -> int:
    """Where an ID3v2 tag ends: its 10-byte header and a size of four 7-bit bytes
    (ID3v2.4 section 3.1), plus a 10-byte footer when its flag says so."""
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


_OGG_CAPTURE = b"OggS"
_OGG_HEADER_BYTES = 27
_OGG_END_OF_STREAM = 0x04


def _ogg_ends_early(data: bytes) -> bool:
    """Whether an Ogg file ends inside a page, or before a logical stream's last page
    (the one marked end of stream). Page layout: RFC 3533, section 6: "OggS", version,
    header type flags (0x04: end of stream), granule position, serial number, sequence
    number, checksum, the number of segments, then their lengths and the segments."""
    offset = 0
    open_streams: set[int] = set()
    while offset < len(data):
        if data[offset : offset + 4] != _OGG_CAPTURE or offset + _OGG_HEADER_BYTES > len(data):
            return True
        flags = data[offset + 5]
        (serial,) = struct.unpack_from("<I", data, offset + 14)
        segments = data[offset + 26]
        table_end = offset + _OGG_HEADER_BYTES + segments
        if table_end > len(data):
            return True
        page_end = table_end + sum(data[offset + _OGG_HEADER_BYTES : table_end])
        if page_end > len(data):
            return True
        if flags & _OGG_END_OF_STREAM:
            open_streams.discard(serial)
        else:
            open_streams.add(serial)
        offset = page_end
    return bool(open_streams)


#: Full scale of FFmpeg's integer sample formats (u8 is offset binary around 128).
_INTEGER_FULL_SCALE = {"u8": 128.0, "s16": 2.0**15, "s32": 2.0**31, "s64": 2.0**63}


def _planes(frame: av.AudioFrame) -> Float32Array:
    """(channels, n_samples) float32 in [-1, 1] of a decoded frame of any sample format.

    Raises AudioDecodeError for a sample format FFmpeg names but we do not know.
    """
    sample_format = frame.format
    n_channels = max(1, len(frame.layout.channels))
    array = frame.to_ndarray()
    if sample_format.is_planar:
        base = sample_format.packed.name
    else:  # interleaved: one row of n_samples * n_channels values
        base = sample_format.name
        array = array.reshape(-1, n_channels).T
    if base in ("flt", "dbl"):
        return array.astype(np.float32, copy=False)
    full_scale = _INTEGER_FULL_SCALE.get(base)
    if full_scale is None:
        raise AudioDecodeError(f"could not decode the upload as audio: sample format {base}")
    if base == "u8":
        return ((array.astype(np.float32) - 128.0) / full_scale).astype(np.float32)
    return (array.astype(np.float64) / full_scale).astype(np.float32)


def _stated_duration_s(
    container: av.container.InputContainer, stream: av.AudioStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration * _AV_TIME_BASE_S
    return None


def encode_wav(samples: npt.ArrayLike, sample_rate_hz: int) -> bytes:
    """Encode mono samples of shape (n_samples,), floats in [-1, 1], as a 16-bit PCM WAV file."""
    signal = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    buffer = io.BytesIO()
    soundfile.write(buffer, signal, sample_rate_hz, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
