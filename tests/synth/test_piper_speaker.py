"""The piper speaker: a take's first phrase may be said on more threads, and sounds the same."""

from __future__ import annotations

import threading

import numpy as np

from services.synth.engines.piper import PiperSpeaker

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
