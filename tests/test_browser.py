"""Real-browser checks with Playwright driving Debian's Chromium.

A fresh `streamlit run app.py` (the app's router served as an st.App) on a free loopback port
(tools/browser.py); skipped with the reason when Chromium or Playwright is missing (CI installs both, see
.ci/run). On every page the tests move every slider, change every select, radio and segmented control, and click
every button that does not start a long training, checking for an exception and for console errors after each;
the pages and controls touched are printed at the end of the run.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tools import browser, exercise, wire

SHOTS = browser.ROOT / "screenshots"
RETRAIN_SECONDS = "1"  # the test server's live trainings last 1 s (GD_RETRAIN_SECONDS)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not browser.Path(browser.CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

PAGES = browser.PAGES
# The controls each page has, by kind: the exerciser must touch exactly these.
CONTROLS = {
    "Home": {"segmented control": 1},
    "The diffusion process": {"radio": 1, "select": 2, "slider": 3},
    "Means and modes": {"segmented control": 1, "slider": 4},
    "Regurgitation": {"slider": 2},
    "Score fields": {"slider": 9},
    "Where the loss comes from": {"radio": 3, "slider": 1},
    "Spectral bands": {"segmented control": 1, "select": 1, "slider": 2, "upload": 1},
    "Sampling as optimization": {"segmented control": 1, "radio": 1, "slider": 2},
    "Flow matching": {"segmented control": 1, "slider": 1, "button": 2},
    "Guidance": {"segmented control": 1, "slider": 1},
    "Playground": {"radio": 2, "select": 3, "slider": 6, "checkbox": 1, "number box": 2,
                   "upload": 2, "download": 2},
}
# a chart on a page: Plotly's, or a canvas chart's (app_components.chart)
CHARTS = ".js-plotly-plot, .gd-chart > canvas"
# what the exerciser touched on each page, printed by conftest.pytest_terminal_summary
TOUCHED: dict[str, exercise.Touched] = {}


@pytest.fixture(scope="module")
def server():
    """A fresh app server; the first page load after its start is the one legacy menus show on."""
    with browser.server(env={"GD_RETRAIN_SECONDS": RETRAIN_SECONDS}) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as p:
        b = browser.launch(p)
        yield b
        b.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def test_first_load_shows_only_the_apps_own_navigation(server, page):
    """Streamlit's legacy pages/ auto-discovery must never show its own menu, not even at first load."""
    page.goto(server)
    seen = set()
    for _ in range(20):  # watch the sidebar while the first run settles
        seen.update(browser.sidebar_links(page))
        page.wait_for_timeout(100)
    browser.wait_idle(page)
    seen.update(browser.sidebar_links(page))
    titles = {title for _, _, title in PAGES}
    assert seen <= titles, f"legacy or unexpected menu entries: {sorted(seen - titles)}"
    assert titles <= set(browser.sidebar_links(page))


def test_a_deep_link_on_a_fresh_server_gets_the_apps_navigation(page):
    """Opening a page's own address first must run it inside the app's router, with the app's menu; and, as the
    server put the pages' addresses into its HTML when it started, the page connects at the app's base at once."""
    with browser.server() as srv:
        errors = browser.watch_errors(page)
        asked = []
        page.on("request", lambda r: asked.append(r.url.replace(srv.url, "")))
        page.goto(srv.url + "/diffusion_process")
        browser.wait_idle(page)
        assert set(browser.sidebar_links(page)) == {title for _, _, title in PAGES}
        assert page.get_by_role("heading", name="The diffusion process").first.is_visible()
        assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors
        health = [u for u in asked if "_stcore/health" in u]
        assert health and all(u == "/_stcore/health" for u in health), health


@pytest.mark.parametrize("path, heading, title", PAGES)
def test_every_control_on_every_page(server, page, path, heading, title):
    """Open the page, check it, touch every control, check after each, and save a screenshot."""
    errors = browser.watch_errors(page)
    page.goto(server + path)
    browser.wait_idle(page)
    assert page.get_by_role("heading", name=heading).first.is_visible()
    assert page.locator(browser.EXCEPTION).count() == 0
    page.wait_for_selector(CHARTS, timeout=30_000)  # a chart's code loads after the script ends
    sliders = CONTROLS[title].get("slider", 0)  # on a loaded CI machine a page's lower sections can lag its first chart
    page.wait_for_function(f"() => document.querySelectorAll(\"[data-testid='stSlider']\").length >= {sliders}",
                           timeout=30_000)
    touched = exercise.exercise(page)
    TOUCHED[title] = touched
    assert not touched.problems, touched.problems
    assert dict(touched.counts) == CONTROLS[title]
    assert page.locator(CHARTS).count() > 0, "the plots are gone after the inputs"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{title.lower().replace(' ', '_')}.png"), full_page=True)
    assert not errors, errors


def test_a_live_retrain_and_back_in_the_browser(server, page):
    """The ladder's retrain button (a 1 s training on the test server) shows a live panel; then back."""
    errors = browser.watch_errors(page)
    page.goto(server + "/diffusion_process")
    browser.wait_idle(page)
    page.locator(".st-key-retrain_ladder_fourier button:visible").click()
    browser.wait_rerun(page)
    page.wait_for_selector(".st-key-reset_ladder_fourier button:visible", timeout=60_000)
    titles = _titles(page)
    assert sum(t.startswith("Live:") for t in titles) == 1, titles
    deltas = page.locator("[data-testid='stMetricDelta']").all_text_contents()  # "within noise" ones are there too
    assert sum("vs shipped" in d for d in deltas) == 2, deltas  # ED and s2d against the shipped model
    page.locator(".st-key-reset_ladder_fourier button:visible").click()
    browser.wait_rerun(page)
    titles = _titles(page)
    assert sum(t.startswith("Shipped:") for t in titles) == 6 and not any(t.startswith("Live:") for t in titles)
    assert page.locator(browser.EXCEPTION).count() == 0
    assert not errors, errors


def test_an_address_that_is_no_page_gets_a_notice_not_an_exception(server, page):
    errors = browser.watch_errors(page)
    page.goto(server + "/nonsense")
    browser.wait_idle(page)
    assert page.get_by_role("heading", name="Grokking Diffusion").first.is_visible()
    assert page.get_by_text("Page not found").first.is_visible()
    assert page.locator(browser.EXCEPTION).count() == 0
    # Streamlit logs its notice to the console as an error; anything else is a real one
    assert not [e for e in errors if "nonsense" not in e and "does not seem to exist" not in e], errors


def test_a_page_s_own_address_connects_at_the_app_s_base_at_once(server, page):
    """Opened at its own address, a page asks the server at the app's base and not first at `/<page>/_stcore/...`
    (a 404 and then a 100 ms wait in Streamlit's client): app_hosting puts the base path into the HTML. The HTML
    goes out whole, its length right and without the file's ETag, and Streamlit's own index.html on disk is
    unchanged."""
    import urllib.request

    import app_hosting

    asked = []
    page.on("request", lambda r: asked.append(r.url.replace(server, "")))
    errors = browser.watch_errors(page)
    page.goto(server + "/flow_matching")
    browser.wait_idle(page)
    expect(page.get_by_role("heading", name="Flow matching: the same model on a straight path")).to_be_visible()
    health = [u for u in asked if "_stcore/health" in u]
    assert health and all(u == "/_stcore/health" for u in health), health
    assert not errors, errors
    with urllib.request.urlopen(server + "/guidance") as answer:
        html, headers = answer.read(), answer.headers
    assert b"BACKEND_BASE_URL" in html and b'"flow_matching"' in html and html.rstrip().endswith(b"</html>")
    assert int(headers["Content-Length"]) == len(html) and headers.get("ETag") is None
    assert headers["Cache-Control"] == "no-cache"
    with open(app_hosting.INDEX, "rb") as f:
        assert b"BACKEND_BASE_URL" not in f.read(), "Streamlit's own file was changed"


@pytest.mark.parametrize("base_url_path, address, base", [
    ("", "/", "http://h/"), ("", "/flow_matching", "http://h/"), ("", "/flow_matching/", "http://h/"),
    ("", "/gd/flow_matching", "http://h/gd/"), ("", "/gd", "http://h/gd/"), ("", "/nonsense", "http://h/nonsense/"),
    ("", "/%E0%A4%A", "http://h/%E0%A4%A/"),
    ("guidance", "/guidance", "http://h/guidance/"), ("guidance", "/guidance/flow_matching", "http://h/guidance/"),
    ("/a/guidance/", "/a/guidance", "http://h/a/guidance/"),
])
def test_the_base_path_script_takes_only_a_page_s_name_off_the_address(page, base_url_path, address, base):
    """The script app_hosting puts in the HTML, run against a made-up address: the app's base is the address
    with a page's name taken off its end (behind a proxy's prefix too), and the address itself when it ends in
    no page's name (Streamlit's client then falls back to the root as before), a malformed escape included; a
    server.baseUrlPath that ends in a page's name keeps it."""
    import app_hosting

    body = app_hosting.base_script(["flow_matching", "guidance", ""], base_url_path)
    body = body.removeprefix("<script>").removesuffix("</script>")
    got = page.evaluate("""([body, path]) => {
        const win = {__streamlit: {LIGHT_THEME: 'kept'}};
        new Function('location', 'window', body)({pathname: path, origin: 'http://h'}, win);
        return win.__streamlit;
    }""", [body, address])
    assert got == {"LIGHT_THEME": "kept", "BACKEND_BASE_URL": base}


def _slider_value(page, key: str) -> str:
    return page.locator(f".st-key-{key} input[type='range']").first.get_attribute("aria-valuetext")


TITLES = ("() => [...document.querySelectorAll('.gtitle')].map(e => e.textContent).concat("
          "[...document.querySelectorAll('.gd-chart > canvas')].map(c => c.getAttribute('aria-label') || ''))")


def _titles(page) -> list[str]:
    """The charts' titles: Plotly's title elements, and the canvas charts' labels (each its title as text)."""
    return page.evaluate(TITLES)


def _title_starts(prefix: str) -> str:
    """A chart's title starts with `prefix`."""
    return f"() => ({TITLES})().some(t => t.startsWith({prefix!r}))"


def _title_includes(text: str) -> str:
    """A chart's title includes `text`."""
    return f"() => ({TITLES})().some(t => t.includes({text!r}))"


@pytest.mark.parametrize("path, opens_on, first", [
    ("/", "After all", "Step 0 of"),
    ("/diffusion_process", "x_t at t = 100 of 1000", "x_t at t = 1 of 1000"),
    ("/score_fields", "Step 500 of 500", "Step 0 of 500"),
    ("/means_and_modes", "Shipped: after 3,000 steps", "Shipped: after 250 steps"),
    ("/flow_matching", "Paths from noise (t = 1) to data (t = 0), at t = 0.50",
     "Paths from noise (t = 1) to data (t = 0), at t = 1.00"),
    ("/guidance", "Samples of the Star at guidance scale w = 3", "Samples of the Star at guidance scale w = 0"),
])
def test_steps_already_computed_scrub_in_the_browser_without_a_rerun(server, page, path, opens_on, first):
    """Home's reverse steps, the forward process's t / T, the samplers' steps on Score fields and the GAN's snapshots
    on Means and modes are plotly frames:
    moving the figure's own slider changes the picture with no message to the server."""
    errors = browser.watch_errors(page)
    sent = wire.Wire(page)
    page.goto(server + path)
    browser.wait_idle(page)
    page.wait_for_function(_title_starts(opens_on), timeout=30_000)
    mark = sent.mark()
    rail = page.locator(".js-plotly-plot .slider-rail-rect, .gd-frames input[type='range']").first
    rail.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # a chart scrolled to is drawn at the next frame (app.css); the click must find it
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # the left end: the first frame
    page.wait_for_function(_title_starts(first), timeout=10_000)
    page.wait_for_timeout(500)
    assert sent.events[mark:] == [], "scrubbing sent a message to the server"
    assert not errors, errors


def _layout(page) -> dict:
    """The main block's height, each chart's drawing area's place (from the block's top) and size (Plotly's and the
    canvas charts'), and how Chromium treats the content-visibility of Plotly's."""
    return page.evaluate("""() => {
        const main = document.querySelector("[data-testid='stMain']");
        const top = main.getBoundingClientRect().top - main.scrollTop;
        const areas = [...document.querySelectorAll('.js-plotly-plot .svg-container, .gd-chart > canvas')];
        return {height: main.scrollHeight,
                boxes: areas.map(a => { const r = a.getBoundingClientRect();
                                        return [Math.round(r.top - top), Math.round(r.width), Math.round(r.height)]; }),
                visibility: [...document.querySelectorAll('.js-plotly-plot .svg-container')]
                    .map(a => getComputedStyle(a).contentVisibility)};
    }""")


def _last_chart(page) -> np.ndarray:
    from PIL import Image

    chart = page.locator(".js-plotly-plot .svg-container").last
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return np.asarray(Image.open(io.BytesIO(chart.screenshot(animations="disabled"))).convert("L"), float) / 255


def test_charts_out_of_view_are_skipped_and_the_page_keeps_its_shape(page):
    """app.css leaves a Plotly chart's drawing area unpainted while it is out of view (content-visibility: auto),
    for any figure the canvas does not draw (app_components.chart; none of the pages' figures today). On the bench's
    floor page of eight Plotly charts, after its slider redraws the first: the page with the rule has the same
    height, every chart the same place and size, and the last chart, scrolled to, looks the same as the page
    without the rule (the rule's style element removed in the page)."""
    errors = browser.watch_errors(page)
    with browser.server(script="tools/floor_app.py") as floor:
        page.goto(floor.url + "/?charts=8")
        browser.wait_idle(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 8", timeout=30_000)
        thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
        thumb.focus()
        thumb.press("ArrowRight")
        browser.wait_rerun(page)
        page.wait_for_timeout(500)
        page.locator("[data-testid='stMain']").evaluate("m => m.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        with_rule = _layout(page)
        assert len(with_rule["boxes"]) == 8 and set(with_rule["visibility"]) == {"auto"}, with_rule
        shown_with = _last_chart(page)
        removed = page.evaluate("""() => { let n = 0;
            for (const s of document.querySelectorAll('style'))
                if (s.textContent.includes('content-visibility')) { s.remove(); n += 1; }
            return n; }""")
        assert removed == 1, "the rule is in one style element"
        page.locator("[data-testid='stMain']").evaluate("m => m.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        without = _layout(page)
        assert set(without["visibility"]) == {"visible"}, without["visibility"]
        assert (with_rule["height"], with_rule["boxes"]) == (without["height"], without["boxes"])
        shown_without = _last_chart(page)
    assert (shown_without < 0.9).mean() > 0.01, "the last chart is drawn"
    assert shown_with.shape == shown_without.shape
    assert np.abs(shown_with - shown_without).mean() < 0.002
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def test_scrubbing_the_guided_field_redraws_it_alone_in_the_browser(server, page):
    """Guidance's three fields are shapes; a frame carries the guided one only (an empty item in its list of shapes
    leaves the figure's own shape as it is, as in Plotly). Scrubbed to w = 0 with the figure's own slider: the
    guided field changes, the unconditional and conditional fields stay as they were, the chart is drawn again,
    and no message goes to the server."""
    errors = browser.watch_errors(page)
    sent = wire.Wire(page)
    page.goto(server + "/guidance")
    browser.wait_idle(page)
    page.wait_for_function(_title_starts("The three steps at σ = 0.2, guided at w = 3"), timeout=30_000)
    chart = page.locator(".gd-chart").filter(has=page.locator("canvas[aria-label^='The three steps at']"))
    fields = "c => [c.gdSpec.layout.shapes.map(s => s.path), +c.dataset.drawn || 0]"
    before, drawn = chart.evaluate(fields)
    assert len(before) == 3 and all(len(d) > 1000 for d in before), [len(d) for d in before]
    mark = sent.mark()
    rail = chart.locator(".gd-frames input[type='range']")
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # the left end: w = 0
    page.wait_for_function(_title_starts("The three steps at σ = 0.2, guided at w = 0"), timeout=10_000)
    page.wait_for_timeout(300)
    after, drawn_after = chart.evaluate(fields)
    assert after[:2] == before[:2] and len(after) == 3 and after[2] != before[2] and len(after[2]) > 1000
    assert drawn_after > drawn
    assert sent.events[mark:] == [], "scrubbing sent a message to the server"
    assert not errors, errors



def test_flow_matching_s_data_set_is_switched_in_the_browser_without_a_rerun(server, page):
    """Both data sets' sections 2 to 5 come with the page (app_common.switched). A click on the ring hides the
    dino's sections and shows the ring's, every chart of them drawn at the width it is shown at; it asks the server
    only for a run of the control's own fragment (the rerun request names it), which writes the choice into the
    address; no chart is drawn again. A link to the ring opens on it, the choice outlives a visit to another page,
    and a link to no data set shows the dino."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    errors = browser.watch_errors(page)
    fragments = []

    def sent(payload):
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                fragments.append(msg.rerun_script.fragment_id)

    page.on("websocket", lambda ws: ws.on("framesent", sent))
    page.goto(server + "/flow_matching")
    browser.wait_idle(page)
    boxes = {d: page.locator(f".st-key-flow_dataset_{d}") for d in ("dino", "ring8")}

    def shown(dataset: str) -> None:
        expect(boxes[dataset].locator("canvas[aria-label^='Compute against quality']")).to_be_visible()
        for other in set(boxes) - {dataset}:
            expect(boxes[other]).to_be_hidden()
        page.wait_for_function(  # every chart of the set drawn at the width its element has (static/chart.js)
            "box => [...box.querySelectorAll('.gd-chart')].every(c => c.dataset.drawn && c.gdWidth === "
            "Math.floor(c.getBoundingClientRect().width))", arg=boxes[dataset].element_handle(), timeout=10_000)

    shown("dino")
    page.wait_for_function("() => [...document.querySelectorAll('.gd-chart')].every(c => c.dataset.drawn || "
                           "!c.getClientRects().length)", timeout=10_000)  # every chart shown is drawn
    drawn = page.locator(".gd-chart").evaluate_all("cs => cs.map(c => c.dataset.drawn)")
    mark = len(fragments)
    page.locator("[data-testid='stButtonGroup'] button", has_text="Ring of 8 Gaussians").click()
    shown("ring8")
    page.wait_for_function("() => location.search.includes('flow_dataset=Ring')", timeout=10_000)
    browser.wait_idle(page)
    shown("ring8")  # and still so once the control's fragment has answered
    assert len(fragments) == mark + 1 and fragments[-1], f"not a run of the control's fragment alone: {fragments}"
    ring = page.locator(".gd-chart").evaluate_all("cs => cs.map(c => !!c.closest('.st-key-flow_dataset_ring8'))")
    again = [k for k, d in enumerate(page.locator(".gd-chart").evaluate_all("cs => cs.map(c => c.dataset.drawn)"))
             if d != drawn[k] and not ring[k]]
    assert again == [], f"charts drawn again: {again}"
    page.locator("[data-testid='stSidebarNavLink']", has_text="Home").click()
    browser.wait_idle(page)
    page.locator("[data-testid='stSidebarNavLink']", has_text="Flow matching").click()
    browser.wait_idle(page)
    shown("ring8")
    for link, dataset in (("?flow_dataset=Ring+of+8+Gaussians", "ring8"), ("?flow_dataset=", "dino"),
                          ("?flow_dataset=nonsense", "dino")):
        page.goto(server + "/flow_matching" + link)
        browser.wait_idle(page)
        shown(dataset)
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


@pytest.mark.parametrize("default", ["a", "b", "c"])
def test_a_switched_view_s_style_rule_shows_the_chosen_view_alone(chromium, default):
    """app_common.switch_rule on three options, each as the default: in Chromium, with each option's button checked
    only the chosen option's container is displayed, and with none checked (an empty choice) the default's."""
    from app_common import switch_rule

    options = ["a", "b", "c"]
    page = chromium.new_page()
    buttons = "".join(f'<button role="radio" aria-checked="false">{o}</button>' for o in options)
    boxes = "".join(f'<div class="st-key-set_{o}">{o}</div>' for o in options)
    page.set_content(f'<style>{switch_rule("set", options, default)}</style><div class="st-key-set"><div '
                     f'role="radiogroup"><label>Set</label>{buttons}</div></div>{boxes}')

    def displayed(checked: str | None) -> list[str]:
        return page.evaluate("""(checked) => {
            for (const b of document.querySelectorAll('[role=radio]'))
                b.setAttribute('aria-checked', String(b.textContent === checked));
            return [...document.querySelectorAll("[class^='st-key-set_']")]
                .filter(d => getComputedStyle(d).display !== 'none').map(d => d.textContent); }""", checked)

    try:
        for o in options:
            assert displayed(o) == [o]
        assert displayed(None) == [default]
    finally:
        page.close()


# every chart on the page drawn: their draw counts (static/chart.js), or false while one is not
ALL_DRAWN = """() => { const cs = [...document.querySelectorAll('.gd-chart')];
  return cs.length > 0 && cs.every(c => c.dataset.drawn) && cs.map(c => c.dataset.drawn); }"""


def test_the_loss_page_s_step_3_in_full_is_typeset_when_opened_and_reruns_only_itself(server, page):
    """The derivation's expander is lazy (app_common.lazy_expander): closed, the page carries none of its formulas;
    opened, they come in a run of its own fragment (no chart above or below is drawn again) and KaTeX typesets
    every one of them without an error."""
    errors = browser.watch_errors(page)
    page.goto(server + "/where_the_loss_comes_from")
    browser.wait_idle(page)
    box = page.locator("[data-testid='stExpander']").filter(has_text="Step 3 in full")
    assert box.locator(".katex").count() == 0
    for _ in range(5):  # every chart drawn (each once laid out: static/chart.js) and marked, none mounted in between
        drawn = page.wait_for_function(ALL_DRAWN, timeout=30_000).json_value()
        charts = page.evaluate(exercise.MARK_CHARTS)
        if page.locator(".gd-chart").evaluate_all("cs => cs.map(c => c.dataset.drawn)") == drawn:
            break
    box.locator("summary").click()
    box.locator(".katex").first.wait_for(timeout=30_000)
    browser.wait_idle(page)
    assert box.locator(".katex").count() >= 15
    assert page.locator(".katex-error").count() == 0
    page.evaluate(exercise.TWO_FRAMES)
    assert page.evaluate(exercise.CHARTS_BUILT_ANEW, charts) == []
    assert page.locator(".gd-chart").evaluate_all("cs => cs.map(c => c.dataset.drawn)") == drawn, "a chart redrawn"
    assert "The decoder term" in box.inner_text()
    assert not errors, errors


def test_every_page_can_be_shared_by_its_address(server, page):
    """A link sets a page's controls (Score fields at σ = 0.1, the ladder with DDPM at 20 steps), including a
    value that is the widget's first option; moving a control writes it into the address."""
    errors = browser.watch_errors(page)
    page.goto(server + "/score_fields?score_sigma=0.02&ode_steps=5&ode_runs=3")
    browser.wait_idle(page)
    assert [_slider_value(page, k) for k in ("score_sigma", "ode_steps", "ode_runs")] == ["0.02", "5", "3"]
    page.goto(server + "/diffusion_process?rev_sampler=DDPM&rev_steps=20")
    browser.wait_idle(page)
    assert _slider_value(page, "rev_steps") == "20"
    assert page.locator(".st-key-rev_sampler input[type='radio']").first.is_checked(), "DDPM, the first option"
    thumb = page.locator(".st-key-rev_seed input[type='range']").first
    thumb.focus()
    thumb.press("End")
    browser.wait_rerun(page)
    page.wait_for_function("() => location.search.includes('rev_seed=9')", timeout=10_000)
    assert "rev_steps=20" in page.url and "rev_sampler=DDPM" in page.url, page.url
    page.goto(server + "/where_the_loss_comes_from?loss_shift=-4&loss_target=nonsense")
    browser.wait_idle(page)
    assert _slider_value(page, "loss_shift") == "-4", "a link to a negative shift"
    assert page.locator(".st-key-loss_target input[type='radio']").first.is_checked(), "nonsense: the default, ε"
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def test_playground_settings_live_in_the_address(server, page):
    """A shared link sets the controls; moving a control writes it into the address."""
    errors = browser.watch_errors(page)
    page.goto(server + "/playground?width=128&depth=2&budget=5&data=Type+a+word&word=dino")
    browser.wait_idle(page)
    assert _slider_value(page, "width") == "128" and _slider_value(page, "depth") == "2"
    assert _slider_value(page, "budget") == "5"
    assert page.locator(".st-key-word input").input_value() == "dino"
    # plotly draws after the script is idle (its bundle loads lazily): wait for the data chart's title
    page.wait_for_function(_title_includes("the word 'dino'"), timeout=30_000)
    thumb = page.locator(".st-key-T input[type='range']").first
    thumb.focus()
    thumb.press("Home")
    browser.wait_rerun(page)
    # the browser writes the address after the widget's message; wait for it rather than read it at once
    page.wait_for_function("() => location.search.includes('T=20')", timeout=10_000)
    assert "T=20" in page.url and "width=128" in page.url, page.url
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def test_playground_training_survives_moving_controls_and_ends_with_a_model(server, page):
    """A 5 s training: while it runs, move a setting and a sampling control; the progress goes on, and the
    new model replaces the shipped one at the end."""
    errors = browser.watch_errors(page)
    page.goto(server + "/playground?budget=5")
    browser.wait_idle(page)
    page.locator(".st-key-pg_train button:visible").click()
    bar = page.locator("[data-testid='stProgress']")
    bar.first.wait_for(timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stProgress]')]"
                           ".some(e => /step [1-9]/.test(e.innerText))", timeout=30_000)
    first = bar.first.inner_text()
    thumb = page.locator(".st-key-width input[type='range']").first
    thumb.focus()
    thumb.press("ArrowRight")  # a full rerun in the middle of the training
    page.locator(".st-key-sampler [data-testid='stRadioOption']").nth(0).click()
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stAlert]')]"
                           ".some(e => e.innerText.includes('Trained for 5 s'))", timeout=60_000)
    browser.wait_idle(page)
    assert "step" in first
    assert page.get_by_text("Your changes since apply to the next training").count() == 0  # it is over
    page.wait_for_function(_title_starts("Training loss of this model"), timeout=30_000)
    assert page.locator(".st-key-pg_train button:visible").is_enabled()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "playground_trained.png"), full_page=True)
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def test_a_hostile_link_and_file_name_are_shown_as_text(server, page, tmp_path):
    """A shared link with markup in the word and an infinite seed, then weights whose file name is markdown:
    the page draws, the title shows the characters, and the browser makes no image, link, bold or maths of
    them (nor asks for the image)."""
    from urllib.parse import quote

    from diffusion_core import models
    from diffusion_core.topics.playground import core as playground

    asked = []
    page.on("request", lambda r: asked.append(r.url) if "127.0.0.9" in r.url else None)
    errors = browser.watch_errors(page)
    word = "<b>y</b> *i* $x$"
    page.goto(server + f"/playground?seed=inf&sample_seed=1e999&data=Type+a+word&word={quote(word)}")
    browser.wait_idle(page)
    assert page.locator(browser.EXCEPTION).count() == 0
    assert page.locator(".st-key-seed input").input_value() == "0"
    # the title shows the tags as characters: a canvas chart's label is its title's text, tags parsed out
    page.wait_for_function(_title_includes(f"the word '{word}'"), timeout=30_000)
    assert page.locator(".gtitle b").count() == 0
    name = "![i](http:__127.0.0.9_i.png) $x$ _e_ [l](http:__127.0.0.9).pt"
    blob = playground.checkpoint_bytes(models.EpsMLP(playground.Settings().model_config()), playground.Frame(),
                                       {"data": "![i](http://127.0.0.9/i.png) <b>b</b> $y$"})
    page.get_by_test_id("stExpander").get_by_text("Load weights saved earlier").click()
    page.locator(".st-key-pg_weights input[type='file']").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": blob})
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stAlert]')]"
                           ".some(e => e.innerText.startsWith('Loaded '))", timeout=30_000)
    browser.wait_idle(page)
    alert = page.locator("[data-testid=stAlert]", has_text="Loaded ").first
    def text(where) -> str:  # what the reader reads (the page puts invisible word joiners inside addresses)
        return where.inner_text().replace("\u2060", "")

    assert name[:-3] in text(alert)
    caption = page.locator("[data-testid=stCaptionContainer]", has_text="Model trained on").first
    assert "![i](http://127.0.0.9/i.png) <b>b</b> $y$" in text(caption)
    for where in (alert, caption):
        assert where.locator("img, a, b, em, .katex").count() == 0, where.inner_html()
    assert not asked, asked
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def _drawn_count(page) -> int:
    return int(re.search(r"([\d,]+) points?", page.locator(".gd-count").inner_text()).group(1).replace(",", ""))


def _open_canvas(page, server: str) -> dict:
    """The Playground with Draw chosen, the canvas scrolled into view; its bounding box."""
    page.goto(server + "/playground?data=Draw")
    browser.wait_idle(page)
    canvas = page.locator(".gd-drawing canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100
    return box


def _stroke(page, box: dict, y: float) -> None:
    """Drag the mouse across the canvas at height y (a fraction of it), from 0.2 to 0.8 of its width; wait for the
    page's answer."""
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + y * box["height"])
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(box["x"] + (0.2 + 0.03 * k) * box["width"], box["y"] + y * box["height"])
    page.mouse.up()
    browser.wait_rerun(page)


def test_the_playground_canvas_refuses_a_forged_drawing_and_keeps_the_data(server, page):
    """What the canvas sends is checked as an upload is. A page script that forges the canvas's strokes (text for
    coordinates, a point off the canvas, a fifth colour) gets one sentence and no traceback; the data plot keeps the
    last good drawing; taking the forged stroke away brings the drawing back."""
    errors = browser.watch_errors(page)
    _stroke(page, _open_canvas(page, server), 0.5)
    good = _drawn_count(page)
    page.wait_for_function(_title_starts(f"Training data: your drawing ({good:,} points)"), timeout=30_000)
    for forged, why in (('[["x", "y", 0]]', "a coordinate is not a number"),
                        ("[[5, 5, 0]]", "a point lies outside the canvas"),
                        ("[[0.5, 0.5, 9]]", "a colour is not one of the 4")):
        # the canvas keeps its strokes on its element; Undo sends what is left after the last one
        page.locator(".gd-drawing").evaluate(f"root => {{ root.gdStrokes.push({forged}); root.gdStrokes.push([]); }}")
        page.locator(".gd-undo").click()
        browser.wait_rerun(page)
        alert = page.get_by_test_id("stAlert").filter(has_text="The data below has not changed.")
        expect(alert).to_have_count(1)
        assert why in alert.inner_text(), alert.inner_text()
        page.wait_for_function(_title_starts(f"Training data: your drawing ({good:,} points)"), timeout=30_000)
        page.locator(".gd-undo").click()  # the forged stroke away: the good drawing again, no message
        browser.wait_rerun(page)
        expect(page.get_by_test_id("stAlert").filter(has_text="The data below has not changed.")).to_have_count(0)
        assert _drawn_count(page) == good
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def test_the_playground_canvas_paints_data_in_colours_and_undoes_a_stroke(server, page):
    """Drag the mouse across the canvas, then again in the second colour, then a third time: the data plot shows the
    canvas's count and a trace per colour, equal strokes add equal counts (the canvas's script, called again after
    each stroke, must not add its listeners twice); Undo takes the last stroke away, from the canvas and the data."""
    errors = browser.watch_errors(page)
    box = _open_canvas(page, server)

    def stroke(y: float) -> None:
        _stroke(page, box, y)

    def legend() -> list[str]:
        return page.locator(".st-key-pg_data_plot :is(.legendtext, .gd-legend-text li)").evaluate_all(
            "els => els.map(e => e.textContent)")  # Plotly's legend, or a canvas chart's entries as text

    stroke(0.3)
    first = _drawn_count(page)
    assert first > 20, first
    page.wait_for_function(_title_starts(f"Training data: your drawing ({first:,} points)"), timeout=30_000)
    page.locator(".gd-swatch").nth(1).click()
    stroke(0.7)
    both = _drawn_count(page)
    assert both > first
    page.wait_for_function(_title_starts(f"Training data: your drawing ({both:,} points)"), timeout=30_000)
    assert legend() == ["class 1 (blue)", "class 2 (orange)"], legend()
    stroke(0.5)
    three = _drawn_count(page)
    assert both - first == first and three - both == first, (first, both, three)  # the same path, the same dabs
    page.wait_for_function(_title_starts(f"Training data: your drawing ({three:,} points)"), timeout=30_000)
    page.locator(".gd-undo").click()
    browser.wait_rerun(page)
    assert _drawn_count(page) == both
    page.locator(".gd-undo").click()
    browser.wait_rerun(page)
    assert _drawn_count(page) == first
    page.wait_for_function(_title_starts(f"Training data: your drawing ({first:,} points)"), timeout=30_000)
    nav = page.get_by_test_id("stSidebarNavItems")
    nav.get_by_role("link", name="Home").click()  # away and back in the same session: the drawing is kept
    browser.wait_idle(page)
    nav.get_by_role("link", name="Playground").click()
    browser.wait_idle(page)
    page.locator(".st-key-data label").filter(has_text="Draw").click()
    browser.wait_rerun(page)
    assert _drawn_count(page) == first
    page.wait_for_function(_title_starts(f"Training data: your drawing ({first:,} points)"), timeout=30_000)
    assert page.locator(browser.EXCEPTION).count() == 0 and not errors, errors


def _drawn(page, fig) -> np.ndarray:
    """A figure drawn by Plotly in Chromium, as a grey-level image of its plot (0 black, 1 white), blurred over
    4 x 4 pixels (an image and markers antialias their edges differently)."""
    import plotly
    from PIL import Image

    page.set_content("<div id='plot'></div>")
    page.add_script_tag(path=str(browser.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
    page.evaluate("f => Plotly.newPlot('plot', f.data, f.layout)", json.loads(fig.to_json()))
    page.wait_for_timeout(300)  # the image trace decodes its PNG
    shot = np.asarray(Image.open(io.BytesIO(page.locator(".nsewdrag").first.screenshot())).convert("L"), float) / 255
    h, w = (s // 4 * 4 for s in shot.shape)
    return shot[:h, :w].reshape(h // 4, 4, w // 4, 4).mean((1, 3))


def test_a_cloud_drawn_as_an_image_looks_as_its_markers_do(chromium):
    """Plotly's own markers are the reference: the same cloud drawn as an image (figures.figure) matches them, and
    a cloud mirrored top to bottom does not (the image is not upside down)."""
    from diffusion_core import figures

    rng = np.random.default_rng(3)
    pts = np.concatenate([rng.normal(size=(500, 2)) * [0.5, 0.2] + [1.2, 1.5], rng.normal(size=(100, 2)) * 0.1 - 1.5])
    lay = figures.layout("cloud", 500, width=500, **figures.square_axes(3))

    def drawn(points, raster_min):
        trace = figures.points_trace(points, "samples", figures.SERIES[0], size=5, opacity=0.55)
        return _drawn(page, figures.figure([trace], lay, raster_min=raster_min))

    page = chromium.new_page(viewport={"width": 600, "height": 600})
    try:
        image, markers = drawn(pts, 100), drawn(pts, np.inf)
        mirrored = drawn(pts * [1, -1], np.inf)
    finally:
        page.close()
    assert (markers < 0.9).mean() > 0.02, "the cloud is drawn"
    same, flipped = np.abs(image - markers).mean(), np.abs(image - mirrored).mean()
    # measured: 0.0005 and 0.036; a dot of opacity 1, overlaps added rather than combined, or a 3-pixel shift pass
    # a bound of 0.01 (a review tried them), so the bound is 0.002
    assert same < 0.002 and flipped > 10 * same, (same, flipped)


def test_arrows_drawn_as_one_shape_look_as_a_line_trace_of_them_does(chromium):
    """Plotly's own line trace is the reference: a field of arrows drawn as one shape (figures.arrows_shape, one SVG
    element) matches the same arrows drawn as a trace with a gap between arrows, and the field reversed does not."""
    from diffusion_core import figures

    g = np.stack(np.meshgrid(np.linspace(-2.5, 2.5, 12), np.linspace(-2.5, 2.5, 12)), -1).reshape(-1, 2)
    v = -0.25 * g + 0.1 * np.random.default_rng(5).normal(size=g.shape)
    lay = figures.layout("field", 500, width=500, showlegend=False, **figures.square_axes(3))

    def as_shape(vectors):
        return figures.figure([], dict(lay, shapes=[figures.arrows_shape(g, vectors, color="#D55E00", width=1.3,
                                                                         name="field")]))

    x, y = figures.arrow_segments(g, v)
    trace = {"type": "scatter", "mode": "lines", "x": x, "y": y, "line": {"color": "#D55E00", "width": 1.3}}
    page = chromium.new_page(viewport={"width": 600, "height": 600})
    try:
        shape, lines, reversed_ = _drawn(page, as_shape(v)), _drawn(page, figures.figure([trace], lay)), \
            _drawn(page, as_shape(-v))
    finally:
        page.close()
    assert (lines < 0.95).mean() > 0.02, "the arrows are drawn"
    same, unlike = np.abs(shape - lines).mean(), np.abs(reversed_ - lines).mean()
    assert same < 0.002 and unlike > 5 * same, (same, unlike)


def _whole(page, fig) -> tuple[np.ndarray, int]:
    """A figure drawn by Plotly in Chromium, 900 pixels wide: (its grey-level image, 0 black and 1 white; the changes
    to its traces when Plotly draws it again from a fresh copy of the same figure, as Streamlit 1.67 does a moment
    after a chart arrives)."""
    from PIL import Image

    text = fig.to_json()
    page.evaluate("""async (text) => {
        const div = document.getElementById('plot');
        Plotly.purge(div);
        div.innerHTML = '';
        const spec = JSON.parse(text);
        await Plotly.newPlot(div, spec);
        if (spec.data.some(t => t.type === 'image')) await new Promise(r => setTimeout(r, 300));  // PNGs decode
    }""", text)
    shot = Image.open(io.BytesIO(page.locator("#plot").screenshot())).convert("L")
    changes = page.evaluate("""async (text) => {
        const div = document.getElementById('plot');
        let n = 0;
        const traces = 'g.trace, g.hm, g.contour, g.imagelayer';  // scatter and bars, heatmaps, contours, images
        const seen = new MutationObserver(rs => {  // changes to the traces (axes may set their ticks again)
            for (const r of rs) if (r.target.closest && r.target.closest(traces)) n += 1;
        });
        seen.observe(div, {subtree: true, childList: true, attributes: true, characterData: true});
        await Plotly.react(div, JSON.parse(text));
        await new Promise(r => setTimeout(r, 50));
        seen.disconnect();
        return n;
    }""", text)
    return np.asarray(shot, float) / 255, changes


def test_figures_look_as_with_their_template_and_are_not_drawn_twice(chromium, monkeypatch):
    """Every figure writes the plotly_white template into its own attributes and sends its traces' arrays as plain
    lists under a fixed `datarevision`. Drawn by Plotly in Chromium, each looks as the same figure sent with the
    template did (the reference: Plotly applying the template itself), and drawing it again from a JSON copy (what
    Streamlit does a moment after a chart arrives) leaves its traces as they are, where the template's copy made
    Plotly draw every trace again (a figure with a contour keeps that second draw: figures._SAFE_REVISION)."""
    import plotly
    import plotly.graph_objects as go
    import test_plots

    from diffusion_core import figures

    def catalogue():
        monkeypatch.setattr(test_plots, "RNG", np.random.default_rng(0))  # the same random figures each time
        return test_plots._figures.__wrapped__()

    sent = catalogue()
    monkeypatch.setattr(figures, "_built", lambda data, lay, frames, options: go.Figure(
        data=data, layout=lay, frames=frames or None))  # the template sent, and validated: Plotly applies it
    before = catalogue()
    assert all("template" in json.loads(fig.to_json())["layout"] for fig in before.values())
    page = chromium.new_page(viewport={"width": 1000, "height": 900})
    try:
        page.set_content("<div id='plot' style='width: 900px'></div>")
        page.add_script_tag(path=str(browser.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
        redrawn_before, unlike, redrawn = [], {}, {}
        for name, fig in sent.items():
            now, changes = _whole(page, fig)
            then, changes_before = _whole(page, before[name])
            redrawn_before.append(changes_before)
            # a faint grid line Plotly would not draw: 0.03 to 0.2 % of the figure's pixels, 0.06 of grey level off
            off = np.abs(now - then) if now.shape == then.shape else None
            if off is None or off.mean() > 0.002 or (off > 0.03).mean() > 2e-4:
                unlike[name] = now.shape if off is None else (round(float(off.mean()), 4), float((off > 0.03).mean()))
            if changes and not any(t.type == "contour" for t in fig.data):  # see figures._SAFE_REVISION
                redrawn[name] = changes
    finally:
        page.close()
    assert not unlike, f"figures that look unlike their templated selves: {unlike}"
    assert not redrawn, f"figures drawn again from a copy: {redrawn}"
    # measured: 43 of 43 (1 to 1,800 changes to their traces each)
    assert np.mean(np.array(redrawn_before) > 0) > 0.9, f"with the template, figures were drawn again: {redrawn_before}"


def _bare(fig) -> dict:
    """A figure's JSON with only its data left to draw: no title, legend, annotations, tick labels, axis titles,
    grid or colour bar, and the margins as given (not widened), so that Plotly and the canvas place the same plot."""
    spec = json.loads(fig.to_json())
    spec.pop("frames", None)  # the figure as it opens (its slider's step), with no slider or buttons drawn
    lay = spec["layout"]
    lay.update(title={"text": ""}, showlegend=False, annotations=[], sliders=[], updatemenus=[])
    for key, axis in lay.items():
        if key[:5] in ("xaxis", "yaxis"):
            axis.update(showticklabels=False, title={"text": ""}, showgrid=False, zeroline=False, automargin=False)
    for trace in spec["data"]:
        if trace.get("type") == "heatmap":
            trace["showscale"] = False
    return spec


def _two_ways(page, spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """The figure drawn by Plotly and by the canvas (app_components/chart.js), each 900 pixels wide, as grey-level
    images (0 black, 1 white) blurred over 4 x 4 pixels (the two antialias edges differently)."""
    from PIL import Image

    from app_components.chart import compact

    sent = json.loads(json.dumps(spec))
    compact(sent)  # the canvas gets what app_components.chart sends it: long lists of numbers as float32
    page.evaluate("""async ([text, sent]) => {
        const div = document.getElementById('plot');
        Plotly.purge(div);
        await Plotly.newPlot(div, JSON.parse(text));
        window.gdChart({parentElement: document.getElementById('canvas'), data: new TextEncoder().encode(sent)});
        await new Promise(r => setTimeout(r, 300));  // PNGs decode; the canvas draws again once they have
    }""", [json.dumps(spec), json.dumps(sent)])

    def grey(selector):
        shot = Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("L")
        a = np.asarray(shot, float) / 255
        h, w = (s // 4 * 4 for s in a.shape)
        return a[:h, :w].reshape(h // 4, 4, w // 4, 4).mean((1, 3))

    return grey("#plot"), grey("#canvas canvas")


@pytest.fixture
def canvas_page(chromium):
    """A page with plotly.js and the canvas chart's module side by side, each in a 900-pixel column."""
    import plotly

    page = chromium.new_page(viewport={"width": 1900, "height": 1000})
    root = browser.ROOT / "app_components"
    page.set_content(f"<style>{(root / 'chart.css').read_text()}</style><div style='display: flex'>"
                     "<div id='plot' style='width: 900px'></div>"
                     "<div id='canvas' style='width: 900px'><div class='gd-chart'><canvas></canvas></div></div></div>")
    page.add_script_tag(path=str(browser.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
    page.evaluate("""async (js) => {
        const url = URL.createObjectURL(new Blob([js], {type: 'text/javascript'}));
        window.gdChart = (await import(url)).default;
    }""", (browser.ROOT / "static" / "chart.js").read_text())
    yield page
    page.close()


def _ink_off(plotted: np.ndarray, drawn: np.ndarray, pool: int = 3) -> float:
    """How far two grey-level pictures of a figure are apart, as a share of their ink: the summed difference over
    the larger of the two summed inks (1 - grey), after averaging over `pool` x `pool` cells of the (already 4 x 4)
    pictures, so that a line a pixel or two off counts little and a missing trace by its ink, however much white is
    around."""
    h, w = (n // pool * pool for n in plotted.shape)
    a, b = (p[:h, :w].reshape(h // pool, pool, w // pool, pool).mean((1, 3)) for p in (plotted, drawn))
    return float(np.abs(a - b).sum() / max((1 - a).sum(), (1 - b).sum(), 1e-9))


def _has_data(trace: dict) -> bool:
    """The trace draws something: points, cells or an image (not a legend's empty stand-in)."""
    from test_pages import values

    return "source" in trace or any(v is not None for k in ("x", "z") if trace.get(k) is not None
                                    for v in values(trace[k]))


def test_the_canvas_draws_each_figure_s_data_where_plotly_draws_it(canvas_page):
    """Plotly is the reference: every figure of the test catalogue (each one goes to the canvas: test_app_chart),
    stripped to its data (no text, grid or legend, margins as given), is drawn by the canvas as Plotly draws it:
    the same ranges (given or automatic, linear, log or category, tied to an aspect ratio), the same traces (lines
    and their dashes, markers and their symbols, bars, histograms, error bars, heat maps, contours, images, fills)
    and shapes in the same places: within BOUND of their ink each, and for almost every figure much nearer Plotly's
    picture than two controls are: the figure upside down (its y axes reversed), and the figure with its first trace
    of data left out."""
    import test_plots

    from app_components.chart import drawable

    off, flipped_off, dropped_off = {}, {}, {}
    for name, fig in test_plots._figures().items():
        spec = _bare(fig)
        assert drawable(spec) is None, (name, drawable(spec))
        plotted, drawn = _two_ways(canvas_page, spec)
        assert plotted.shape == drawn.shape, name
        assert (plotted < 0.97).mean() > 0.002, f"{name}: Plotly drew nothing"
        off[name] = _ink_off(plotted, drawn)
        with_data = [i for i, t in enumerate(spec["data"]) if _has_data(t)]
        if len(with_data) >= 2:
            fewer = json.loads(json.dumps(spec))
            fewer["data"][with_data[0]]["visible"] = False
            dropped_off[name] = _ink_off(plotted, _two_ways(canvas_page, fewer)[1])
        for key, axis in spec["layout"].items():
            if key.startswith("yaxis"):
                axis["autorange"] = "reversed"
                if axis.get("range"):
                    axis["range"] = axis["range"][::-1]
        flipped_off[name] = _ink_off(plotted, _two_ways(canvas_page, spec)[1])
    assert len(off) == len(test_plots._figures()) > 40
    unlike = {n: round(v, 3) for n, v in off.items() if v > BOUND}
    assert not unlike, f"figures the canvas draws unlike Plotly (share of their ink): {unlike}"
    flipped = [n for n in off if flipped_off[n] > 2 * off[n]]
    assert len(flipped) >= 0.9 * len(off), {n: (off[n], flipped_off[n]) for n in off if n not in flipped}
    dropped = [n for n in dropped_off if dropped_off[n] > 2 * off[n]]
    assert len(dropped) >= 0.9 * len(dropped_off) and len(dropped_off) > 30, \
        {n: (off[n], dropped_off[n]) for n in dropped_off if n not in dropped}


# The bound on a figure's difference as a share of its ink (_ink_off). Measured on the 42 figures: 0.000 to 0.366;
# the largest are thin lines on log axes with error bars (the loss page's levels 0.37, Sampling as optimization's
# momentum 0.33), whose automatic range the canvas pads a few pixels differently from Plotly, so a line a few pixels
# off counts in full. Upside down: 0.06 to 2.0, more than twice the drawing's own difference on 41 of 42 (not the
# landscape's filled contours, alike either way up); with the first trace of data left out: 0.02 to 1.2, more
# than twice on 35 of the 36 figures with two traces of data or more (not the noise-level settings' band).
BOUND = 0.4


def test_hovering_a_canvas_chart_shows_the_nearest_point_s_label(canvas_page):
    """Hovering near a point shows the label its trace's hover template makes (d3 formats, <extra> as the name)."""
    from diffusion_core import figures

    trace = {"type": "scatter", "mode": "markers", "x": [0.0, 0.5, 1.0], "y": [1.0, 2.0, 3.0], "name": "pts",
             "customdata": [[10], [20], [30]], "hovertemplate": "at %{x:.2f}: %{y:.1f} (%{customdata[0]:,.0f})"
                                                               "<extra>the points</extra>"}
    fig = figures.figure([trace], figures.layout("hover", 400))
    _two_ways(canvas_page, json.loads(fig.to_json()))
    canvas = canvas_page.locator("#canvas canvas")
    x, y = canvas.evaluate("""c => { const a = c.parentElement.gdAxes; return [a.x.toPx(0.5), a.y.toPx(2.0)]; }""")
    box = canvas.bounding_box()
    canvas_page.mouse.move(box["x"] + x + 3, box["y"] + y - 2)
    tip = canvas_page.locator("#canvas .gd-tip")
    expect(tip).to_be_visible()
    assert tip.inner_text().split("\n") == ["at 0.50: 2.0 (20)", "the points"]
    canvas_page.mouse.move(box["x"] + 2, box["y"] + 2)  # far from every point
    expect(tip).to_be_hidden()


def test_a_canvas_chart_sent_as_float32_hovers_the_values_and_leaves_out_its_gaps(canvas_page):
    """A long line sent as float32 typed arrays (app_components.chart.compact), with a gap: hovering a point shows
    its values as the hover template formats them, and the gap is no point to hover."""
    from app_components.chart import TYPED_MIN, compact
    from diffusion_core import figures

    n = TYPED_MIN + 6
    xs = [k / (n - 1) for k in range(n)]
    ys = [None if k == 10 else 1 + x * x for k, x in enumerate(xs)]
    trace = {"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": "curve",
             "hovertemplate": "x %{x:.3f}, y %{y:.3f}<extra>the curve</extra>"}
    spec = json.loads(figures.figure([trace], figures.layout("typed", 400)).to_json())
    sent = json.loads(json.dumps(spec))
    compact(sent)
    assert sent["data"][0]["x"]["dtype"] == sent["data"][0]["y"]["dtype"] == "f4"  # what the canvas gets below
    _two_ways(canvas_page, spec)
    canvas = canvas_page.locator("#canvas canvas")
    box = canvas.bounding_box()
    tip = canvas_page.locator("#canvas .gd-tip")
    for k in (30, 10):
        x, y = canvas.evaluate("""(c, [x, y]) => { const a = c.parentElement.gdAxes; return [a.x.toPx(x), a.y.toPx(y)]; }""",
                               [xs[k], 1 + xs[k] ** 2])
        canvas_page.mouse.move(box["x"] + x, box["y"] + y)
        expect(tip).to_be_visible()
        label = tip.inner_text().split("\n")
        if k == 30:
            assert label == [f"x {xs[30]:.3f}, y {1 + xs[30] ** 2:.3f}", "the curve"]
        else:  # the gap: the nearest point is a neighbour
            assert label[0] in (f"x {xs[j]:.3f}, y {1 + xs[j] ** 2:.3f}" for j in (9, 11)), label
        canvas_page.mouse.move(box["x"] + 2, box["y"] + 2)
        expect(tip).to_be_hidden()


def test_a_new_chart_is_drawn_once_laid_out_and_a_hidden_one_when_shown(canvas_page):
    """A chart that arrives is drawn once the browser has laid the page out, at the width its ResizeObserver
    reports, not at once (reading its width at once forces a layout of the whole page, for every chart that
    arrives); new data for a chart on the page is drawn at once. A chart that is not laid out (in a hidden block)
    is not drawn until it is shown, and then at its own width. Drawing a chart in
    its observer's report does not resize what the observer watches (which the browser reports as an error: a
    "ResizeObserver loop"), even when newer data of another height comes before the first report (drawn once, with
    it), and a chart taken off the page and put back is drawn again."""
    from diffusion_core import figures

    fig = figures.figure([{"type": "scatter", "x": [0, 1, 2], "y": [1, 3, 2], "name": "pts"}],
                         figures.layout("arrives", 300))
    text = fig.to_json()
    canvas_page.evaluate("() => { window.gdErrors = []; addEventListener('error', e => gdErrors.push(e.message)); }")
    canvas_page.evaluate("""() => document.body.insertAdjacentHTML('beforeend',
        "<div id='shown' style='width: 700px'><div class='gd-chart'><canvas></canvas></div></div>" +
        "<div id='hidden' style='display: none; width: 500px'><div class='gd-chart'><canvas></canvas></div></div>")""")
    state = """(id) => { const c = document.querySelector('#' + id + ' .gd-chart');
                         return [c.dataset.drawn || null, c.querySelector('canvas').style.width]; }"""
    at_once = canvas_page.evaluate("""(text) => {
        window.gdChart({parentElement: document.getElementById('shown'), data: new TextEncoder().encode(text)});
        window.gdChart({parentElement: document.getElementById('hidden'), data: new TextEncoder().encode(text)});
        const c = document.querySelector('#shown .gd-chart');
        return c.dataset.drawn || null; }""", text)
    assert at_once is None, "drawn before the page was laid out"
    canvas_page.wait_for_function("() => document.querySelector('#shown .gd-chart').dataset.drawn === '1'")
    assert canvas_page.evaluate(state, "shown") == ["1", "700px"]
    canvas_page.evaluate(exercise.TWO_FRAMES)
    assert canvas_page.evaluate(state, "hidden")[0] is None, "a hidden chart drawn"
    canvas_page.evaluate("() => { document.getElementById('hidden').style.display = 'block'; }")
    canvas_page.wait_for_function("() => document.querySelector('#hidden .gd-chart').dataset.drawn === '1'")
    assert canvas_page.evaluate(state, "hidden") == ["1", "500px"]
    again = canvas_page.evaluate("""(text) => {
        window.gdChart({parentElement: document.getElementById('shown'), data: new TextEncoder().encode(text)});
        return document.querySelector('#shown .gd-chart').dataset.drawn; }""", text.replace("arrives", "again"))
    assert again == "2", "new data for a chart on the page is drawn at once"
    canvas_page.evaluate("() => { document.getElementById('shown').style.width = '640px'; }")
    canvas_page.wait_for_function("() => document.querySelector('#shown .gd-chart').dataset.drawn === '3'")
    assert canvas_page.evaluate(state, "shown") == ["3", "640px"]
    remounted = canvas_page.evaluate("""async (text) => {
        const where = document.getElementById('shown');
        const cleanup = window.gdChart({parentElement: where, data: new TextEncoder().encode(text)});
        cleanup();  // Streamlit takes the chart off the page ...
        window.gdChart({parentElement: where, data: new TextEncoder().encode(text)});  // ... and puts it back
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        return document.querySelector('#shown .gd-chart').dataset.drawn; }""", text)
    assert remounted == "5", "drawn at once with the new data, then again once its new observer reported"
    taller = json.loads(text)
    taller["layout"]["height"] = 480
    twice = canvas_page.evaluate("""async ([text, taller]) => {
        document.body.insertAdjacentHTML('beforeend',
            "<div id='twice' style='width: 400px'><div class='gd-chart'><canvas></canvas></div></div>");
        const where = document.getElementById('twice');
        window.gdChart({parentElement: where, data: new TextEncoder().encode(text)});
        window.gdChart({parentElement: where, data: new TextEncoder().encode(taller)});  // before the first report
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const c = where.querySelector('.gd-chart');
        return [c.dataset.drawn, c.querySelector('canvas').style.height]; }""", [text, json.dumps(taller)])
    assert twice == ["1", "480px"], "drawn once, with the newer data, at its height"
    assert canvas_page.evaluate("() => window.gdErrors") == []


def test_a_figure_the_canvas_fails_on_says_so_in_its_place(canvas_page):
    """A figure the canvas cannot draw (here, one with no list of traces) gets a sentence in the chart's place and
    an error in the console (which the page tests watch), not a blank; an empty heat map is drawn as nothing."""
    from PIL import Image

    logged = []
    canvas_page.on("console", lambda m: logged.append(m.text) if m.type == "error" else None)
    _two_ways(canvas_page, {"data": [{"type": "heatmap", "z": []}], "layout": {"title": {"text": "empty"}}})
    assert not logged
    canvas_page.evaluate("""() => window.gdChart({parentElement: document.getElementById('canvas'),
                                                   data: new TextEncoder().encode(JSON.stringify({layout: {}}))})""")
    canvas_page.wait_for_timeout(100)
    assert any("could not be drawn" in m for m in logged), logged
    shot = np.asarray(Image.open(io.BytesIO(canvas_page.locator("#canvas canvas").screenshot())).convert("L"))
    assert (shot < 128).mean() > 0.001, "the sentence is drawn"
