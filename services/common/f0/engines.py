"""Pitch engines by name: "swift" (default, fast), "crepe-tiny" and "crepe-full".

Each engine's model is loaded once per process, on first use, under a lock, so the threads
of a gRPC server can share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from services.common.errors import PreconditionError
from services.common.music import PitchTrack

DEFAULT_ENGINE = "swift"


class PitchTracker(Protocol):
    #: The highest f0 the engine can report, in Hz; a pitch above it goes unheard.
    highest_frequency_hz: float

    def track(
        self,
        samples: npt.NDArray[np.floating],
        sample_rate_hz: int,
        cancelled: threading.Event | None = None,
    ) -> PitchTrack: ...


class UnknownEngineError(ValueError):
    """No engine has the requested name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"unknown pitch engine {name!r}; valid engines are: {', '.join(ENGINE_NAMES)}"
        )


class EngineNotInstalledError(PreconditionError):
    """The engine's packages are not in this installation (the crepe engines need torch:
    the pitch image's ``crepe`` extra, the ``pitch-crepe`` image)."""

    def __init__(self, name: str, missing: str) -> None:
        self.name = name
        super().__init__(
            f"pitch engine {name!r} is not installed here ({missing}); use 'swift', or run "
            "the pitch-crepe image (pip extra 'crepe')"
        )


def _swift() -> PitchTracker:
    from services.common.f0.swift import SwiftTracker

    return SwiftTracker()


#: Threads of torch's pool for the CREPE engines; None: one per CPU the process may use.
_torch_threads: int | None = None


def use_torch_threads(threads: int | None) -> None:
    """Sets the CREPE engines' thread count (None or 0: one per CPU); before their first use."""
    global _torch_threads
    _torch_threads = threads or None


def _crepe(capacity: str) -> Callable[[], PitchTracker]:
    def build() -> PitchTracker:
        # Imported here so that a process using only "swift" never imports torch, and an
        # image without torch serves every other engine.
        try:
            from services.common.f0.crepe import CrepeTracker
        except ImportError as error:
            raise EngineNotInstalledError(f"crepe-{capacity}", str(error)) from error
        return CrepeTracker(capacity, threads=_torch_threads)

    return build


_FACTORIES: dict[str, Callable[[], PitchTracker]] = {
    "swift": _swift,
    "crepe-tiny": _crepe("tiny"),
    "crepe-full": _crepe("full"),
}
ENGINE_NAMES: tuple[str, ...] = tuple(_FACTORIES)

_trackers: dict[str, PitchTracker] = {}
_trackers_lock = threading.Lock()


def get_tracker(engine: str = DEFAULT_ENGINE) -> PitchTracker:
    """The process-wide tracker of an engine, created on first request.

    Raises:
        UnknownEngineError: ``engine`` is not one of ENGINE_NAMES.
        EngineNotInstalledError: Its packages are not installed (crepe without torch).
    """
    if engine not in _FACTORIES:
        raise UnknownEngineError(engine)
    with _trackers_lock:
        if engine not in _trackers:
            _trackers[engine] = _FACTORIES[engine]()
        return _trackers[engine]


def track_pitch(
    samples: npt.NDArray[np.floating],
    sample_rate_hz: int,
    engine: str = DEFAULT_ENGINE,
    cancelled: threading.Event | None = None,
) -> PitchTrack:
    """Frame-level f0 of mono audio with the named engine.

    Args:
        samples: Mono audio, shape (n_samples,), floats in [-1, 1].
        sample_rate_hz: Rate of ``samples`` (any; engines resample as they need).
        engine: One of ENGINE_NAMES.
        cancelled: Set when the caller no longer wants the result.

    Returns:
        PitchTrack: times_s, frequencies_hz (0 where unvoiced) and voicing_probabilities,
        one value per frame of the engine's hop (16 ms swift, 10 ms crepe).

    Raises:
        UnknownEngineError: ``engine`` is not one of ENGINE_NAMES.
        WorkCancelledError: ``cancelled`` was set before the work was done.
    """
    return get_tracker(engine).track(samples, sample_rate_hz, cancelled)
