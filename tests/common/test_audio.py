"""services.common.audio: every upload format decodes to the same mono samples."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
import soundfile

from services.common import audio
from services.common.audio import (
    AudioDecodeError,
    AudioTooLongError,
    DecodedAudio,
    decode_audio,
    downmix_to_mono,
    encode_wav,
)
from tests.support.encoding import encode

TONE_HZ = 440.0


def _stereo_tone(sample_rate_hz: int, duration_s: float) -> np.ndarray:
    t_s = np.arange(round(sample_rate_hz * duration_s)) / sample_rate_hz
    left = 0.5 * np.sin(2 * np.pi * TONE_HZ * t_s)
    return np.stack([left, left]).astype(np.float32)  # (channels, n_samples)


def _encode_with_pyav(
    container_format: str, codec: str, sample_rate_hz: int, duration_s: float = 1.0
) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate_hz)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            _stereo_tone(sample_rate_hz, duration_s), format="fltp", layout="stereo"
        )
        frame.sample_rate = sample_rate_hz
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _dominant_frequency_hz(decoded: DecodedAudio) -> float:
    spectrum = np.abs(np.fft.rfft(decoded.samples * np.hanning(len(decoded.samples))))
    return float(
        np.fft.rfftfreq(len(decoded.samples), 1 / decoded.sample_rate_hz)[np.argmax(spectrum)]
    )


@pytest.mark.parametrize(
    ("container_format", "codec", "sample_rate_hz"),
    [
        ("wav", "pcm_s16le", 22_050),
        ("flac", "flac", 44_100),
        ("mp3", "libmp3lame", 44_100),
        ("ogg", "libopus", 48_000),
        ("webm", "libopus", 48_000),
        ("ipod", "aac", 44_100),  # .m4a
    ],
)
def test_every_upload_format_decodes_to_the_same_mono_tone(container_format, codec, sample_rate_hz):
    decoded = decode_audio(_encode_with_pyav(container_format, codec, sample_rate_hz))

    assert decoded.sample_rate_hz == sample_rate_hz
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1
    assert decoded.duration_s == pytest.approx(1.0, abs=0.06)
    # Mono mixdown is the channel mean: identical 0.5-amplitude channels stay at 0.5.
    assert np.max(np.abs(decoded.samples)) == pytest.approx(0.5, abs=0.06)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)
    assert decoded.warnings == ()


def test_wav_round_trip_keeps_the_samples_to_16_bit_precision():
    samples = _stereo_tone(16_000, 0.5)[0]

    decoded = decode_audio(encode_wav(samples, 16_000))

    assert decoded.format_name == "wav"
    np.testing.assert_allclose(decoded.samples, samples, atol=1e-4)


def _with_chunk_before_data(wav: bytes, chunk_id: bytes, size_bytes: int) -> bytes:
    """``wav`` with a chunk of ``size_bytes`` (e.g. a LIST or iXML block) before ``data``."""
    data_at = wav.index(b"data")
    chunk = chunk_id + size_bytes.to_bytes(4, "little") + bytes(size_bytes)
    body = wav[12:data_at] + chunk + wav[data_at:]
    return b"RIFF" + (4 + len(body)).to_bytes(4, "little") + b"WAVE" + body


def test_wav_with_a_large_metadata_chunk_before_its_samples_decodes():
    # The WAV probe is cut short (it only needs the header); metadata far longer than
    # the probe must not hide the samples.
    samples = _stereo_tone(16_000, 0.5)[0]
    wav = _with_chunk_before_data(encode_wav(samples, 16_000), b"LIST", 200_000)

    decoded = decode_audio(wav)

    assert decoded.sample_rate_hz == 16_000
    np.testing.assert_allclose(decoded.samples, samples, atol=1e-4)


@pytest.mark.parametrize("codec", ["pcm_s24le", "pcm_f32le", "pcm_mulaw", "adpcm_ms", "mp3"])
def test_wav_of_any_codec_decodes_the_whole_minute(codec):
    decoded = decode_audio(_encode_with_pyav("wav", codec, 22_050, duration_s=60.0))

    assert decoded.sample_rate_hz == 22_050
    assert decoded.duration_s == pytest.approx(60.0, abs=0.1)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)


def _soundfile_wav(container: str, subtype: str, channels: int) -> bytes:
    rate_hz = 8_000 if subtype == "GSM610" else 44_100
    tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(rate_hz) / rate_hz)
    buffer = io.BytesIO()
    soundfile.write(
        buffer,
        np.repeat(tone[:, None], channels, axis=1),
        rate_hz,
        format=container,
        subtype=subtype,
    )
    return buffer.getvalue()


def _streamed(wav: bytes) -> bytes:
    """As a recorder that cannot seek back writes it: the data size left at 0xFFFFFFFF."""
    at = wav.index(b"data") + 4
    return wav[:at] + b"\xff\xff\xff\xff" + wav[at + 4 :]


#: (container, subtype, channels) that libsndfile writes: ADPCM and GSM only in plain WAV.
_WAV_KINDS = [
    (container, subtype, channels)
    for container in ("WAV", "WAVEX", "RF64")
    for subtype, channels in [
        ("PCM_U8", 1),
        ("PCM_16", 2),
        ("PCM_24", 8),
        ("PCM_32", 2),
        ("FLOAT", 2),
        ("DOUBLE", 1),
        ("ULAW", 1),
        ("ALAW", 2),
        ("IMA_ADPCM", 2),
        ("MS_ADPCM", 1),
        ("GSM610", 1),
    ]
    if container == "WAV" or subtype not in ("IMA_ADPCM", "MS_ADPCM", "GSM610")
]


@pytest.mark.parametrize(("container", "subtype", "channels"), _WAV_KINDS)
@pytest.mark.parametrize("damage", ["whole", "truncated", "streamed"])
def test_the_short_wav_probe_reads_every_wav_as_ffmpegs_full_probe_does(
    monkeypatch, container, subtype, channels, damage
):
    wav = _soundfile_wav(container, subtype, channels)
    wav = {"whole": wav, "truncated": wav[: len(wav) * 2 // 3], "streamed": _streamed(wav)}[damage]

    def decoded(probe_options: dict[str, str]) -> tuple[int, np.ndarray] | str:
        monkeypatch.setattr(audio, "_WAV_PROBE_OPTIONS", probe_options)
        try:
            result = decode_audio(wav)
        except (AudioDecodeError, AudioTooLongError) as error:
            return str(error)
        return result.sample_rate_hz, result.samples

    short, full = decoded(audio._WAV_PROBE_OPTIONS), decoded({})

    if isinstance(full, str):
        assert short == full
    else:
        assert not isinstance(short, str)
        assert short[0] == full[0]
        np.testing.assert_array_equal(short[1], full[1])


def test_target_sample_rate_resamples_and_keeps_the_pitch():
    decoded = decode_audio(_encode_with_pyav("flac", "flac", 44_100), target_sample_rate_hz=16_000)

    assert decoded.sample_rate_hz == 16_000
    assert len(decoded.samples) == pytest.approx(16_000, abs=2)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)


def test_empty_upload_is_refused_with_a_plain_message():
    with pytest.raises(AudioDecodeError, match="the upload is empty"):
        decode_audio(b"")


def test_garbage_is_refused_as_not_audio():
    with pytest.raises(AudioDecodeError, match="could not decode the upload as audio"):
        decode_audio(b"this is a text file, not a recording\n" * 50)


def test_audio_without_samples_is_refused():
    with pytest.raises(AudioDecodeError, match="no samples"):
        decode_audio(encode_wav(np.zeros(0, dtype=np.float32), 16_000))


def test_too_long_audio_is_refused_before_decoding_from_the_header():
    upload = encode_wav(np.zeros(16_000 * 5, dtype=np.float32), 16_000)

    with pytest.raises(AudioTooLongError, match=r"the audio is 5\.0 s long; the limit is 3 s"):
        decode_audio(upload, max_duration_s=3)


def test_too_long_audio_without_a_stated_duration_stops_while_decoding(monkeypatch):
    # Streams may state no duration (or a wrong one); then the running sample count must
    # stop decoding shortly after the limit instead of decoding the whole upload.
    monkeypatch.setattr(audio, "_stated_duration_s", lambda container, stream: None)
    upload = _encode_with_pyav("flac", "flac", 44_100, duration_s=20.0)

    with pytest.raises(
        AudioTooLongError, match=r"the audio is at least 2\.\d s long; the limit is 2 s"
    ):
        decode_audio(upload, max_duration_s=2)


def test_audio_within_the_limit_decodes():
    upload = encode_wav(np.zeros(16_000 * 2, dtype=np.float32), 16_000)

    assert decode_audio(upload, max_duration_s=3).duration_s == pytest.approx(2.0)


# ---- files cut short ----


def _tone(duration_s: float, sample_rate_hz: int = 22_050) -> np.ndarray:
    times_s = np.arange(int(duration_s * sample_rate_hz)) / sample_rate_hz
    return (0.5 * np.sin(2 * np.pi * TONE_HZ * times_s)).astype(np.float32)


@pytest.mark.parametrize("file_format", ["wav", "flac", "mp3", "webm"])
def test_a_file_cut_short_gives_the_audio_it_holds_and_says_it_is_cut_short(file_format):
    whole = encode(_tone(4.0), 22_050, file_format)

    decoded = decode_audio(whole[: len(whole) * 6 // 10])

    assert 1.5 < decoded.duration_s < 3.0
    assert len(decoded.warnings) == 1
    assert decoded.warnings[0].startswith(
        f"the file is cut short: its header promises 4.0 s of audio but it holds "
        f"{decoded.duration_s:.1f} s (was the upload interrupted?)"
    )
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, rel=0.01)


def test_a_file_cut_short_under_a_second_says_how_much_it_holds_in_milliseconds():
    whole = encode(_tone(4.0), 22_050, "wav")

    decoded = decode_audio(whole[:1000])  # 478 samples at 22.05 kHz: 21.7 ms

    assert decoded.warnings[0].startswith(
        "the file is cut short: its header promises 4.0 s of audio but it holds 21 ms "
        "(was the upload interrupted?); the 21 ms there were used"
    )


@pytest.mark.parametrize("file_format", ["wav", "flac", "mp3", "ogg", "webm", "m4a"])
def test_a_whole_file_has_no_cut_short_warning(file_format):
    assert decode_audio(encode(_tone(4.0), 22_050, file_format)).warnings == ()


def test_a_streamed_wav_of_unknown_size_is_not_called_cut_short():
    streamed = _streamed(encode(_tone(1.0), 22_050, "wav"))
    assert decode_audio(streamed).warnings == ()


# ---- channels that cancel when mixed ----


@pytest.mark.parametrize("file_format", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_stereo_in_opposite_phase_keeps_its_voice_and_says_why(file_format):
    # One channel is the other inverted: their mean is exact silence.
    left = _stereo_tone(44_100, 1.0)[0]

    decoded = decode_audio(encode(np.stack([left, -left]), 44_100, file_format))

    assert np.max(np.abs(decoded.samples)) == pytest.approx(0.5, abs=0.06)
    assert _dominant_frequency_hz(decoded) == pytest.approx(TONE_HZ, abs=3.0)
    assert len(decoded.warnings) == 1
    assert "cancel each other out" in decoded.warnings[0]


def test_the_louder_of_two_cancelling_channels_is_the_one_kept():
    tone = _stereo_tone(16_000, 1.0)[0]

    decoded = decode_audio(encode(np.stack([-0.4 * tone, tone]), 16_000, "wav"))

    assert np.max(np.abs(decoded.samples)) == pytest.approx(0.5, abs=0.01)
    assert "right channel" in decoded.warnings[0]


def test_four_channels_that_cancel_in_pairs_keep_the_loudest():
    tone = _stereo_tone(16_000, 0.5)[0]
    channels = np.stack([0.5 * tone, tone, -0.5 * tone, -tone])

    samples, warning = downmix_to_mono(channels)

    np.testing.assert_allclose(samples, tone)
    assert warning is not None and "channel 2 (the loudest)" in warning


@pytest.mark.parametrize(
    ("name", "right_of"),
    [
        ("identical channels", lambda left, noise: left),
        ("a voice on the left only", lambda left, noise: np.zeros_like(left)),
        ("unrelated channels", lambda left, noise: noise),
        ("a faint inverted leak on the right", lambda left, noise: -0.1 * left),
    ],
)
def test_channels_that_do_not_cancel_are_mixed_as_their_mean(name, right_of):
    left = _stereo_tone(16_000, 0.5)[0]
    noise = np.random.default_rng(3).normal(0.0, 0.3, left.shape).astype(np.float32)
    right = right_of(left, noise).astype(np.float32)

    samples, warning = downmix_to_mono(np.stack([left, right]))

    np.testing.assert_allclose(samples, (left + right) / 2, atol=1e-6)
    assert warning is None, name


def test_silent_stereo_is_mixed_without_a_warning():
    samples, warning = downmix_to_mono(np.zeros((2, 1000), dtype=np.float32))

    assert not samples.any() and warning is None


@pytest.mark.parametrize(("n_channels", "voiced"), [(6, 2), (8, 7), (3, 0)])
def test_a_voice_on_one_channel_of_many_silent_ones_is_mixed_without_a_warning(n_channels, voiced):
    planes = np.zeros((n_channels, 8000), dtype=np.float32)
    planes[voiced] = _stereo_tone(16_000, 0.5)[0]

    samples, warning = downmix_to_mono(planes)

    assert warning is None
    np.testing.assert_allclose(samples, planes[voiced] / n_channels, atol=1e-6)


def test_a_wav_cut_right_after_its_header_says_it_is_cut_short():
    whole = encode_wav(_tone(1.0, 16_000), 16_000)
    with pytest.raises(AudioDecodeError, match="no samples: the file is cut short after its"):
        decode_audio(whole[:44])


def test_a_wav_cut_inside_its_header_says_so():
    whole = encode(_tone(1.0), 22_050, "wav")
    with pytest.raises(AudioDecodeError, match="the WAV file ends inside its header"):
        decode_audio(whole[:30])


def _vorbis(samples: np.ndarray, sample_rate_hz: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate_hz, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def test_an_ogg_cut_short_gives_the_audio_it_holds_and_says_it_breaks_off():
    # Ogg states no duration up front: its pages say where the stream ended, or that
    # it did not (the last page of a stream is marked so; RFC 3533).
    whole = encode(_tone(4.0), 22_050, "ogg")

    decoded = decode_audio(whole[: len(whole) * 6 // 10])

    assert 1.5 < decoded.duration_s < 3.0
    assert decoded.warnings == (
        f"the file breaks off after {decoded.duration_s:.1f} s (it is damaged or cut short); "
        "the audio up to there was used",
    )


def test_an_ogg_vorbis_file_whole_has_no_warning_and_cut_short_says_so():
    whole = _vorbis(_tone(4.0), 22_050)
    assert decode_audio(whole).warnings == ()
    with pytest.raises(AudioDecodeError, match="the Ogg file ends inside a page, before any"):
        decode_audio(whole[: len(whole) * 6 // 10])  # inside its one page of audio


@pytest.mark.parametrize(
    ("file_format", "said"),
    [
        ("wav", "the WAV file ends inside its header"),
        ("flac", "the FLAC file ends inside its header"),
        ("mp3", "the MP3 file ends inside its ID3 tag"),
        ("ogg", "the Ogg file ends inside a page"),
        ("webm", "the WebM/Matroska file ends before any audio"),
        ("m4a", "the MP4/M4A file has no index"),
    ],
)
@pytest.mark.parametrize("kept_bytes", [8, 30])
def test_a_file_cut_inside_its_header_says_it_is_cut_short(file_format, said, kept_bytes):
    whole = encode(_tone(1.0), 22_050, file_format)
    with pytest.raises(AudioDecodeError, match=said):
        decode_audio(whole[:kept_bytes])


def test_a_flac_cut_inside_its_first_frame_and_a_wav_inside_its_first_sample_say_so():
    for file_format, kept_bytes, said in (
        ("FLAC", 100, "the FLAC file ends inside its first frame of audio"),
        ("WAV", 45, "the WAV file ends before its first whole sample"),
    ):
        buffer = io.BytesIO()
        soundfile.write(buffer, _tone(1.0), 22_050, format=file_format, subtype="PCM_16")
        with pytest.raises(AudioDecodeError, match=said):
            decode_audio(buffer.getvalue()[:kept_bytes])


def test_an_mp3_cut_inside_its_first_frame_says_so():
    whole = encode(_tone(1.0), 22_050, "mp3")
    tag_bytes = 10 + int.from_bytes(whole[6:10], "big")  # its ID3 tag's size is below 128
    with pytest.raises(AudioDecodeError, match="the MP3 file ends inside its first frame"):
        decode_audio(whole[: tag_bytes + 100])


def test_an_m4a_cut_short_before_its_index_says_it_is_probably_cut_short():
    whole = encode(_tone(2.0), 22_050, "m4a")
    assert b"moov" in whole[len(whole) * 6 // 10 :]  # a recorder's layout: the index last
    with pytest.raises(AudioDecodeError, match=r"has no index .* so it is probably cut short"):
        decode_audio(whole[: len(whole) * 6 // 10])


def test_a_file_whose_samples_are_all_nan_is_refused_as_damaged() -> None:
    data = encode_wav(np.zeros(100, dtype=np.float32), 16_000)
    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.full(1600, np.nan, dtype=np.float32), 16_000, subtype="FLOAT", format="WAV"
    )
    with pytest.raises(AudioDecodeError, match="none of the audio's samples is a number"):
        decode_audio(buffer.getvalue())
    assert decode_audio(data).warnings == ()
