"""SwiftF0 pitch tracking: a 135 KB ONNX model, ~185x realtime on one CPU core."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
import swift_f0

from services.common.cancellation import raise_if_cancelled
from services.common.music import PitchTrack


class SwiftTracker:
    """SwiftF0, built on first use; ``track`` may be called from many threads at once."""

    #: The highest f0 SwiftF0 can report, in Hz (its lowest is 46.875 Hz).
    highest_frequency_hz = float(swift_f0.FMAX)

    def __init__(self, threads: int | None = None) -> None:
        # ONNX Runtime's pool has one thread per physical core by default: one request's
        # latency is what a person waits for (10 s of audio: 44 ms on one thread, 29 ms on
        # two, measured on 2 cores), and concurrent requests share the same pool.
        self._threads = threads
        self._detector: swift_f0.SwiftF0 | None = None
        self._lock = threading.Lock()

    def _loaded_detector(self) -> swift_f0.SwiftF0:
        with self._lock:
            if self._detector is None:
                # spin=False: idle pool threads sleep instead of busy-waiting between calls.
                self._detector = swift_f0.SwiftF0(threads=self._threads, spin=False)
            return self._detector

    def track(
        self,
        samples: npt.NDArray[np.floating],
        sample_rate_hz: int,
        cancelled: threading.Event | None = None,
    ) -> PitchTrack:
        """Frame-level f0 of mono audio.

        Args:
            samples: Mono audio, shape (n_samples,), floats in [-1, 1].
            sample_rate_hz: Rate of ``samples``; SwiftF0 resamples to 16 kHz itself.
            cancelled: Set when the caller no longer wants the result; looked at before
                and after the model runs (five minutes of audio take about 2 s).

        Returns:
            PitchTrack with a 16 ms hop (256 samples at 16 kHz): frequencies in Hz (0 where
            the confidence is below 0.5) and SwiftF0's calibrated confidence as the
            voicing probability.

        Raises:
            WorkCancelledError: ``cancelled`` was set before the work was done.
        """
        raise_if_cancelled(cancelled, "tracking pitch with swift")
        result = self._loaded_detector().detect(samples, sample_rate_hz)
        raise_if_cancelled(cancelled, "tracking pitch with swift")
        voicing = np.clip(result.confidence, 0.0, 1.0)
        frequencies_hz = np.where(voicing >= 0.5, result.pitch_hz, 0.0)
        return PitchTrack(
            hop_s=swift_f0.FRAME_PERIOD,
            times_s=result.timestamps,
            frequencies_hz=frequencies_hz,
            voicing_probabilities=voicing,
        )
