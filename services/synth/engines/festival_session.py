"""Festival kept running: one process per voice says phrase after phrase.

Starting ``festival`` and selecting a voice took about 0.12 s of every phrase's 0.2-0.3 s
(measured with the HTS voice on 2 cores), so each voice keeps a few processes open in
pipe mode (``festival --pipe``: Scheme read from stdin, no prompt) and hands them one
phrase at a time. A phrase is a Scheme file to ``load``, then a marker line; Festival
writes to stdout through a buffer it only flushes at exit, so everything we read back
(the phone lines and the marker) is written to stderr, which is not buffered.

A process that fails (a Scheme error leaves it usable; a crash or a timeout does not) is
closed and the next phrase starts a fresh one. Words added to the lexicon stay added
for the process's life; an entry for the same word replaces the earlier one.
"""

from __future__ import annotations

import itertools
import os
import select
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Processes kept per voice: one per phrase spoken at once (a take speaks ahead on one
#: thread and steals on another; several takes share the pool and wait for a process).
PROCESSES_PER_VOICE = 2
#: The line Festival writes after a phrase's script, with the phrase's number.
_DONE = "EMDONE"


class FestivalError(RuntimeError):
    """Festival could not say a phrase; the message carries what it wrote."""


class FestivalSession:
    """One running ``festival --pipe`` with a voice selected. Not thread-safe: one
    phrase at a time (:class:`FestivalPool` lends them out)."""

    def __init__(self, voice_name: str, heap_cells: int) -> None:
        self._process = subprocess.Popen(
            ["festival", "--heap", str(heap_cells), "--pipe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._numbers = itertools.count(1)
        self._pending = b""
        # Selecting the voice once is the point: it loads the voice's files.
        self.run(f"(voice_{voice_name})", timeout_s=30.0)

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, scheme: str, timeout_s: float) -> str:
        """Evaluates ``scheme`` and returns what it wrote to stderr.

        Raises FestivalError when Festival exits, or does not finish within
        ``timeout_s`` (the process is then closed).
        """
        number = next(self._numbers)
        marker = f"{_DONE} {number}\n".encode()
        assert self._process.stdin is not None and self._process.stderr is not None
        try:
            self._process.stdin.write(f'{scheme}\n(format stderr "{_DONE} {number}\\n")\n'.encode())
            self._process.stdin.flush()
        except OSError as error:
            self.close()
            raise FestivalError(f"festival stopped: {error}") from error
        deadline = time.monotonic() + timeout_s
        output = self._pending
        descriptor = self._process.stderr.fileno()
        while marker not in output:
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                self.close()
                raise FestivalError(f"festival took longer than {timeout_s:.0f} s")
            ready, _, _ = select.select([descriptor], [], [], left_s)
            if not ready:
                continue
            chunk = os.read(descriptor, 65536)
            if not chunk:
                self.close()
                text = output.decode(errors="replace").strip()[-300:]
                raise FestivalError(f"festival exited: {text}")
            output += chunk
        before, _, self._pending = output.partition(marker)
        return before.decode(errors="replace")

    def close(self) -> None:
        if self.alive:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stderr):
            if stream is not None:
                stream.close()


class FestivalPool:
    """Up to PROCESSES_PER_VOICE sessions per voice, lent one phrase at a time.

    Thread-safe. A borrower waits while every session of its voice is busy.
    """

    def __init__(self, heap_cells: int, size: int = PROCESSES_PER_VOICE) -> None:
        self._heap_cells = heap_cells
        self._size = size
        self._idle: dict[str, list[FestivalSession]] = {}
        self._started: dict[str, int] = {}
        self._condition = threading.Condition()

    @contextmanager
    def session(self, voice_name: str) -> Iterator[FestivalSession]:
        """A session of ``voice_name`` for one phrase; a session that failed is not
        handed out again."""
        session = self._borrow(voice_name)
        try:
            yield session
        finally:
            with self._condition:
                if session.alive:
                    self._idle.setdefault(voice_name, []).append(session)
                else:
                    self._started[voice_name] -= 1
                self._condition.notify()

    def _borrow(self, voice_name: str) -> FestivalSession:
        with self._condition:
            while True:
                idle = self._idle.setdefault(voice_name, [])
                if idle:
                    return idle.pop()
                if self._started.get(voice_name, 0) < self._size:
                    self._started[voice_name] = self._started.get(voice_name, 0) + 1
                    break
                self._condition.wait()
        try:
            return FestivalSession(voice_name, self._heap_cells)
        except BaseException:
            with self._condition:
                self._started[voice_name] -= 1
                self._condition.notify()
            raise

    def close(self) -> None:
        """Ends every idle session. (A process also ends when ours does: its stdin
        closes.)"""
        with self._condition:
            for voice_name, sessions in self._idle.items():
                for session in sessions:
                    session.close()
                self._started[voice_name] -= len(sessions)
            self._idle.clear()


def scheme_string(text: str | Path) -> str:
    """``text`` (or a path) as a Scheme string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
