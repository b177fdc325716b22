"""The web studio as a person uses it: hum 12 s into the page, stop, hear it sung.

``python -m bench.studio_page`` starts the whole mesh on free ports and Debian's headless
Chromium with a fake microphone playing a synthesized 12 s hum. For each take it reads
the page's own performance marks: from pressing Stop to the first sung audio scheduled
for playback, and to the whole take on the page, beside the service's own total for the
same take (``timings_s.total``): the difference is what the page, the recording's
finalisation and the upload add.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.browser import (
    chromium,
    marks,
    open_studio,
    record,
    wait_for,
    write_microphone_hum,
)
from tests.support.mesh import Mesh, running_mesh
from tests.support.rest import http_json

RUNS = 3
# Sixteen notes in four phrases, about 12 s with the breaths between them.
PITCHES = (60, 62, 64, 65, 67, 67, 65, 64, 62, 60, 62, 64, 64, 62, 62, 60)
SILENCE_BEFORE_S = 2.0
# Two clicks at 200 bpm (0.7 s), then recording until the hum has ended.
RECORD_MARGIN_S = 0.6


@dataclass(frozen=True)
class Run:
    stop_to_first_audio_s: float
    stop_to_take_s: float
    service_total_s: float
    hum_s: float


def one_run(driver: WebDriver, mesh: Mesh, hum_end_s: float) -> Run:
    open_studio(driver, mesh.base_url)
    record(
        driver,
        count_in_clicks="2",
        count_in_bpm="200",
        record_s=hum_end_s - 0.7 + RECORD_MARGIN_S,
    )
    wait_for(driver, lambda d: marks(d, "studio:take"), 300, "the take")
    (stopped,) = marks(driver, "studio:recording-stopped")
    (first_audio,) = marks(driver, "studio:first-audio")
    (finished,) = marks(driver, "studio:take")
    take_id = str(driver.execute_script("return location.hash")).removeprefix("#take=")
    status, take = http_json(mesh, "GET", f"/v1/takes/{take_id}")
    assert status == 200, take
    return Run(
        stop_to_first_audio_s=(first_audio - stopped) / 1000,
        stop_to_take_s=(finished - stopped) / 1000,
        service_total_s=float(take["timings_s"]["total"]),
        hum_s=hum_end_s - SILENCE_BEFORE_S,
    )


def measure() -> list[Run]:
    with tempfile.TemporaryDirectory() as scratch:
        microphone = Path(scratch) / "hum.wav"
        hum_end_s = write_microphone_hum(
            microphone,
            PITCHES,
            note_duration_s=0.55,
            rests_s={3: 0.5, 7: 0.5, 11: 0.5},
            silence_before_s=SILENCE_BEFORE_S,
            silence_after_s=4.0,
        )
        with (
            running_mesh(
                ["pitch", "lyrics", "synth", "studio", "web"], Path(scratch) / "data"
            ) as mesh,
            chromium(microphone) as driver,
        ):
            one_run(driver, mesh, hum_end_s)  # warm-up: voices and words load
            return [one_run(driver, mesh, hum_end_s) for _ in range(RUNS)]


def format_table(runs: list[Run]) -> str:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    first_audio_s = median([run.stop_to_first_audio_s for run in runs])
    take_s = median([run.stop_to_take_s for run in runs])
    service_s = median([run.service_total_s for run in runs])
    return "\n".join(
        [
            f"Median of {len(runs)} takes, a {runs[0].hum_s:.1f} s hum recorded by the page "
            "(headless Chromium, fake microphone, WebM/Opus), local engines.\n",
            "| measure | seconds |",
            "|---|---|",
            f"| Stop pressed → first sung audio playing | {first_audio_s:.3f} |",
            f"| Stop pressed → whole take on the page | {take_s:.3f} |",
            f"| the service's own total for those takes (`timings_s.total`) | {service_s:.3f} |",
            f"| what the page, the recorder and the upload add | {take_s - service_s:.3f} |",
        ]
    )


def main() -> None:
    print("## The web studio: stop to sung audio\n")
    print(format_table(measure()))


if __name__ == "__main__":
    main()
