"""The piper speaker: a take's first phrase may be said on more threads, and sounds the
same; the silences no one sings are said short."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from services.synth.engines import piper
from services.synth.engines.piper import PiperSpeaker
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
