"""Touch every control of a page in Chromium, as a curious reader would, and say what was touched.

Used by the browser tests (tests/test_browser.py): every slider to both ends, every select and radio through
its options, nonsense into every text box and uploader, every download, every button that does not train. After
each input (a download apart) it reports an exception on the page, a canvas chart built anew where it should
have been redrawn, and a formula of app_components.prose's text left untypeset or typeset with an error.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tools.browser import EXCEPTION, wait_rerun

# The sliders a reader sees: a view the page sends hidden (app_common.switched) has controls the reader cannot reach
# until it is shown; its sections' server side is tested under AppTest.
SLIDERS = "[data-testid='stSlider']:visible"
# A button whose label says it trains is a long training: the exerciser leaves it alone.
TRAINING_WORDS = ("train",)
# Widgets the exerciser does not know how to use: finding one on a page is reported as a problem,
# so a new kind of control cannot go untested unnoticed.
UNHANDLED = ("stMultiSelect", "stTextArea", "stDateInput", "stTimeInput", "stColorPicker", "stChatInput",
             "stFormSubmitButton", "stCameraInput", "stDataEditor", "stPills", "stFeedback")
# What the exerciser feeds text boxes and uploaders: nonsense the app must answer with a message.
NONSENSE_TEXT = "\u200b\u200b"  # zero-width spaces: a "word" that renders to no pixels
NONSENSE_FILE = {"name": "not_an_image.png", "mimeType": "image/png", "buffer": b"\x00garbage\xff" * 64}


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


# Canvas charts by their element's key, each marked as seen; `_check` then names the ones built anew. A chart whose
# inputs changed is redrawn in its element; one built anew means an element before it in its block came or went,
# so Streamlit took the chart for another one: a reader waits for a chart to be set up from nothing.
MARK_CHARTS = """() => [...document.querySelectorAll('.gd-chart')].map(el => { el.__gdSeen = true;
  const keyed = el.closest("[class*='st-key-']");
  return keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')) : null; }).filter(Boolean)"""
CHARTS_BUILT_ANEW = """(before) => [...document.querySelectorAll('.gd-chart')].filter(el => !el.__gdSeen).map(el => {
  const keyed = el.closest("[class*='st-key-']");
  return keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')) : null; }).filter(k => before.includes(k))"""


TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
CHARTS_MOUNTED = """(before) => before.every(k => { const box = document.querySelector('.' + k);
  return !box || box.querySelector('.gd-chart'); })"""


# a formula of app_components.prose's text that static/typeset.js has not typeset (it marks each one it has)
UNTYPESET = ".gd-prose .math:not([data-tex])"


def _formulas(page, touched: Touched, what: str) -> None:
    """Every formula of the page typeset (app_components.prose: by static/typeset.js) and none with an error."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => !document.querySelector({UNTYPESET!r})", timeout=5_000)
    if page.locator(UNTYPESET).count():
        touched.problems.append(f"after {what}, {page.locator(UNTYPESET).count()} formulas not typeset")
    if page.locator(".katex-error").count():
        touched.problems.append(f"after {what}, a formula typeset with an error: "
                                + (page.locator(".katex-error").first.get_attribute("title", timeout=1_000) or ""))


def _check(page, touched: Touched, what: str, charts: list[str] | None = None) -> None:
    """An exception on the page after `what`; a formula not typeset; with `charts` (MARK_CHARTS before the input),
    a chart built anew."""
    if page.locator(EXCEPTION).count():
        touched.problems.append(f"exception after {what}: " + page.locator(EXCEPTION).first.inner_text()[:300])
    _formulas(page, touched, what)
    if charts:
        page.evaluate(TWO_FRAMES)  # React commits the run's last elements, and components mount, after it ends
        with contextlib.suppress(PlaywrightTimeout):  # a chart built anew mounts a moment after the script ends
            page.wait_for_function(CHARTS_MOUNTED, arg=charts, timeout=3_000)
        anew = page.evaluate(CHARTS_BUILT_ANEW, charts)
        if anew:
            touched.problems.append(f"after {what}, charts built anew instead of redrawn: {anew}")


def _sliders(page, touched: Touched) -> None:
    """Every slider and select_slider: to its maximum, its minimum, then one step up."""
    i = 0
    while i < page.locator(SLIDERS).count():
        label = page.locator(SLIDERS).nth(i).locator("[data-testid='stWidgetLabel']").inner_text()
        values = {}
        for key in ("End", "Home", "ArrowRight"):
            thumb = page.locator(SLIDERS).nth(i).locator("input[type='range']").first
            thumb.focus()
            charts = page.evaluate(MARK_CHARTS)
            thumb.press(key)
            wait_rerun(page)
            _check(page, touched, f"{key} on {label}", charts)
            thumb = page.locator(SLIDERS).nth(i).locator("input[type='range']").first
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
        except Exception:  # noqa: BLE001, S112 - closed: click again
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
            charts = page.evaluate(MARK_CHARTS)
            option.click()
            wait_rerun(page)
            _check(page, touched, f"option {k} of select {i}", charts)
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
            charts = page.evaluate(MARK_CHARTS)
            page.locator(group).nth(i).locator(option).nth(k).click()
            wait_rerun(page)
            _check(page, touched, f"option {k} of {kind} {i}", charts)
            if page.locator("[data-testid='stFileUploader']").count() > uploaders:
                _uploads(page, touched)
        touched.counts[kind] += 1
        i += 1


def _toggles(page, touched: Touched) -> None:
    i = 0
    while i < page.locator("[data-testid='stCheckbox']").count():
        for _ in range(2):
            charts = page.evaluate(MARK_CHARTS)
            page.locator("[data-testid='stCheckbox']").nth(i).locator("label").first.click()
            wait_rerun(page)
            _check(page, touched, f"checkbox {i}", charts)
        touched.counts["checkbox"] += 1
        i += 1


def _texts(page, touched: Touched) -> None:
    for testid, kind in (("stTextInput", "text box"), ("stNumberInput", "number box")):
        i = 0
        while i < page.locator(f"[data-testid='{testid}']").count():
            box = page.locator(f"[data-testid='{testid}'] input").nth(i)
            box.fill(NONSENSE_TEXT if kind == "text box" else "-1e300")
            charts = page.evaluate(MARK_CHARTS)
            box.press("Enter")
            wait_rerun(page)
            _check(page, touched, f"nonsense in {kind} {i}", charts)
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
        charts = page.evaluate(MARK_CHARTS)
        uploaders.nth(i).locator("input[type='file']").set_input_files(NONSENSE_FILE)
        wait_rerun(page)
        _check(page, touched, f"a garbage file in uploader {label!r}", charts)
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
        charts = page.evaluate(MARK_CHARTS)
        buttons.nth(k).click()
        wait_rerun(page)
        _check(page, touched, f"button {label!r}", charts)
        touched.counts["button"] += 1


def exercise(page) -> Touched:
    """Move every slider, change every select, radio and segmented control, toggle every checkbox,
    feed nonsense to every text box and uploader, download every download, and click every button that
    does not train.

    Checks for an stException after each input; the caller checks console errors (once, at the end).
    """
    touched = Touched()
    _formulas(page, touched, "the page opened")
    for testid in UNHANDLED:
        if page.locator(f"[data-testid='{testid}']").count():
            touched.problems.append(f"the exerciser does not handle {testid}: teach it (tools/browser.py)")
    _sliders(page, touched)
    _selects(page, touched)
    _choices(page, touched, "[data-testid='stRadio']:visible", "[data-testid='stRadioOption']", "radio")
    _choices(page, touched, "[data-testid='stButtonGroup']:visible", "button", "segmented control")
    _toggles(page, touched)
    _texts(page, touched)
    _uploads(page, touched)
    _downloads(page, touched)
    _buttons(page, touched)
    return touched
