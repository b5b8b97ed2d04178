"""The reader's wait, measured in Chromium: every page's warm load and every control, beside a bare floor page.

    python tools/browserbench.py [--only PAGE ...] [--repeats N] [--load-repeats N] [--compare DIR [--rounds N]]
                                 [--json FILE]

Starts the app (its warm-up on; waits until the warm-up is done and, once a page has started the app's training
process, until the server is idle) and a floor page (tools/floor_app.py: a bare slider in a fragment that redraws
one plotly chart of 1,000 points) in the same run. Then, in one headless
Chromium:
- each page is opened once untimed, then loaded --load-repeats times (default: --repeats, 3): the load is the
  time from navigation to the last change to the page once the script is idle and nothing has changed for 0.6 s
  (every chart drawn). Beside it, the floor page loaded with as many plotly charts and images as the page shows;
- every figure's own slider (plotly frames, scrubbed in the browser) is clicked at a quarter and three quarters
  of its rail; every slider is moved one step each way (a key press on its thumb), every radio, segmented
  control and selectbox to its next option and back; all --repeats times: the time from the key press or click
  to the last change to the page, measured the same way. Beside them, the floor's slider.
The floor is measured in turns with the pages, not once: after each page (each round, each version), the bare
floor page's slider FLOOR_MOVES times each way, and the floor page with that page's charts and images loaded
--load-repeats times. The browser slows as a run goes on, and so does the floor; measured at one moment it was a
yardstick from another time than most of the pages (between runs it moved between 0.10 and 0.16 s).
With --compare DIR, another checkout of the app (say `git worktree add /tmp/before HEAD~3`) is started too and
measured in the same run, page by page, and its medians are printed beside ("was"). With --rounds N, each page is
measured N times on each version, the versions taking turns to go first, so that the machine's drift (a factor of
two between runs here) falls on both alike. Each round starts the servers afresh, the version started first taking
turns too: on the same commit, the server started first loaded pages 0.1 to 0.2 s slower (README). So compare with
an even number of rounds.
Prints one table per page (medians, seconds; the megabytes a load receives) and the ratios the issue sets as bars (a control within 1.5 times
the floor, the median control within the floor; a load within 1.5 times its floor). Timings stay out of the
test suite: they are noisy. Needs Playwright and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import browser, exercise  # after the path to the project

QUIET_MS = 600  # nothing changed on the page for this long: the answer is complete
FLOOR_MOVES = 2  # each way, after every page measured: 44 moves in a run of 11 pages
FLOOR_END_MOVES = 10  # each way, once more at the end of the run: the floor as measured before it took turns
TRAINING_PAGE = "/regurgitation"  # opening it starts the server's training process (app_cache.training_worker)
IDLE_CPU = 0.05  # seconds of CPU a second: below it, a server and its children are idle
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Records, in the page, the time of the last change to the document and of the last key press or click.
TIMER = """
(() => {
  const s = window.__bench = {last: performance.now(), input: 0};
  new MutationObserver(() => { s.last = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  for (const kind of ['keydown', 'pointerdown']) {
    document.addEventListener(kind, () => { s.input = performance.now(); s.last = s.input; }, true);
  }
})();
"""
# the controls a reader sees: a view the page sends hidden (app_common.switched) has controls the reader cannot reach
SLIDER = exercise.SLIDERS
CHOICES = (("radio", "[data-testid='stRadio']:visible", "[data-testid='stRadioOption']"),
           ("segmented", "[data-testid='stButtonGroup']:visible", "button"))


def settled(page, timeout_s: float = 120) -> float:
    """Wait until the script is idle and the page has not changed for QUIET_MS; the time (ms since the
    navigation began) of the last change."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        idle, quiet, last = page.evaluate(
            f"""() => [!!document.querySelector("{browser.IDLE}"),
                       performance.now() - window.__bench.last, window.__bench.last]""")
        if idle and quiet >= QUIET_MS:
            return last
        page.wait_for_timeout(50)
    raise TimeoutError(f"the page did not settle within {timeout_s:.0f} s")


class Received:
    """Bytes the page receives from the server: websocket messages (the page's elements, figures included) and
    media files (images)."""

    def __init__(self, page):
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        page.on("response", self._response)

    def _frame(self, payload) -> None:
        self.bytes += len(payload)

    def _response(self, response) -> None:
        if "/media/" in response.url:
            self.bytes += int(response.headers.get("content-length", 0))


def load(page, url: str) -> float:
    """Seconds from navigation to the last change of a settled page."""
    page.goto(url, wait_until="commit")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=120_000)
    return settled(page) / 1000


def answer(page, act) -> float:
    """Seconds from the input `act` makes to the last change of the page it brings."""
    act()
    last = settled(page)
    return (last - page.evaluate("window.__bench.input")) / 1000


def counts(page) -> dict[str, int]:
    """The charts and images the page shows (not those of a view it sends hidden): the floor page draws as many."""
    return {"charts": page.locator("[data-testid='stPlotlyChart']:visible").count(),
            "canvas": page.locator(".gd-chart > canvas:visible").count(),  # app_components.chart
            "images": page.locator("[data-testid='stImage'] img:visible").count()}  # a list of images is one element


def slider_value(page, i: int) -> str:
    return page.locator(SLIDER).nth(i).locator("input[type='range']").first.get_attribute("aria-valuetext") or ""


def nudge(page, i: int, key: str) -> tuple[float, bool]:
    """Press `key` on slider i's thumb; (seconds, whether the value moved)."""
    before = slider_value(page, i)
    thumb = page.locator(SLIDER).nth(i).locator("input[type='range']").first
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    seconds = answer(page, lambda: thumb.press(key))
    return seconds, slider_value(page, i) != before


def slider_times(page, repeats: int) -> dict[str, list[float]]:
    """Every slider one step each way, `repeats` times; label -> seconds of every move."""
    out: dict[str, list[float]] = {}
    i = 0
    while i < page.locator(SLIDER).count():
        label = page.locator(SLIDER).nth(i).locator("[data-testid='stWidgetLabel']").inner_text().strip()
        times: list[float] = []
        for _ in range(repeats):
            seconds, moved = nudge(page, i, "ArrowRight")
            keys = ("ArrowLeft",) if moved else ("ArrowLeft", "ArrowRight")  # at its end: go down, then back up
            if moved:
                times.append(seconds)
            for key in keys:
                seconds, moved = nudge(page, i, key)
                if moved:
                    times.append(seconds)
        out[f"slider: {label}"] = times
        i += 1
    return out


def choice_times(page, repeats: int) -> dict[str, list[float]]:
    """Every radio and segmented control to its next option and back, `repeats` times."""
    out: dict[str, list[float]] = {}
    for kind, group, option in CHOICES:
        for i in range(page.locator(group).count()):
            box = page.locator(group).nth(i)
            label = box.locator("[data-testid='stWidgetLabel']").inner_text().strip() or f"{kind} {i}"
            options = box.locator(option)
            if options.count() < 2:
                continue
            chosen = [k for k in range(options.count()) if _is_chosen(options.nth(k), kind)]
            here = chosen[0] if chosen else 0
            there = (here + 1) % options.count()
            times = []
            for _ in range(repeats):
                for k in (there, here):
                    target = page.locator(group).nth(i).locator(option).nth(k)
                    target.scroll_into_view_if_needed()
                    times.append(answer(page, target.click))
            out[f"{kind}: {label}"] = times
    return out


def select_times(page, repeats: int) -> dict[str, list[float]]:
    """Every selectbox to its next option and back, `repeats` times: from the click on the option."""
    out: dict[str, list[float]] = {}
    boxes = "[data-testid='stSelectbox']"
    for i in range(page.locator(boxes).count()):
        label = page.locator(boxes).nth(i).locator("[data-testid='stWidgetLabel']").inner_text().strip()
        times = []
        for _ in range(repeats):
            for step in ("next", "back"):
                exercise._open_select(page, i)
                options = page.get_by_role("option")
                shown = page.locator(f"{boxes} input").nth(i).input_value()
                texts = [t.strip() for t in options.all_inner_texts()]
                here = texts.index(shown) if shown in texts else 0
                target = options.nth((here + 1) % len(texts) if step == "next" else (here - 1) % len(texts))
                times.append(answer(page, target.click))
        out[f"select: {label}"] = times
    return out


def scrub_times(page, repeats: int) -> dict[str, list[float]]:
    """Every figure's own slider (frames, no rerun; Plotly's rail or a canvas chart's range input): a click at a
    quarter and at three quarters of it, `repeats` times, from the click to the last change of the page."""
    out: dict[str, list[float]] = {}
    charts = page.locator(".js-plotly-plot:visible, .gd-chart:visible").filter(
        has=page.locator(".slider-rail-rect, .gd-frames input[type='range']"))
    for j in range(charts.count()):
        chart = charts.nth(j)
        rail = chart.locator(".slider-rail-rect, .gd-frames input[type='range']").first
        rail.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        title = (chart.locator(".gtitle").first.text_content() if chart.locator(".gtitle").count()
                 else chart.locator("canvas").first.get_attribute("aria-label")) or f"figure {j}"
        times = []
        for _ in range(repeats):
            for at in (0.25, 0.75):
                box = rail.bounding_box()
                x, y = box["x"] + at * box["width"], box["y"] + box["height"] / 2
                times.append(answer(page, lambda x=x, y=y: page.mouse.click(x, y)))
        out[f"figure slider: {title[:50]}"] = times
    return out


def _is_chosen(option, kind: str) -> bool:
    if kind == "radio":
        return option.locator("input").first.is_checked()
    return (option.get_attribute("aria-checked") or option.get_attribute("aria-pressed")) == "true" or \
        "Active" in (option.get_attribute("data-testid") or "")


def floor_times(page, url: str, shape: tuple[int, int, int], repeats: int, floor: dict) -> None:
    """One turn of the floor page, added to `floor`: its slider FLOOR_MOVES times each way, and its load with
    `shape` (plotly charts, canvas charts, images) `repeats` times."""
    load(page, url)  # the bare floor page: its slider and one chart
    for _ in range(FLOOR_MOVES):
        for key in ("ArrowRight", "ArrowLeft"):
            floor["moves"].append(nudge(page, 0, key)[0])
    charts, canvas, images = shape
    shape_url = f"{url}/?charts={max(charts, 1)}&canvas={canvas}&images={images}"
    load(page, shape_url)  # untimed: this shape's first visit of the turn
    floor["loads"].setdefault(shape, []).extend(load(page, shape_url) for _ in range(repeats))


def measure_page(page, url: str, args, received: Received) -> dict:
    """One page of one server: its loads, what they receive, its charts and images, and every control."""
    load(page, url)  # untimed: the first visit
    received.bytes = 0
    loads = [load(page, url) for _ in range(args.load_repeats)]
    shape = counts(page) | {"megabytes": received.bytes / args.load_repeats / 1e6}
    controls = scrub_times(page, args.repeats)
    if not args.scrub_only:
        controls |= slider_times(page, args.repeats) | choice_times(page, args.repeats) | \
            select_times(page, args.repeats)
    return {"loads": loads, **shape, "controls": controls}


def merge(results: dict, title: str, measured: dict) -> None:
    """Add one round of a page's measurements to the ones before: every time kept, megabytes averaged."""
    if title not in results:
        results[title] = measured | {"rounds": 1}
        return
    r = results[title]
    r["megabytes"] = (r["megabytes"] * r["rounds"] + measured["megabytes"]) / (r["rounds"] + 1)
    r["rounds"] += 1
    r["loads"] += measured["loads"]
    for label, times in measured["controls"].items():
        r["controls"].setdefault(label, []).extend(times)


def warmed(page, app: browser.Server, wait: float) -> None:
    """Open the app once (the first session starts the warm-up of every page's default view) and wait until its
    log says the warm-up is done, or `wait` seconds (a version that does not log it). Then open a page that starts
    the training process (a child that imports torch: seconds of a core) and wait until the server and its children
    are idle, so that neither lands in the first page's timed loads."""
    load(page, app.url)
    started = time.time()
    while "warm-up done" not in app.output() and time.time() - started < wait:
        time.sleep(1)
    load(page, app.url + TRAINING_PAGE)
    settled = idle(app.process.pid)
    print(f"warm-up: waited {time.time() - started:.0f} s (idle after {settled:.0f} s more)", file=sys.stderr)


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and every process under it (Linux /proc; 0 where it cannot be read)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def idle(pid: int, timeout: float = 60) -> float:
    """Wait until the process tree under `pid` uses less than IDLE_CPU of a core over a second (at most `timeout`
    seconds); returns the seconds waited."""
    started = time.time()
    before = cpu_seconds(pid)
    while time.time() - started < timeout:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - before < IDLE_CPU:
            break
        before = now
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="page titles or paths to measure (default: every page)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="moves each way per control (and loads per page, unless --load-repeats)")
    parser.add_argument("--load-repeats", type=int, help="loads per page, and of its floor page, each round "
                                                          "(default: --repeats): loads are cheap and noisy")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--rounds", type=int, default=1, help="measure each page this many times per version, the "
                                                                   "versions taking turns to go first (with --compare)")
    parser.add_argument("--scrub-only", action="store_true", help="time only the figures' own sliders")
    parser.add_argument("--compare", type=Path, help="another checkout of the app (say the version before a change), "
                                                     "measured in the same run, page by page, beside this one")
    args = parser.parse_args()
    args.load_repeats = args.load_repeats or args.repeats
    pages = [p for p in browser.PAGES if not args.only or p[2] in args.only or p[0].strip("/") in args.only]
    from playwright.sync_api import sync_playwright

    versions = {"this": browser.ROOT} | ({"compared": args.compare.resolve()} if args.compare else {})
    results: dict = {label: {} for label in versions}
    with sync_playwright() as pw:
        chromium = browser.launch(pw)
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(TIMER)
        page = context.new_page()
        errors = browser.watch_errors(page)
        received = Received(page)
        floor_result: dict = {"moves": [], "loads": {}}
        for k in range(args.rounds):
            # Each round starts the versions' servers afresh (then the floor's), the first started taking turns: a
            # server started first was measured slower than one started after it, on the same commit (README).
            # Within a round, the one started first goes first on every page, so the versions take turns going first.
            order = list(versions.items()) if k % 2 == 0 else list(versions.items())[::-1]
            with contextlib.ExitStack() as servers:
                apps = {label: servers.enter_context(browser.server(cwd=root)) for label, root in order}
                floor = servers.enter_context(browser.server(script="tools/floor_app.py"))
                for app in apps.values():
                    warmed(page, app, wait=300 if args.compare is None else 120)
                for path, _, title in pages:
                    for label, app in apps.items():
                        measured = measure_page(page, app.url + path, args, received)
                        merge(results[label], title, measured)
                        floor_times(page, floor.url, drawing(measured), args.load_repeats, floor_result)
                    print(f"{title}: measured (round {k + 1} of {args.rounds})", file=sys.stderr)
                if k == args.rounds - 1:
                    load(page, floor.url)
                    floor_result["end_moves"] = [nudge(page, 0, key)[0] for _ in range(FLOOR_END_MOVES)
                                                 for key in ("ArrowRight", "ArrowLeft")]
                page.goto("about:blank")  # off this round's servers before they stop (else the page reports it)
        chromium.close()
    report({"pages": results["this"], "floor": floor_result}, results.get("compared"))
    if errors:
        print("\nerrors in the browser: " + "; ".join(errors[:5]))
    if args.json:
        floor_loads = {f"{c} plotly charts, {k} canvas charts, {i} images": v
                       for (c, k, i), v in floor_result["loads"].items()}
        args.json.write_text(json.dumps({"pages": results["this"], "compared": results.get("compared"),
                                         "floor": floor_result | {"loads": floor_loads}}, indent=1))


def drawing(r: dict) -> tuple[int, int, int]:
    """A page's drawing to do: its plotly charts, canvas charts and images (a version before canvas charts: 0)."""
    return r["charts"], r.get("canvas", 0), r["images"]


def report(results: dict, compared: dict | None = None) -> None:
    """Medians per page and control, with the bars' ratios; with `compared`, its median first ("was")."""
    med = statistics.median
    floor = med(results["floor"]["moves"])
    print(f"Floor: a bare slider in a fragment redrawing one chart of 1,000 points: median {floor:.2f} s a move "
          f"(range {min(results['floor']['moves']):.2f} to {max(results['floor']['moves']):.2f}, "
          f"{len(results['floor']['moves'])} moves, {FLOOR_MOVES} each way after every page)")
    end = results["floor"].get("end_moves")
    end_floor = med(end) if end else None
    if end:
        print(f"The same slider {FLOOR_END_MOVES} times each way at the end of the run (the floor as measured before "
              f"it took turns with the pages): median {end_floor:.2f} s")
    print()
    every = []
    for title, r in results["pages"].items():
        floor_load = med(results["floor"]["loads"][drawing(r)])
        page_load = med(r["loads"])
        was = compared.get(title) if compared else None
        before = f" (was {med(was['loads']):.2f} s, {was['megabytes']:.1f} MB)" if was else ""
        print(f"{title}: load {page_load:.2f} s, {r['megabytes']:.1f} MB{before}; floor with {r['charts']} plotly "
              f"charts, {r.get('canvas', 0)} canvas charts and {r['images']} images {floor_load:.2f} s; ratio "
              f"{page_load / floor_load:.2f}")
        labels = list(r["controls"]) + [k for k in (was or {}).get("controls", {}) if k not in r["controls"]]
        for label in labels:
            times = r["controls"].get(label)
            old = (was or {}).get("controls", {}).get(label)
            prior = f"  was {med(old):5.2f} s" if old else ("  (gone)" if was and times is None else "")
            if not times:
                print(f"    {label:66.66s} {'did not move' if times == [] else 'not on this version'}{prior}")
                continue
            if not label.startswith("figure slider"):
                every.append(med(times))
            print(f"    {label:66.66s} median {med(times):5.2f} s  max {max(times):5.2f} s  "
                  f"ratio {med(times) / floor:4.2f}{prior}")
    if every:
        print(f"\nEvery control that asks the server: median {med(every):.2f} s (floor {floor:.2f} s); worst "
              f"{max(every):.2f} s = {max(every) / floor:.2f} x the floor; {sum(t > 1.5 * floor for t in every)} of "
              f"{len(every)} over 1.5 x the floor")
        if end_floor:
            print(f"Against the floor measured at the end of the run ({end_floor:.2f} s): "
                  f"{sum(t > 1.5 * end_floor for t in every)} of {len(every)} over 1.5 x, median control "
                  f"{med(every) / end_floor:.2f} x")


if __name__ == "__main__":
    main()
