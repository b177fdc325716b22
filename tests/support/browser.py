"""Debian's headless Chromium, driven by Selenium, with a fake microphone that plays a WAV
file (Chromium's own test flags): the web studio used as a person uses it.

The fake microphone starts the file when the page opens the microphone and loops it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.hums import hum_notes, synthesize_hum

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MICROPHONE_RATE_HZ = 48_000
#: Where the page shows messages (web/index.html), read when a wait times out.
MESSAGE_AREAS = ("make-message", "edit-message", "download-message", "library-message")


def write_microphone_hum(
    path: Path,
    midi_pitches: Sequence[float],
    *,
    note_duration_s: float,
    rests_s: dict[int, float],
    silence_before_s: float,
    silence_after_s: float,
) -> float:
    """Writes the file the fake microphone plays: silence, the hum, silence (16-bit WAV).
    Returns the time the hum ends, in seconds from the start of the file."""
    hum = synthesize_hum(
        hum_notes(midi_pitches, note_duration_s=note_duration_s, rests_s=rests_s),
        MICROPHONE_RATE_HZ,
    )
    before = np.zeros(int(silence_before_s * MICROPHONE_RATE_HZ), dtype=np.float32)
    after = np.zeros(int(silence_after_s * MICROPHONE_RATE_HZ), dtype=np.float32)
    soundfile.write(path, np.concatenate([before, hum, after]), MICROPHONE_RATE_HZ, "PCM_16")
    return silence_before_s + len(hum) / MICROPHONE_RATE_HZ


@contextmanager
def chromium(
    microphone_wav: Path, downloads: Path | None = None, window: tuple[int, int] = (1400, 1000)
) -> Iterator[webdriver.Chrome]:
    """A headless Chromium whose microphone plays ``microphone_wav``; files it downloads
    go to ``downloads``; its console is kept (``driver.get_log("browser")``)."""
    for program in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(program), f"{program} is missing: `make install` installs it (apt)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={window[0]},{window[1]}",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone_wav}",
    ):
        options.add_argument(argument)
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "download.prompt_for_download": False},
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(
    driver: WebDriver, condition: Callable[[WebDriver], Any], timeout_s: float, what: str
) -> Any:
    """What ``condition`` returns once it is truthy; AssertionError with the page's
    messages when it is not within ``timeout_s``. An element the page replaced while the
    condition read it counts as "not yet": the page re-renders as it goes."""
    try:
        return WebDriverWait(
            driver,
            timeout_s,
            poll_frequency=0.1,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(condition)
    except TimeoutException:
        messages = " | ".join(
            text for area in MESSAGE_AREAS if (text := driver.find_element(By.ID, area).text)
        )
        raise AssertionError(f"timed out waiting for {what}; the page says: {messages}") from None


def marks(driver: WebDriver, name: str) -> list[float]:
    """The times (ms since the page loaded) of a performance mark the page set, e.g.
    "studio:recording-stopped", "studio:first-audio", "studio:take"."""
    return list(
        driver.execute_script(
            "return performance.getEntriesByName(arguments[0]).map(e => e.startTime)", name
        )
    )


def open_studio(driver: WebDriver, base_url: str) -> None:
    driver.get(base_url + "/studio")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "service-state").text.startswith("Ready"),
        15,
        "the service state",
    )


def record(
    driver: WebDriver, *, count_in_clicks: str, count_in_bpm: str, record_s: float
) -> list[float]:
    """Records from the fake microphone after a count-in and stops (which sends the take);
    returns the input levels the meter showed, every 0.1 s."""
    Select(driver.find_element(By.ID, "count-in")).select_by_value(count_in_clicks)
    bpm = driver.find_element(By.ID, "count-in-bpm")
    bpm.clear()
    bpm.send_keys(count_in_bpm)
    button = driver.find_element(By.ID, "record")
    button.click()
    wait_for(driver, lambda d: button.get_attribute("data-state") == "recording", 10, "recording")
    levels = []
    stop_at = time.monotonic() + record_s
    while time.monotonic() < stop_at:
        levels.append(float(driver.find_element(By.ID, "level").get_attribute("value") or 0))
        time.sleep(0.1)
    button.click()
    return levels
