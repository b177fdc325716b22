"""What a synth process keeps between takes: phrases sung and phrases spoken, and the
speech of a take's next phrases made while this one is sung."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from services.synth.contour import Expression
from services.synth.phrase_cache import PhraseCache, phrase_key, speech_key
from services.synth.render import sing_to_bytes
from services.synth.score import PhraseScore, make_score
from services.synth.speech import Speech
from services.synth.speech_ahead import LOOKAHEAD_PHRASES, SpeechAhead
from services.synth.types import SingOptions, SingRequest
from tests.support.songs import TWINKLE, song

MEBIBYTE = 1024 * 1024


def _twinkle_request(transpose_second_phrase: int = 0) -> SingRequest:
    melody, syllables = song(TWINKLE)
    if transpose_second_phrase:
        second = melody.phrases[1]
        notes = list(melody.notes)
        for index in range(second.first_note_index, second.first_note_index + second.note_count):
            notes[index] = replace(
                notes[index], midi_pitch=notes[index].midi_pitch + transpose_second_phrase
            )
        melody = replace(melody, notes=notes)
    return SingRequest(melody, syllables, voice_id="joe")


def test_a_take_sung_again_is_taken_whole_from_the_cache() -> None:
    cache = PhraseCache(64 * MEBIBYTE)
    first = sing_to_bytes(_twinkle_request(), phrase_cache=cache)
    again = sing_to_bytes(_twinkle_request(), phrase_cache=cache)
    assert again == first
    assert (cache.misses, cache.hits) == (2, 2)
    assert cache.speech_misses == 2  # nothing was spoken the second time


def test_a_phrase_on_new_notes_is_sung_again_from_the_speech_it_had() -> None:
    cache = PhraseCache(64 * MEBIBYTE)
    sing_to_bytes(_twinkle_request(), phrase_cache=cache)
    moved = sing_to_bytes(_twinkle_request(transpose_second_phrase=2), phrase_cache=cache)
    assert cache.hits == 1  # the first phrase, unchanged
    assert cache.misses == 3  # two at first, then the moved phrase
    assert cache.speech_hits == 1  # the moved phrase's words were not spoken again
    assert moved != sing_to_bytes(_twinkle_request())


def test_the_speech_key_is_the_voice_and_the_words_not_the_notes() -> None:
    melody, syllables = song(TWINKLE)
    score = make_score(
        melody, syllables, SingOptions(), voice_range_midi=(37, 65), max_duration_s=60.0
    )
    phrase = score.phrases[0]
    higher = replace(phrase, notes=[replace(n, midi_pitch=n.midi_pitch + 2) for n in phrase.notes])
    assert speech_key("joe", higher) == speech_key("joe", phrase)
    assert speech_key("slt", phrase) != speech_key("joe", phrase)
    assert speech_key("joe", score.phrases[1]) != speech_key("joe", phrase)
    assert phrase_key("joe", higher, Expression(), breathiness=0.0, seed=0) != phrase_key(
        "joe", phrase, Expression(), breathiness=0.0, seed=0
    )


def test_a_cache_never_holds_more_than_its_bytes() -> None:
    cache = PhraseCache(max_bytes=3 * 4000)
    for number in range(5):
        cache.speech(f"k{number}", lambda: Speech(np.zeros(1000, np.float32), 16000, []))
    assert "k4" in cache and "k3" in cache and "k2" in cache
    assert "k0" not in cache and "k1" not in cache


class _RecordingSpeaker:
    """Says nothing, slowly, and notes which phrase it was asked for, when, and which
    were urgent."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.spoken: list[int] = []
        self.urgent: list[int] = []
        self._seconds = seconds
        self._lock = threading.Lock()

    def __call__(self, phrase: PhraseScore, urgent: bool) -> Speech:
        time.sleep(self._seconds)
        with self._lock:
            self.spoken.append(int(phrase.preroll_s * 1000))
            if urgent:
                self.urgent.append(int(phrase.preroll_s * 1000))
        return Speech(np.zeros(10, np.float32), 16000, [])


def _phrases(count: int) -> list[PhraseScore]:
    # preroll_s carries the phrase's number, so the speaker can say which it was given.
    return [PhraseScore(notes=[], syllables=[], preroll_s=n / 1000) for n in range(count)]


def test_phrases_are_spoken_ahead_of_the_singing_each_once() -> None:
    speaker = _RecordingSpeaker()
    phrases = _phrases(6)
    with SpeechAhead(speaker, phrases, [True] * 6) as ahead:
        ahead.speech(0)
        deadline = time.monotonic() + 5.0
        while len(speaker.spoken) < LOOKAHEAD_PHRASES + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        # The first phrase and the next LOOKAHEAD_PHRASES + 1, in order, and no more.
        assert speaker.spoken == list(range(LOOKAHEAD_PHRASES + 2))
        for index in range(1, 6):
            ahead.speech(index)
    assert sorted(speaker.spoken) == list(range(6))


def test_only_the_first_phrase_is_spoken_urgently() -> None:
    # Nothing else of the take runs while its first phrase is said; later phrases are said
    # beside the singing and must leave it a core.
    speaker = _RecordingSpeaker()
    with SpeechAhead(speaker, _phrases(5), [True] * 5) as ahead:
        for index in range(5):
            ahead.speech(index)
    assert speaker.urgent == [0]


def test_phrases_taken_from_the_cache_are_not_spoken() -> None:
    speaker = _RecordingSpeaker()
    needed = [True, False, True, False]
    with SpeechAhead(speaker, _phrases(4), needed) as ahead:
        ahead.speech(0)
        ahead.speech(2)
    assert speaker.spoken == [0, 2]


def test_a_take_that_ends_early_leaves_its_later_phrases_unspoken() -> None:
    speaker = _RecordingSpeaker(seconds=0.1)
    with SpeechAhead(speaker, _phrases(20), [True] * 20) as ahead:
        ahead.speech(0)
    time.sleep(0.5)
    assert len(speaker.spoken) <= LOOKAHEAD_PHRASES + 2


def test_while_the_singer_waits_for_a_phrase_it_speaks_a_later_one_itself() -> None:
    spoken_on: dict[int, str] = {}

    def speak(phrase: PhraseScore, urgent: bool) -> Speech:
        number = int(phrase.preroll_s * 1000)
        if number == 1:
            time.sleep(0.5)  # the worker is slow with phrase 1
        spoken_on[number] = threading.current_thread().name
        return Speech(np.zeros(10, np.float32), 16000, [])

    singer = threading.current_thread().name
    with SpeechAhead(speak, _phrases(4), [True] * 4) as ahead:
        ahead.speech(0)
        ahead.speech(1)
        ahead.speech(2)
        ahead.speech(3)
    assert spoken_on[1] != singer
    assert spoken_on[2] == singer  # said while phrase 1 was still being spoken
    assert spoken_on[0] != singer  # the first phrase is never taken over


def test_a_phrase_the_singer_could_not_say_fails_when_its_turn_comes() -> None:
    def speak(phrase: PhraseScore, urgent: bool) -> Speech:
        number = int(phrase.preroll_s * 1000)
        if number == 1:
            time.sleep(0.3)
        if number == 2:
            raise ValueError("the voice cannot say phrase 3")
        return Speech(np.zeros(10, np.float32), 16000, [])

    with SpeechAhead(speak, _phrases(3), [True] * 3) as ahead:
        ahead.speech(0)
        ahead.speech(1)
        with pytest.raises(ValueError, match="phrase 3"):
            ahead.speech(2)
