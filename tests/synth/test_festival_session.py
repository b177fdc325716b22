"""Festival kept running between phrases (services/synth/engines/festival_session.py)."""

from __future__ import annotations

import threading

import pytest

from services.synth.engines import festival
from services.synth.engines.festival_session import FestivalError, FestivalPool, FestivalSession
from services.synth.score import make_score
from services.synth.types import SingOptions
from tests.support.songs import TWINKLE, song

pytestmark = pytest.mark.skipif(
    festival.unavailable_reason() is not None, reason="Festival not installed"
)

VOICE = festival.KAL.name


def test_one_process_says_one_thing_after_another() -> None:
    session = FestivalSession(VOICE, festival.HEAP_CELLS)
    try:
        first = session.run('(format stderr "one %d\\n" (+ 1 1))', timeout_s=10)
        second = session.run('(format stderr "two\\n")', timeout_s=10)
        assert first.strip() == "one 2"
        assert second.strip() == "two"
        assert session.alive
    finally:
        session.close()


def test_a_scheme_error_is_reported_and_the_process_goes_on() -> None:
    session = FestivalSession(VOICE, festival.HEAP_CELLS)
    try:
        output = session.run("(no_such_function 1)", timeout_s=10)
        assert "no_such_function" in output
        assert session.run('(format stderr "still here\\n")', timeout_s=10).strip() == "still here"
    finally:
        session.close()


def test_a_process_that_takes_too_long_is_stopped() -> None:
    session = FestivalSession(VOICE, festival.HEAP_CELLS)
    with pytest.raises(FestivalError, match="longer than"):
        session.run("(while t nil)", timeout_s=0.5)
    assert not session.alive


def test_the_pool_replaces_a_process_that_died() -> None:
    pool = FestivalPool(festival.HEAP_CELLS, size=1)
    try:
        with pool.session(VOICE) as session:
            session.close()  # as a crash would leave it
        with pool.session(VOICE) as replacement:
            assert replacement is not session and replacement.alive
            assert replacement.run('(format stderr "ok\\n")', timeout_s=10).strip() == "ok"
    finally:
        pool.close()


def test_the_pool_keeps_at_most_its_size_of_processes_per_voice() -> None:
    pool = FestivalPool(festival.HEAP_CELLS, size=1)
    seen: list[FestivalSession] = []
    lock = threading.Lock()

    def speak() -> None:
        with pool.session(VOICE) as session:
            session.run('(format stderr "hi\\n")', timeout_s=10)
            with lock:
                seen.append(session)

    try:
        threads = [threading.Thread(target=speak) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 4 and len({id(session) for session in seen}) == 1
    finally:
        pool.close()


def test_festival_says_phrases_one_after_another_with_the_words_it_was_given() -> None:
    melody, syllables = song(TWINKLE)
    score = make_score(
        melody, syllables, SingOptions(), voice_range_midi=(40, 68), max_duration_s=60
    )
    for phrase in score.phrases * 2:
        samples, phones = festival.speak(phrase, festival.KAL)
        assert samples.size > 0
        syllables_said = {phone.syllable for phone in phones if phone.vowel}
        assert len(syllables_said) == len(phrase.syllables)
