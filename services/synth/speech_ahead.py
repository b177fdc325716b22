"""A take's phrases spoken ahead of their singing, on a second thread.

A local voice sings a phrase in two steps: the words are spoken (piper's VITS model or
Festival, 50-70 % of the phrase's CPU time) and the speech is re-timed and re-pitched
with WORLD. The two steps of different phrases do not depend on each other, so while
the singer re-pitches phrase k, the next phrases are spoken on a worker thread: on two
cores a take takes about as long as the larger of the two steps instead of their sum
(onnxruntime and the Festival subprocess release the GIL while they work).

Speech is the larger step (and the worker may share its core with other work), so the
singer does not sit idle waiting for it: while it waits for a phrase, it speaks a later
phrase the worker has not started yet itself (work stealing). It does not do so while it
waits for the first phrase, whose speech alone decides when the first audio leaves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from services.common.cancellation import raise_if_cancelled
from services.synth.score import PhraseScore
from services.synth.speech import Speech

#: Phrases spoken ahead of the one being sung: enough to keep the speaker busy while a
#: phrase is sung, few enough that a cancelled take leaves little spoken for nothing.
LOOKAHEAD_PHRASES = 2


class SpeechAhead:
    """Speaks ``phrases`` in order, at most LOOKAHEAD_PHRASES ahead of :meth:`speech`.

    ``speak(phrase, urgent)`` says a phrase; ``urgent`` is True for the first phrase,
    which nothing else of the take runs beside (see ``LocalVoice.speech``).
    ``needed[i]`` False skips phrase i (its singing is cached). Use as a context manager:
    leaving it cancels what was not started (a started phrase finishes, under 0.5 s).
    """

    def __init__(
        self,
        speak: Callable[[PhraseScore, bool], Speech],
        phrases: Sequence[PhraseScore],
        needed: Sequence[bool],
        cancelled: threading.Event | None = None,
    ) -> None:
        self._speak = speak
        self._phrases = phrases
        self._needed = needed
        self._cancelled = cancelled
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech-ahead")
        self._futures: dict[int, Future[Speech]] = {}
        self._next = 0  # the next phrase to hand to the worker
        self._fill(0)

    def __enter__(self) -> SpeechAhead:
        return self

    def __exit__(self, *_: object) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def speech(self, index: int) -> Speech:
        """Phrase ``index`` spoken: waits for it, or speaks it here if it was skipped.

        Raises what the speaker raised, or WorkCancelledError once ``cancelled`` is set.
        """
        self._fill(index + 1)
        future = self._futures.pop(index, None)
        if future is None:
            raise_if_cancelled(self._cancelled, "singing")
            return self._speak(self._phrases[index], index == 0)
        while index > 0 and not future.done() and self._speak_one_not_started():
            raise_if_cancelled(self._cancelled, "singing")
        return future.result()

    def _speak_one_not_started(self) -> bool:
        """Speaks here the first phrase handed to the worker that it has not started;
        False when there is none."""
        for later in sorted(self._futures):
            future = self._futures[later]
            if future.cancel():  # only a phrase not yet started can be cancelled
                spoken: Future[Speech] = Future()
                try:
                    spoken.set_result(self._speak(self._phrases[later], False))
                except (
                    BaseException
                ) as error:  # kept for speech(later) to raise, as the worker would
                    spoken.set_exception(error)
                self._futures[later] = spoken
                return True
        return False

    def _fill(self, sung: int) -> None:
        """Hands the worker every needed phrase up to LOOKAHEAD_PHRASES past ``sung``."""
        self._next = max(self._next, sung)
        while self._next < min(len(self._phrases), sung + LOOKAHEAD_PHRASES + 1):
            if self._needed[self._next]:
                self._futures[self._next] = self._executor.submit(
                    self._speak, self._phrases[self._next], self._next == 0
                )
            self._next += 1
