"""The web studio in a real browser: Debian's headless Chromium, driven by Selenium through
its chromedriver, with a fake microphone that plays a synthesized hum, against the mesh
through Envoy as a person would use it.

A screenshot of the finished take (desktop and phone width) is saved under
``$TEST_OUTPUT_DIR`` (default ``var/test-output/``) for a person to look at.
"""

from __future__ import annotations

import io
import json
import os
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.support.browser import (
    chromium,
    marks,
    open_studio,
    record,
    wait_for,
    write_microphone_hum,
)
from tests.support.encoding import encode
from tests.support.hums import hum_notes, synthesize_hum
from tests.support.mesh import REPO_ROOT, Mesh, running_mesh
from tests.support.rest import http, http_json

# Two phrases of four notes, hummed after 2 s of silence, then 4 s of silence: the fake
# microphone starts the file when the page opens it, and loops it.
PITCHES = (57, 59, 60, 62, 64, 62, 60, 59)
SILENCE_BEFORE_S = 2.0
SILENCE_AFTER_S = 4.0
# Two clicks at 200 bpm, then the whole hum and a little silence.
COUNT_IN_CLICKS = "2"
COUNT_IN_BPM = "200"
RECORD_S = 6.8
ROW_PX = 16  # web/js/piano-roll.js: one semitone
TAKE_TIMEOUT_S = 60


def output_dir() -> Path:
    directory = Path(os.environ.get("TEST_OUTPUT_DIR", REPO_ROOT / "var" / "test-output"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def microphone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("microphone") / "hum.wav"
    write_microphone_hum(
        path,
        PITCHES,
        note_duration_s=0.45,
        rests_s={3: 0.6},
        silence_before_s=SILENCE_BEFORE_S,
        silence_after_s=SILENCE_AFTER_S,
    )
    return path


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(microphone_wav: Path, downloads: Path) -> Iterator[webdriver.Chrome]:
    with chromium(microphone_wav, downloads) as driver:
        yield driver


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """Errors in the browser's console, and warnings about the page's own scripts."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
        or (entry["level"] == "WARNING" and "/studio/" in entry["message"])
    ]


def newest_take(mesh: Mesh) -> dict:
    status, page = http_json(mesh, "GET", "/v1/takes?page_size=1")
    assert status == 200, page
    take: dict = page["takes"][0]
    return take


def note_elements(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#roll .note")


def rendered_words(driver: WebDriver) -> list[str]:
    """Under each note, in time order: its syllable, "–" where one is held on, or ""."""
    words = []
    for note in note_elements(driver):
        syllables = note.find_elements(By.CSS_SELECTOR, ".syllable")
        words.append(syllables[0].text if syllables else "")
    return words


def expected_words(take: dict) -> list[str]:
    words = [""] * len(take["melody"]["notes"])
    for line in take["lyrics"]["lines"]:
        for syllable in line["syllables"]:
            words[syllable["note_index"]] = syllable["text"]
            for held in range(1, max(1, syllable["note_count"])):
                words[syllable["note_index"] + held] = "–"
    return words


def test_a_hummed_take_is_recorded_heard_corrected_sung_again_and_downloaded(
    mesh: Mesh, browser: webdriver.Chrome, downloads: Path
) -> None:
    driver = browser
    open_studio(driver, mesh.base_url)

    # Record: a count-in, then the fake microphone's hum; stopping sends it at once.
    driver.find_element(By.ID, "theme").send_keys("harbour lights")
    levels = record(
        driver, count_in_clicks=COUNT_IN_CLICKS, count_in_bpm=COUNT_IN_BPM, record_s=RECORD_S
    )
    assert max(levels) > 0.1  # the meter showed the hum
    wait_for(driver, lambda d: marks(d, "studio:take"), TAKE_TIMEOUT_S, "the take")

    # The vocal began to play before the take was complete, and the notes and words on
    # the page are the take's.
    (first_audio,) = marks(driver, "studio:first-audio")
    (stopped,) = marks(driver, "studio:recording-stopped")
    (finished,) = marks(driver, "studio:take")
    assert stopped < first_audio < finished
    take = newest_take(mesh)
    assert [note["midi_pitch"] for note in take["melody"]["notes"]] == list(PITCHES)
    wait_for(driver, lambda d: len(note_elements(d)) == len(PITCHES), 5, "the notes")
    # The roll may be drawn again as the take completes: read it once it holds still.
    wait_for(driver, lambda d: rendered_words(d) == expected_words(take), 5, "the words")
    recording = driver.find_element(By.CSS_SELECTOR, 'input[name="listen"][value="recording"]')
    assert recording.is_enabled()  # the browser's own recording decoded, to play beside
    lines = driver.find_elements(By.CSS_SELECTOR, "#lines input")
    assert [line.get_attribute("value") for line in lines] == [
        line["text"] for line in take["lyrics"]["lines"]
    ]

    # Correct: the second note two semitones up with the keyboard, the fifth one up by
    # dragging it; then sing again without recording again.
    note_elements(driver)[1].click()
    ActionChains(driver).send_keys(Keys.ARROW_UP, Keys.ARROW_UP).perform()
    assert "C#4" in (note_elements(driver)[1].get_attribute("aria-label") or "")  # was B3
    fifth = note_elements(driver)[4].find_element(By.CSS_SELECTOR, ".body")
    ActionChains(driver).click_and_hold(fifth).move_by_offset(0, -ROW_PX).release().perform()
    assert "F4" in (note_elements(driver)[4].get_attribute("aria-label") or "")  # was E4
    driver.find_element(By.ID, "undo").click()
    driver.find_element(By.ID, "redo").click()
    assert "notes edited" in driver.find_element(By.ID, "edit-summary").text
    driver.find_element(By.ID, "resing").click()
    wait_for(driver, lambda d: len(marks(d, "studio:take")) == 2, TAKE_TIMEOUT_S, "the revision")
    revised = newest_take(mesh)
    assert revised["parent_take_id"] == take["take_id"]
    revised_pitches = [note["midi_pitch"] for note in revised["melody"]["notes"]]
    assert revised_pitches == [57, 61, 60, 62, 65, 62, 60, 59]
    wait_for(driver, lambda d: rendered_words(d) == expected_words(revised), 5, "the words")
    assert {note.get_attribute("tabindex") for note in note_elements(driver)} == {"0"}  # editable
    versions = driver.find_elements(By.CSS_SELECTOR, "#versions button")
    assert len(versions) == 2
    assert versions[1].get_attribute("aria-current") == "true"

    # The revision plays as it streams in. The space bar pauses it, plays on (the
    # playhead moves) and pauses again.
    body = driver.find_element(By.TAG_NAME, "body")
    play = driver.find_element(By.ID, "play")
    position = driver.find_element(By.ID, "position")
    if play.text == "Pause":
        body.send_keys(Keys.SPACE)
        wait_for(driver, lambda d: play.text == "Play", 5, "a pause")
    paused_at = float(position.get_attribute("value") or 0)
    body.send_keys(Keys.SPACE)
    wait_for(
        driver,
        lambda d: float(position.get_attribute("value") or 0) > paused_at + 0.3,
        10,
        "the playhead to move",
    )
    body.send_keys(Keys.SPACE)
    wait_for(driver, lambda d: play.text == "Play", 5, "a pause")

    # Download the MIDI file: the melody as corrected, the words as sung.
    driver.find_element(By.CSS_SELECTOR, '[data-download="midi"]').click()
    midi_path = downloads / f"take-{revised['take_id'][:8]}.mid"
    wait_for(driver, lambda d: midi_path.exists(), 10, "the MIDI download")
    midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_path.read_bytes()))
    assert [note.pitch for note in midi.instruments[0].notes] == revised_pitches
    sung = [s["text"] for line in revised["lyrics"]["lines"] for s in line["syllables"]]
    assert [lyric.text for lyric in midi.lyrics] == sung
    for export, extension, signature in (
        ("musicxml", "musicxml", b"<score-partwise"),
        ("ustx", "ustx", b"ustx_version"),
    ):
        driver.find_element(By.CSS_SELECTOR, f'[data-download="{export}"]').click()
        score = downloads / f"take-{revised['take_id'][:8]}.{extension}"
        wait_for(driver, lambda d: score.exists(), 10, f"the {export} download")  # noqa: B023
        assert signature in score.read_bytes()

    # For a person to look at: desktop, then phone width (nothing wider than the screen).
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, int(height)))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(output_dir() / "studio-take.png"))
    driver.set_window_size(390, 844)
    driver.execute_script("document.getElementById('take').scrollIntoView()")
    wait_for(
        driver,
        lambda d: d.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        ),
        5,
        "the page to fit a phone's width",
    )
    driver.save_screenshot(str(output_dir() / "studio-take-phone.png"))
    driver.set_window_size(1400, 1000)

    assert console_errors(driver) == []


def choose_file(driver: WebDriver, path: Path) -> None:
    driver.find_element(By.ID, "file-input").send_keys(str(path))
    wait_for(driver, lambda d: d.find_element(By.ID, "sing").is_enabled(), 5, "the file")
    driver.find_element(By.ID, "sing").click()


def test_a_recording_without_a_tune_is_told_where_the_person_looks(
    mesh: Mesh, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    silence = tmp_path / "silence.wav"
    soundfile.write(silence, np.zeros(16_000 * 2, dtype=np.float32), 16_000, "PCM_16")
    open_studio(browser, mesh.base_url)
    choose_file(browser, silence)
    message = wait_for(
        browser,
        lambda d: d.find_element(By.ID, "make-message").text,
        TAKE_TIMEOUT_S,
        "the error message",
    )
    assert "No tune was found" in message
    assert "no melody was found" in message  # the service's own words
    assert browser.find_element(By.ID, "sing").is_enabled()  # try again with other audio


@pytest.mark.parametrize(
    "size_mib",
    [
        10.03,  # within the gateway's 128 KiB allowance for a form's fields: the studio's 400
        10.2,  # past it: the gateway's 413
    ],
)
def test_a_file_over_the_upload_limit_is_told_as_too_big(
    mesh: Mesh, browser: webdriver.Chrome, tmp_path: Path, size_mib: float
) -> None:
    status, _, body = http(mesh, "GET", "/health")
    assert status == 200, body[:200]
    too_big = tmp_path / "long.wav"
    too_big.write_bytes(b"RIFF" + bytes(int(size_mib * 1024 * 1024)))
    open_studio(browser, mesh.base_url)
    choose_file(browser, too_big)
    message = wait_for(
        browser,
        lambda d: d.find_element(By.ID, "make-message").text,
        TAKE_TIMEOUT_S,
        "the error message",
    )
    assert "too big" in message
    assert "10 MB" in message
    # The size the page shows is counted as the service counts it (MB of 1024 x 1024 bytes).
    assert f"{size_mib:.1f} MB" in browser.find_element(By.ID, "chosen-file").text


def test_a_file_that_is_not_audio_is_told_at_once_and_not_sent(
    mesh: Mesh, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("la la la\n")
    open_studio(browser, mesh.base_url)
    browser.find_element(By.ID, "file-input").send_keys(str(notes))
    message = wait_for(
        browser, lambda d: d.find_element(By.ID, "make-message").text, 5, "the message"
    )
    assert "not a recording" in message
    assert "notes.txt" in message and "text/plain" in message
    assert not browser.find_element(By.ID, "sing").is_enabled()
    assert not marks(browser, "studio:take-requested")


def test_a_browser_opening_the_gateway_is_sent_to_the_studio(
    mesh: Mesh, browser: webdriver.Chrome
) -> None:
    browser.get(mesh.base_url + "/")
    assert browser.current_url == mesh.base_url + "/studio"
    assert browser.title.startswith("Studio")
    status, reply = http_json(mesh, "GET", "/")  # API clients keep the seed's banner
    assert status == 200 and reply["service"] == "Expert Music AI"


def _unfollowed(mesh: Mesh, method: str, path: str, accept: str) -> HTTPResponse:
    """The gateway's own answer, a redirect not followed."""
    connection = HTTPConnection(urllib.parse.urlsplit(mesh.base_url).netloc, timeout=30)
    connection.request(method, path, headers={"Accept": accept})
    reply = connection.getresponse()
    reply.read()
    connection.close()
    return reply


def test_the_answer_at_the_root_varies_with_what_the_caller_accepts(mesh: Mesh) -> None:
    """A browser is sent to the studio, an API client gets the banner: a cache between
    them must not hand one the other's answer."""
    page = _unfollowed(mesh, "GET", "/", "text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status == 302 and page.getheader("location", "").endswith("/studio")
    banner = _unfollowed(mesh, "GET", "/", "application/json")
    assert banner.status == 200
    for reply in (page, banner):
        assert "accept" in reply.getheader("vary", "").lower()


def test_a_head_request_gets_the_headers_of_its_get_without_a_body(mesh: Mesh) -> None:
    """A link checker or an uptime monitor sends HEAD, not GET."""
    for path, media_type in (
        ("/", "application/json"),
        ("/studio", "text/html; charset=utf-8"),
        ("/studio/js/main.js", "text/javascript; charset=utf-8"),
        ("/v1/voices", "application/json"),  # any path that takes GET
    ):
        status, headers, body = http(mesh, "HEAD", path)
        assert status == 200, path
        assert headers["content-type"] == media_type, path
        assert body == b"", path
    status, _, body = http(mesh, "HEAD", "/studio/no-such-file.js")
    assert status == 404 and body == b""


def test_the_studio_files_come_through_the_gateway_with_their_types(mesh: Mesh) -> None:
    for path, file, media_type in (
        ("/studio", "index.html", "text/html; charset=utf-8"),
        ("/studio/studio.css", "studio.css", "text/css; charset=utf-8"),
        ("/studio/js/main.js", "js/main.js", "text/javascript; charset=utf-8"),
    ):
        status, headers, body = http(mesh, "GET", path)
        assert status == 200, path
        assert headers["content-type"] == media_type
        assert headers["cache-control"] == "no-cache"
        assert body == (REPO_ROOT / "web" / file).read_bytes()
    status, _, body = http(mesh, "GET", "/studio/no-such-file.js")
    assert status == 404
    assert json.loads(body)["code"] == 5


def test_a_shared_link_with_a_query_string_still_opens_the_page(mesh: Mesh) -> None:
    """Links pick up parameters the page does not read: a newsletter's utm_source, a
    social network's fbclid, a cache-busting ?v=2 on a file."""
    for path, file in (
        ("/studio?utm_source=newsletter&utm_medium=email", "index.html"),
        ("/studio/?fbclid=IwAR0abc", "index.html"),
        ("/studio/js/main.js?v=2", "js/main.js"),
    ):
        status, _, body = http(mesh, "GET", path)
        assert status == 200, (path, body[:200])
        assert body == (REPO_ROOT / "web" / file).read_bytes(), path
    # The query is dropped, not read: it cannot name another file.
    status, _, body = http(mesh, "GET", "/studio/index.html?path=js/main.js")
    assert body == (REPO_ROOT / "web" / "index.html").read_bytes()
    # The API still refuses a parameter it does not know.
    status, _, body = http(mesh, "GET", "/v1/voices?colour=red")
    assert status == 400 and "unknown query parameter 'colour'" in json.loads(body)["message"]


class _PageMarkup(HTMLParser):
    """Collects what a strict Content-Security-Policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.script_sources: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.blocked.append("a <style> element")
        if "style" in names:
            self.blocked.append(f"a style attribute on <{tag}>")
        self.blocked += [f"{name} on <{tag}>" for name in names if name.startswith("on")]
        if tag == "script":
            self._in_script = True
            self.script_sources.append(names.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.blocked.append("an inline script")


def test_the_page_needs_no_inline_script_or_style() -> None:
    """So a strict Content-Security-Policy (script-src 'self'; style-src 'self') holds."""
    markup = _PageMarkup()
    markup.feed((REPO_ROOT / "web" / "index.html").read_text())
    assert markup.blocked == []
    assert markup.script_sources == ["/studio/js/main.js"]
    for module in (REPO_ROOT / "web" / "js").glob("*.js"):
        code = module.read_text()
        for construct in ('setAttribute("style"', "innerHTML", "eval(", "new Function"):
            assert construct not in code, (module.name, construct)


def make_take(mesh: Mesh, midi_pitches: list[int], seed: int) -> dict:
    """A take made through the REST API from a synthesized hum of these pitches."""
    hum = encode(synthesize_hum(hum_notes(midi_pitches), 16_000), 16_000, "wav")
    status, take = http_json(
        mesh,
        "POST",
        f"/melody-to-vocals?seed={seed}",
        body=hum,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200, take
    return dict(take)


def shows_take(driver: WebDriver, take: dict) -> bool:
    """Whether the editor shows this take: its notes, and its words line by line."""
    lines = driver.find_elements(By.CSS_SELECTOR, "#lines input")
    return (
        driver.execute_script("return location.hash") == f"#take={take['take_id']}"
        and len(note_elements(driver)) == len(take["melody"]["notes"])
        and [line.get_attribute("value") for line in lines]
        == [line["text"] for line in take["lyrics"]["lines"]]
    )


def open_take(driver: WebDriver, take: dict) -> None:
    """Follows the take's own link (the page is already open: only its address changes)."""
    driver.get(driver.current_url.split("#")[0] + f"#take={take['take_id']}")
    wait_for(driver, lambda d: shows_take(d, take), 10, f"take {take['take_id']}")


def library_item(driver: WebDriver, take_id: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f'#takes [data-take-id="{take_id}"]')


def test_a_take_is_deleted_from_the_list_with_the_keyboard_after_a_confirmation(
    mesh: Mesh, browser: webdriver.Chrome
) -> None:
    kept = make_take(mesh, [60, 62, 64, 65, 67], seed=1)
    doomed = make_take(mesh, [67, 65, 64, 62, 60], seed=2)
    browser.get_log("browser")  # reading the console empties it: this test's entries only
    open_studio(browser, mesh.base_url)
    open_take(browser, doomed)

    # Tab from the take's button to its Delete button, and press Enter: a confirmation,
    # whose safe answer has the focus; Escape keeps the take.
    (item,) = library_item(browser, doomed["take_id"])
    item.find_element(By.CSS_SELECTOR, ".take-button").send_keys(Keys.TAB)
    delete = item.find_element(By.CSS_SELECTOR, ".take-delete")
    assert browser.switch_to.active_element == delete
    assert (delete.get_attribute("aria-label") or "").startswith("Delete the take")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    dialog = browser.find_element(By.ID, "delete-dialog")
    wait_for(browser, lambda d: dialog.is_displayed(), 5, "the confirmation")
    assert browser.switch_to.active_element.text == "Keep it"
    first_line = doomed["lyrics"]["lines"][0]["text"]
    assert first_line in browser.find_element(By.ID, "delete-what").text
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait_for(browser, lambda d: not dialog.is_displayed(), 5, "the confirmation to close")
    assert http(mesh, "GET", f"/v1/takes/{doomed['take_id']}")[0] == 200
    assert browser.switch_to.active_element == delete

    # Enter again, Shift+Tab to "Delete", Enter: every file of the take is gone, from the
    # server and from the page (the editor showed it: it closes, and its link goes).
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for(browser, lambda d: dialog.is_displayed(), 5, "the confirmation")
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert browser.switch_to.active_element.text == "Delete"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for(
        browser, lambda d: not library_item(d, doomed["take_id"]), 10, "the take to leave the list"
    )
    for path in ("", "/audio", "/recording"):
        assert http(mesh, "GET", f"/v1/takes/{doomed['take_id']}{path}")[0] == 404, path
    assert not browser.find_element(By.ID, "take").is_displayed()
    assert browser.execute_script("return location.hash") == ""
    assert "Deleted the take" in browser.find_element(By.ID, "library-message").text
    assert browser.switch_to.active_element.get_attribute("class") == "take-button"  # the next
    assert library_item(browser, kept["take_id"])
    assert http(mesh, "GET", f"/v1/takes/{kept['take_id']}")[0] == 200
    assert console_errors(browser) == []


def test_opening_another_take_shows_nothing_of_the_one_before(
    mesh: Mesh, browser: webdriver.Chrome
) -> None:
    high = make_take(mesh, [69, 71, 72, 71, 69, 67], seed=3)  # sung by slt
    low = make_take(mesh, [45, 47, 48, 47, 45, 43], seed=4)  # sung by joe
    assert high["engines"]["voice"] != low["engines"]["voice"]
    open_studio(browser, mesh.base_url)
    open_take(browser, high)
    browser.find_element(By.CSS_SELECTOR, '[data-download="midi"]').click()
    wait_for(
        browser,
        lambda d: "Saved" in d.find_element(By.ID, "download-message").text,
        10,
        "the download",
    )
    # A key that would take a note past an end says so (A4 goes up by octaves to G9).
    note_elements(browser)[0].click()
    status = browser.find_element(By.ID, "note-status")
    for _ in range(5):
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ARROW_UP).key_up(
            Keys.SHIFT
        ).perform()
    assert "G9" in status.text and "cannot go further" not in status.text
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ARROW_UP).key_up(Keys.SHIFT).perform()
    assert "cannot go further" in status.text and "G9" in status.text

    # The edit is not sung yet: opening another take asks first, and keeping it stays.
    (item,) = library_item(browser, low["take_id"])
    item.find_element(By.CSS_SELECTOR, ".take-button").click()
    dialog = browser.find_element(By.ID, "discard-dialog")
    wait_for(browser, lambda d: dialog.get_attribute("open") is not None, 5, "the question")
    assert "notes edited" in dialog.text
    browser.find_element(By.ID, "discard-keep").click()
    assert shows_take(browser, high)
    assert "notes edited" in browser.find_element(By.ID, "edit-summary").text
    item.find_element(By.CSS_SELECTOR, ".take-button").click()
    wait_for(browser, lambda d: dialog.get_attribute("open") is not None, 5, "the question")
    browser.find_element(By.ID, "discard-confirm").click()
    wait_for(browser, lambda d: shows_take(d, low), 10, "the other take")
    # Its own voice, and nothing to sing again until something is changed.
    voice = browser.find_element(By.ID, "revise-voice").get_attribute("value")
    assert voice == low["engines"]["voice"]
    assert not browser.find_element(By.ID, "resing").is_enabled()
    assert browser.find_element(By.ID, "edit-summary").text.startswith("Change a note")
    assert browser.find_element(By.ID, "download-message").text == ""
    assert browser.find_element(By.ID, "note-status").text == ""


ALICE_KEY = "alice-studio-3b1f0c2d9e8a7b6c"


@pytest.fixture(scope="module")
def keyed_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """What the page needs (its files, health, voices, lyricists, takes) behind client keys,
    and one take a minute per key. No pitch service: a take fails with 503 naming it, after
    waiting for it as long as its pitch stage may take (1 s here)."""
    key_file = tmp_path_factory.mktemp("keys") / "api-keys"
    key_file.write_text(f"alice={ALICE_KEY}\n")
    with running_mesh(
        ["lyrics", "synth", "studio", "web"],
        tmp_path_factory.mktemp("keyed-mesh-data"),
        {
            "GATEWAY_API_KEYS_FILE": str(key_file),
            "GATEWAY_VOCALS_PER_MINUTE": "1",
            "PITCH_TIMEOUT_S": "1",
        },
    ) as started:
        yield started


def test_the_page_asks_a_keyed_gateway_for_a_key_once_and_says_when_it_is_refused(
    keyed_mesh: Mesh, browser: webdriver.Chrome
) -> None:
    for path in ("/studio", "/studio/js/main.js"):  # open to a link checker's HEAD too
        assert http(keyed_mesh, "HEAD", path)[0] == 200, path
    browser.get(keyed_mesh.base_url + "/studio")
    dialog = browser.find_element(By.ID, "key-dialog")
    wait_for(browser, lambda d: dialog.is_displayed(), 15, "the key to be asked for")
    reason = browser.find_element(By.ID, "key-reason")
    assert "needs a client key" in reason.text

    # A wrong key is said to be refused, and asked for again.
    browser.find_element(By.ID, "key-input").send_keys("not-the-key-0123456789", Keys.ENTER)
    wait_for(browser, lambda d: "refused that key" in reason.text, 10, "the refusal")
    assert dialog.is_displayed()
    assert "API key" in browser.find_element(By.ID, "key-error").text  # the gateway's words

    # Cancelled: the page asks no more by itself; each part says a key is needed.
    browser.find_element(By.CSS_SELECTOR, '#key-form button[value="cancel"]').click()
    wait_for(
        browser,
        lambda d: "client key" in d.find_element(By.ID, "library-message").text,
        10,
        "the takes to say a key is needed",
    )
    assert not dialog.is_displayed()
    assert "Client key" in browser.find_element(By.ID, "make-message").text

    # The right key through the "Client key" button: the page works, and keeps it.
    browser.find_element(By.ID, "key-button").click()
    wait_for(browser, lambda d: dialog.is_displayed(), 5, "the key dialog")
    browser.find_element(By.ID, "key-input").send_keys(ALICE_KEY, Keys.ENTER)
    wait_for(
        browser,
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#voice option")) > 1
            and d.find_element(By.ID, "takes-empty").is_displayed()
        ),
        15,
        "the voices and the (empty) list of takes",
    )
    for area in ("make-message", "library-message"):
        assert browser.find_element(By.ID, area).text == ""  # what was refused works now
    assert browser.find_element(By.ID, "key-button").text == "Client key (set)"
    browser.refresh()
    open_studio(browser, keyed_mesh.base_url)
    wait_for(
        browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#voice option")) > 1, 15, "voices"
    )
    assert not browser.find_element(By.ID, "key-dialog").is_displayed()


def test_the_limit_of_takes_a_minute_is_told_with_the_time_to_wait(
    keyed_mesh: Mesh, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    hum = tmp_path / "hum.wav"
    hum.write_bytes(encode(synthesize_hum(hum_notes([60, 62, 64, 65]), 16_000), 16_000, "wav"))
    browser.get(keyed_mesh.base_url + "/studio")
    browser.execute_script(f"localStorage.setItem('expert-music-ai.client-key', '{ALICE_KEY}')")
    open_studio(browser, keyed_mesh.base_url)
    message = browser.find_element(By.ID, "make-message")

    # The minute's one take (it fails: this mesh has no pitch service). While the notes
    # are looked for (1 s here), the bar moves instead of standing at nothing.
    choose_file(browser, hum)
    bar = browser.find_element(By.ID, "progress-bar")
    assert browser.execute_script("return arguments[0].matches(':indeterminate')", bar)
    assert "finding the notes" in browser.find_element(By.ID, "progress-label").text
    wait_for(browser, lambda d: message.text, TAKE_TIMEOUT_S, "the first take to end")
    assert browser.find_element(By.ID, "sing").is_enabled()  # the recording is kept

    # The next is refused by the gateway, with the time to wait.
    browser.find_element(By.ID, "sing").click()
    wait_for(browser, lambda d: "Too many takes" in message.text, 10, "a 429")
    assert "Try again in 60 s" in message.text
    browser.execute_script("localStorage.clear()")
