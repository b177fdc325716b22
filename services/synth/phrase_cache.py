"""Phrases sung or spoken recently, kept so that doing it again costs nothing.

A revised take changes a note or a line and is sung again whole; every phrase it did not
change is sung exactly as before (rendering is deterministic), so its blocks are taken
from here instead of being sung again (:func:`phrase_key`: everything that shapes a
phrase's sound). A phrase whose words are kept but whose notes changed (a moved note, a
refrain sung again later in the song) needs the same speech (:func:`speech_key`: the
voice and the words), which is most of a phrase's cost, so speech is kept too. The cache
is bounded in bytes and forgets the least recently used entries first. It lives in one
synth process: with several replicas a revision may land on one that has not sung the
take, and then simply sings every phrase.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator

from services.synth.contour import Expression
from services.synth.score import PhraseScore
from services.synth.singing import RenderedPhrase
from services.synth.speech import Speech


def phrase_key(
    voice_id: str, phrase: PhraseScore, expression: Expression, *, breathiness: float, seed: int
) -> str:
    """A digest of what a voice sings for ``phrase``: its notes, syllables (not their
    word numbers, which count from the start of the song), preroll, expression,
    breathiness and seed."""
    syllables = [
        (syllable.text, syllable.arpabet, syllable.first_note, syllable.note_count)
        for syllable in phrase.syllables
    ]
    starts_word = [
        position == 0 or syllable.word_index != phrase.syllables[position - 1].word_index
        for position, syllable in enumerate(phrase.syllables)
    ]
    described = repr(
        (
            voice_id,
            phrase.notes,
            syllables,
            starts_word,
            phrase.preroll_s,
            expression,
            breathiness,
            seed,
        )
    )
    return hashlib.sha256(described.encode()).hexdigest()


def speech_key(voice_id: str, phrase: PhraseScore) -> str:
    """A digest of what a voice says for ``phrase``: its syllables' text and ARPAbet,
    grouped in words (the notes do not change the speech)."""
    words = [[(syllable.text, syllable.arpabet) for syllable in word] for word in phrase.words()]
    return hashlib.sha256(repr(("speech", voice_id, words)).encode()).hexdigest()


def _size(entry: list[RenderedPhrase] | Speech) -> int:
    if isinstance(entry, Speech):
        return entry.samples.nbytes
    return sum(block.samples.nbytes for block in entry)


class PhraseCache:
    """Sung phrases (their blocks, in order) by :func:`phrase_key` and spoken phrases by
    :func:`speech_key`, at most ``max_bytes`` of samples in all. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._phrases: OrderedDict[str, list[RenderedPhrase] | Speech] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.speech_hits = 0
        self.speech_misses = 0

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._phrases

    def speech(self, key: str, speak: Callable[[], Speech]) -> Speech:
        """The phrase's speech: from the cache, or from ``speak()`` (and kept)."""
        with self._lock:
            cached = self._phrases.get(key)
            if isinstance(cached, Speech):
                self._phrases.move_to_end(key)
                self.speech_hits += 1
                return cached
            self.speech_misses += 1
        spoken = speak()
        self._keep(key, spoken)
        return spoken

    def blocks(
        self, key: str, sing: Callable[[], Iterable[RenderedPhrase]]
    ) -> Iterator[RenderedPhrase]:
        """The phrase's blocks: from the cache, or from ``sing()`` as they are sung (and
        kept once the phrase is complete)."""
        with self._lock:
            cached = self._phrases.get(key)
            if isinstance(cached, list):
                self._phrases.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
        if isinstance(cached, list):
            yield from cached
            return
        sung: list[RenderedPhrase] = []
        for block in sing():
            sung.append(block)
            yield block
        self._keep(key, sung)

    def _keep(self, key: str, entry: list[RenderedPhrase] | Speech) -> None:
        size = _size(entry)
        if size > self._max_bytes:
            return
        with self._lock:
            if key in self._phrases:
                return
            self._phrases[key] = entry
            self._bytes += size
            while self._bytes > self._max_bytes:
                _, dropped = self._phrases.popitem(last=False)
                self._bytes -= _size(dropped)
