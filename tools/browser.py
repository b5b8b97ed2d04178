"""Drive the app in a real browser: start a server, wait for idle pages, touch every control.

Shared by the browser tests (tests/test_browser.py) and the load test (tools/loadtest.py). It
needs Playwright for Python and Debian's Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 # many pages at once (the load test): keep pages that are not in front at full speed
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]

# Every page: (url path, heading it shows, its title in st.navigation). The browser tests and the
# load test visit these.
PAGES = [
    ("/", "Grokking Diffusion", "Home"),
    ("/diffusion_process", "The diffusion process", "The diffusion process"),
    ("/means_and_modes", "Means and modes", "Means and modes"),
    ("/score_fields", "Score fields", "Score fields"),
    ("/spectral_bands", "Spectral bands", "Spectral bands"),
    ("/sampling_optimization", "Sampling as optimization", "Sampling as optimization"),
    ("/playground", "Playground", "Playground"),
]

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
# A button whose label says it trains is a long training: the exerciser leaves it alone.
TRAINING_WORDS = ("train",)
# Widgets the exerciser does not know how to use: finding one on a page is reported as a problem,
# so a new kind of control cannot go untested unnoticed.
UNHANDLED = ("stMultiSelect", "stTextArea", "stDateInput", "stTimeInput", "stColorPicker", "stChatInput",
             "stFormSubmitButton", "stCameraInput", "stDataEditor", "stPills", "stFeedback")
# What the exerciser feeds text boxes and uploaders: nonsense the app must answer with a message.
NONSENSE_TEXT = "\u200b\u200b"  # zero-width spaces: a "word" that renders to no pixels
NONSENSE_FILE = {"name": "not_an_image.png", "mimeType": "image/png", "buffer": b"\x00garbage\xff" * 64}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running app server: its address, its process, and what it has written so far."""

    url: str
    process: subprocess.Popen
    log: object  # a binary temporary file

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextlib.contextmanager
def server(env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[Server]:
    """`streamlit run app.py` headless on a free loopback port, yielded once healthy."""
    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            log.seek(0)
            raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f} s: "
                               + log.read().decode(errors="replace")[-2000:])
        time.sleep(0.3)
    try:
        yield Server(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def launch(playwright):
    """Debian's Chromium, headless, with the flags a container needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has run and finished (not merely until the app shell is there)."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=timeout_ms)
    page.wait_for_timeout(200)


RUNNING = "[data-testid='stApp']:not([data-test-script-state='notRunning'])"


def wait_rerun(page, timeout_ms: int = 60_000) -> None:
    """After an input: give the rerun (of the page or a fragment) a moment to start, then wait for idle."""
    with contextlib.suppress(Exception):  # a fast rerun may start and finish between two polls
        page.wait_for_selector(RUNNING, timeout=3_000)
    wait_idle(page, timeout_ms)


def _is_base_path_probe(url: str) -> bool:
    """Loaded at /page, Streamlit's frontend first looks for its server under /page/_stcore/..."""
    return url.rsplit("/", 1)[-1] in ("health", "host-config") and "/_stcore/" in url


def watch_errors(page) -> list[str]:
    """Collect console errors, uncaught page errors and failed requests (bar base-path probes)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not _is_base_path_probe(r.url) else None)
    return errors


def sidebar_links(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]


@dataclass
class Touched:
    """What `exercise` did on one page: inputs by kind, and the buttons it left alone."""

    counts: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fed: set[str] = field(default_factory=set)  # labels of the uploaders given their garbage file

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _check(page, touched: Touched, what: str) -> None:
    if page.locator(EXCEPTION).count():
        touched.problems.append(f"exception after {what}: " + page.locator(EXCEPTION).first.inner_text()[:300])


def _sliders(page, touched: Touched) -> None:
    """Every slider and select_slider: to its maximum, its minimum, then one step up."""
    i = 0
    while i < page.locator("[data-testid='stSlider']").count():
        label = page.locator("[data-testid='stSlider']").nth(i).locator("[data-testid='stWidgetLabel']").inner_text()
        values = {}
        for key in ("End", "Home", "ArrowRight"):
            thumb = page.locator("[data-testid='stSlider']").nth(i).locator("input[type='range']").first
            thumb.focus()
            thumb.press(key)
            wait_rerun(page)
            _check(page, touched, f"{key} on {label}")
            thumb = page.locator("[data-testid='stSlider']").nth(i).locator("input[type='range']").first
            values[key] = thumb.get_attribute("aria-valuetext")
        if values["End"] == values["Home"]:
            touched.problems.append(f"slider {label!r} did not move ({values})")
        touched.counts["slider"] += 1
        i += 1


def _open_select(page, i: int) -> None:
    """Open select i's list. A click that first has to scroll the select into view can leave it
    focused but closed, so try again until its options are there."""
    options = page.locator("[role='option']")
    for _ in range(3):
        page.locator("[data-testid='stSelectbox']").nth(i).click()
        try:
            options.first.wait_for(state="attached", timeout=2_000)
            return
        except Exception:  # noqa: BLE001 - closed: click again
            continue
    options.first.wait_for(state="attached", timeout=2_000)  # raises the timeout with its call log


def _selects(page, touched: Touched) -> None:
    """Every selectbox: through each of its options, back to the first. An uploader that only appears
    for one option (say "your own image") is fed its garbage file right there."""
    i = 0
    uploaders = page.locator("[data-testid='stFileUploader']").count()
    while i < page.locator("[data-testid='stSelectbox']").count():
        _open_select(page, i)
        n = page.get_by_role("option").count()
        page.keyboard.press("Escape")
        if n < 2:
            touched.problems.append(f"select {i} offers {n} option(s)")
        for k in list(range(1, n)) + [0]:
            _open_select(page, i)
            option = page.get_by_role("option").nth(k)
            text = option.inner_text().strip()
            option.click()
            wait_rerun(page)
            _check(page, touched, f"option {k} of select {i}")
            shown = page.locator("[data-testid='stSelectbox'] input").nth(i).input_value()
            if shown != text:
                touched.problems.append(f"select {i} shows {shown!r} after choosing {text!r}")
            if page.locator("[data-testid='stFileUploader']").count() > uploaders:
                _uploads(page, touched)
        touched.counts["select"] += 1
        i += 1


def _choices(page, touched: Touched, group: str, option: str, kind: str) -> None:
    """Radios and segmented controls: click every option, then the first again. An uploader that only
    appears for one option is fed its garbage file right there, as in `_selects`."""
    i = 0
    uploaders = page.locator("[data-testid='stFileUploader']").count()
    while i < page.locator(group).count():
        n = page.locator(group).nth(i).locator(option).count()
        for k in list(range(n)) + [0]:
            page.locator(group).nth(i).locator(option).nth(k).click()
            wait_rerun(page)
            _check(page, touched, f"option {k} of {kind} {i}")
            if page.locator("[data-testid='stFileUploader']").count() > uploaders:
                _uploads(page, touched)
        touched.counts[kind] += 1
        i += 1


def _toggles(page, touched: Touched) -> None:
    i = 0
    while i < page.locator("[data-testid='stCheckbox']").count():
        for _ in range(2):
            page.locator("[data-testid='stCheckbox']").nth(i).locator("label").first.click()
            wait_rerun(page)
            _check(page, touched, f"checkbox {i}")
        touched.counts["checkbox"] += 1
        i += 1


def _texts(page, touched: Touched) -> None:
    for testid, kind in (("stTextInput", "text box"), ("stNumberInput", "number box")):
        i = 0
        while i < page.locator(f"[data-testid='{testid}']").count():
            box = page.locator(f"[data-testid='{testid}'] input").nth(i)
            box.fill(NONSENSE_TEXT if kind == "text box" else "-1e300")
            box.press("Enter")
            wait_rerun(page)
            _check(page, touched, f"nonsense in {kind} {i}")
            touched.counts[kind] += 1
            i += 1


def _uploads(page, touched: Touched) -> None:
    """A garbage file into every uploader not fed yet (known by its label); each must bring a new message."""
    alerts = page.locator("[data-testid='stAlert']")
    uploaders = page.locator("[data-testid='stFileUploader']")
    i = 0
    while i < uploaders.count():
        label = uploaders.nth(i).locator("[data-testid='stWidgetLabel']").inner_text().strip()
        if label in touched.fed:
            i += 1
            continue
        touched.fed.add(label)
        before = alerts.all_inner_texts()
        uploaders.nth(i).locator("input[type='file']").set_input_files(NONSENSE_FILE)
        wait_rerun(page)
        _check(page, touched, f"a garbage file in uploader {label!r}")
        if alerts.all_inner_texts() == before:  # no message appeared and none changed
            touched.problems.append(f"a garbage file in uploader {label!r} got no message")
        touched.counts["upload"] += 1
        i += 1


def _downloads(page, touched: Touched) -> None:
    """Every download button must hand the browser a named, non-empty file."""
    buttons = page.locator("[data-testid='stDownloadButton'] button:visible")
    for k in range(buttons.count()):
        label = buttons.nth(k).inner_text().replace("download", "", 1).strip()  # the icon's name comes first
        try:
            with page.expect_download(timeout=30_000) as info:
                buttons.nth(k).click()
            path = info.value.path()
            if not info.value.suggested_filename or path is None or Path(path).stat().st_size == 0:
                touched.problems.append(f"download {label!r} gave an empty or unnamed file")
        except Exception as e:  # noqa: BLE001 - no download started: report it
            touched.problems.append(f"download {label!r} started no download ({type(e).__name__})")
        _check(page, touched, f"download {label!r}")
        touched.counts["download"] += 1


def _buttons(page, touched: Touched) -> None:
    """Every button that does not start a training; buttons that appear after a click are clicked too."""
    seen: set[tuple[str, int]] = set()  # (label, how many buttons before it carry the same label)
    while True:
        buttons = page.locator("[data-testid='stButton'] button:visible")
        labels = [buttons.nth(k).locator("[data-testid='stMarkdownContainer']").inner_text().strip()
                  for k in range(buttons.count())]
        ids = [(label, labels[:k].count(label)) for k, label in enumerate(labels)]
        todo = [(k, ident) for k, ident in enumerate(ids) if ident not in seen]
        if not todo:
            return
        k, (label, _) = todo[0]
        seen.add(ids[k])
        if any(word in label.lower() for word in TRAINING_WORDS):
            touched.skipped.append(label)
            continue
        buttons.nth(k).click()
        wait_rerun(page)
        _check(page, touched, f"button {label!r}")
        touched.counts["button"] += 1


def exercise(page) -> Touched:
    """Move every slider, change every select, radio and segmented control, toggle every checkbox,
    feed nonsense to every text box and uploader, download every download, and click every button that
    does not train.

    Checks for an stException after each input; the caller checks console errors (once, at the end).
    """
    touched = Touched()
    for testid in UNHANDLED:
        if page.locator(f"[data-testid='{testid}']").count():
            touched.problems.append(f"the exerciser does not handle {testid}: teach it (tools/browser.py)")
    _sliders(page, touched)
    _selects(page, touched)
    _choices(page, touched, "[data-testid='stRadio']", "[data-testid='stRadioOption']", "radio")
    _choices(page, touched, "[data-testid='stButtonGroup']", "button", "segmented control")
    _toggles(page, touched)
    _texts(page, touched)
    _uploads(page, touched)
    _downloads(page, touched)
    _buttons(page, touched)
    return touched
