"""Every page under streamlit.testing.v1.AppTest, routed through app_router.py (the script app.py serves) as a reader
gets it.

Each test moves every slider to both ends and every select through its options, and checks that
no exception was raised and that the expected charts and metrics are on the page. Charts are
found by their plotly spec, so a test can read titles and axis labels.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app_router.py")
HOME, PROCESS, MODES = "app_pages/home.py", "app_pages/diffusion_process.py", "app_pages/means_and_modes.py"
COPIES = "app_pages/regurgitation.py"
SCORES, SPECTRA = "app_pages/score_fields.py", "app_pages/spectral_bands.py"
OPTIMIZATION = "app_pages/sampling_optimization.py"
FLOW = "app_pages/flow_matching.py"
GUIDANCE = "app_pages/guidance.py"
LOSS = "app_pages/where_the_loss_comes_from.py"
PLAYGROUND = "app_pages/playground.py"
TIMEOUT = 60  # seconds per run; a cold page needs about 2 s, a rerun well under 1 s


def opened(page: str) -> AppTest:
    """The app opened at `page` in one run, as a reader gets it by following a link to that page."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(page).run()
    return at


def chart_nodes(at: AppTest) -> list:
    """The page's charts in page order: plotly charts and canvas charts (app_components.chart)."""
    def walk(node):
        if getattr(node, "type", None) == "plotly_chart" or (
                getattr(node, "type", None) == "bidi_component" and node.proto.component_name == "gd_chart"):
            yield node
        children = getattr(node, "children", {})
        for key in sorted(children):
            yield from walk(children[key])
    return list(walk(at._tree))


def figures(at: AppTest) -> list[dict]:
    """The figures on the page, in page order, as figure dicts (a canvas chart carries its figure's JSON)."""
    return [json.loads(node.proto.spec) if node.type == "plotly_chart" else json.loads(node.proto.bytes)
            for node in chart_nodes(at)]


def _prose_source(body: str) -> tuple[str, str]:
    """A text app_components.prose sent with st.html (a text with formulas), read back: its kind ("markdown",
    "caption" or "latex") and its markdown near enough for these tests (maths in dollars, bold and emphasis in
    stars, list items as dashes, other tags dropped, entities unescaped). tests/test_prose.py checks the HTML."""
    kind = "latex" if "gd-display" in body else "caption" if "gd-caption" in body else "markdown"
    body = body[:body.rindex("</div>")]  # the typesetter's script after it
    body = re.sub(r'<span class="math inline">(.*?)</span>', r"$\1$", body, flags=re.DOTALL)
    if kind == "markdown":
        body = re.sub(r'<div class="math block">(.*?)</div>', r"$$\1$$", body, flags=re.DOTALL)
    body = re.sub(r"</?strong>", "**", body)
    body = re.sub(r"</?em>", "*", body)
    body = re.sub(r"<li>", "- ", body)
    body = re.sub(r"</p>\s*<p>", "\n\n", body)
    return kind, html.unescape(re.sub(r"<[^>]+>", "", body)).strip()


def texts(node, kind: str = "markdown") -> list[str]:
    """The page's (or a block's) texts of one kind in page order: Streamlit's markdown, captions or displayed
    formulas (`kind`: "markdown", "caption", "latex"), with those app_components.prose sent as HTML read back."""
    def walk(n):
        what = getattr(n, "type", None)
        if what == kind:
            yield n.value
        elif what == "html" and 'class="gd-prose' in n.value:
            found, source = _prose_source(n.value)
            if found == kind:
                yield source
        children = getattr(n, "children", {})
        for key in sorted(children):
            yield from walk(children[key])
    return list(walk(getattr(node, "_tree", node)))


def values(array) -> list:
    """A plotly data array from a figure dict as a list: plain, or a typed array {"dtype", "bdata"[, "shape"]}."""
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        return flat.reshape(array["shape"]).tolist() if "shape" in array else flat.tolist()
    return list(array)


def charts(at: AppTest) -> list[str]:
    """The titles of the plotly figures on the page, in page order."""
    return [fig["layout"]["title"]["text"] for fig in figures(at)]


def captions(at: AppTest) -> list[str]:
    """The captions of the images (st.image) on the page, in page order."""
    return [c for img in at.get("image") for c in img.captions]


def metric_labels(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


def shown(markdown: str) -> str:
    """What a reader reads of markdown in which the page escaped a reader's text (app_common.md)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def assert_clean(at: AppTest) -> None:
    """No exception, no error and no warning (shipped weights load, no bad combination shown)."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]


def assert_figures_labelled(at: AppTest) -> None:
    """Every chart has a title and labelled axes (every axis drawn: a gallery of thumbnails hides its axes)."""
    for fig in figures(at):
        layout = fig["layout"]
        title = layout["title"]["text"]
        assert title, "a chart without a title"
        for axis in [k for k in layout if k.startswith(("xaxis", "yaxis")) and layout[k].get("visible", True)]:
            assert layout[axis].get("title", {}).get("text"), f"{title}: {axis} has no label"


@pytest.fixture(scope="module")
def home() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    return at


@pytest.fixture(scope="module")
def process() -> AppTest:
    at = opened(PROCESS)
    return at


# ---------------------------------------------------------------- home

def test_every_link_in_a_page_s_text_opens_a_page():
    """A link written in a page's text, such as [Guidance](/guidance), names a page of the app's menu (Streamlit
    gives each page its file's name as its address): a renamed page would otherwise leave a dead link."""
    import app_start

    registered = {name for name, _ in app_start.MENU}
    assert registered == {path.stem for path in (ROOT / "app_pages").glob("*.py")}
    linked = {name: set(re.findall(r"\]\(/(\w*)(?:[?#][^)]*)?\)", path.read_text()))
              for path in (ROOT / "app_pages").glob("*.py") for name in [path.stem]}
    assert set().union(*linked.values()) >= {"guidance", "regurgitation", "means_and_modes"}
    for name, targets in linked.items():
        assert targets <= registered | {""}, (name, targets - registered)  # "/" is the default page


def test_home_renders(home):
    assert_clean(home)
    assert home.title[0].value == "Grokking Diffusion"
    assert len(charts(home)) == 1
    assert metric_labels(home) == ["Energy distance to the dino", "Mean distance to nearest dino point"]
    assert_figures_labelled(home)
    text = " ".join(texts(home, "markdown"))
    assert "compute for quality" in text
    links = [link.label for link in home.get("page_link")]
    assert links == ["The diffusion process", "Means and modes", "Regurgitation", "Score fields",
                     "Where the loss comes from", "Spectral bands", "Sampling as optimization", "Flow matching",
                     "Guidance", "Playground"], links
    assert any("sqrt" in latex for latex in texts(home, "latex"))
    assert any("L_\\text{simple}" in latex for latex in texts(home, "latex"))  # the loss, in one line


def test_home_step_choices_and_the_run_scrubbed_in_the_browser(home):
    """Each step count draws one figure holding every step of its run as a plotly frame, with the figure's own
    slider over them (scrubbing needs no rerun): it opens on the samples, step 0 is pure noise."""
    assert len(home.button_group[0].options) == 3
    assert not home.slider and not home.select_slider  # no Streamlit slider: the scrub is inside the figure
    for steps in (5, 20, 100):
        home.button_group[0].set_value(steps).run()
        assert_clean(home)
        (fig,) = figures(home)
        assert fig["layout"]["title"]["text"].startswith(f"After all {steps} steps")
        (slider,) = fig["layout"]["sliders"]
        assert slider["active"] == steps and len(slider["steps"]) == steps + 1
        frames = fig["frames"]
        assert [f["name"] for f in frames] == [str(k) for k in range(steps + 1)]
        assert frames[0]["layout"]["title"]["text"].startswith(f"Step 0 of {steps}")
        first, last = frames[0]["data"], frames[-1]["data"]
        assert len(values(first[0]["x"])) == len(values(first[1]["x"])) == 500  # states and guesses
        assert len(values(last[1]["x"])) == 0 and last[0]["name"] == "x₀, the final samples"
        assert max(abs(v) for v in values(first[0]["x"])) > 2.5  # pure noise, wider than the dino
        assert len(metric_labels(home)) == 2


# ---------------------------------------------------------------- the diffusion process

def test_process_renders(process):
    assert_clean(process)
    assert process.title[0].value == "The diffusion process"
    titles = charts(process)
    assert len(titles) == 8  # the forward run, trajectories, five ladder rungs and the gentle ablation
    assert titles[0].startswith("x_t at t = 100 of 1000, with the ideal drift: signal kept ᾱ_t = ")
    assert sum(t.startswith("Shipped:") for t in titles) == 6
    labels = metric_labels(process)
    assert labels.count("Energy distance") == 6 and labels.count("s2d") == 6
    assert [b.label for b in process.button] == ["Retrain live"] * 6
    text = " ".join(texts(process, "markdown"))
    assert "What the numbers say" in text and "What the gentle schedule costs" in text
    assert "about 0" in [m.value for m in process.metric], "some rung's ED is inside its noise"
    assert_figures_labelled(process)
    cited = " ".join(texts(process, "markdown")) + " ".join(texts(process, "caption"))
    for ref in ("Ho et al. 2020", "Song", "Nichol", "Tancik et al. 2020"):
        assert ref in cited


def test_process_forward_every_dataset_and_schedule_at_every_step(process):
    """The forward figure holds every t / T as a frame: t = 1 first, T last, each with its ᾱ_t from the schedule."""
    from diffusion_core import datasets, schedules

    assert len(process.selectbox(key="fwd_dataset").options) == len(datasets.NAMES)
    for dataset in datasets.NAMES:
        process.selectbox(key="fwd_dataset").set_value(dataset).run()
        assert_clean(process)
        assert figures(process)[0]["layout"]["title"]["text"].startswith("x_t at t = 100 of 1000, with the ideal drift")
    process.selectbox(key="fwd_dataset").set_value("dino")
    assert len(process.selectbox(key="fwd_schedule").options) == len(schedules.NAMES)
    for schedule in schedules.NAMES:
        process.selectbox(key="fwd_schedule").set_value(schedule).run()
        assert_clean(process)
        run = figures(process)[0]
        T, ab = schedules.SHIPPED_T[schedule], schedules.shipped(schedule).alpha_bar
        assert len(run["frames"]) == 51 and run["layout"]["sliders"][0]["steps"][-1]["label"] == "1.00"
        first, last = (run["frames"][k]["layout"]["title"]["text"] for k in (0, -1))
        assert first.startswith(f"x_t at t = 1 of {T},") and f"ᾱ_t = {float(ab[0]):.3f}," in first
        assert last.startswith(f"x_t at t = {T} of {T},") and f"ᾱ_t = {float(ab[-1]):.3f}," in last
    assert process.info, "the gentle schedule explains why the data is still visible at t = T"


def test_process_reverse_every_sampler_steps_and_slider_end(process):
    for sampler in ("ddpm", "ddim"):
        process.radio(key="rev_sampler").set_value(sampler)
        for steps in (20, 100, 1000):
            process.select_slider(key="rev_steps").set_value(steps).run()
            assert_clean(process)
            assert any(f"{steps} steps" in t for t in charts(process))
    for key in ("rev_particles", "rev_seed"):
        slider = process.slider(key=key)
        for value in (slider.min, slider.max):
            process.slider(key=key).set_value(value).run()
            assert_clean(process)
    assert any(t.startswith("12 particles") for t in charts(process))


def test_process_more_particles_add_paths_and_keep_the_others(process):
    """The particles slider shows the first n of the seed's 12 runs: going from 3 to 7 keeps the three paths drawn
    and adds four; another seed draws other paths."""
    def paths(at):
        fig = next(f for f in figures(at) if f["layout"]["title"]["text"].endswith(" steps")
                   and "particle" in f["layout"]["title"]["text"])
        return [(values(t["x"]), values(t["y"])) for t in fig["data"] if t["name"] == "path of a particle"]

    process.slider(key="rev_particles").set_value(3).run()
    three = paths(process)
    process.slider(key="rev_particles").set_value(7).run()
    seven = paths(process)
    assert len(three) == 3 and len(seven) == 7
    assert seven[:3] == three and all(p not in three for p in seven[3:])
    process.slider(key="rev_seed").set_value(1).run()
    assert paths(process)[0] != seven[0]
    process.slider(key="rev_seed").set_value(0).run()


def test_process_retrain_one_rung_quickly(monkeypatch):
    """Click one rung's retrain button with a 0.5 s budget; the live result survives a rerun."""
    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 0.5)
    at = opened(PROCESS)
    at.button(key="retrain_ladder_none").click().run()
    assert_clean(at)
    live = [t for t in charts(at) if t.startswith("Live:")]
    assert len(live) == 1
    assert "retrained_ladder_none" in at.session_state
    assert any(m.delta and "vs shipped" in m.delta for m in at.metric)
    at.selectbox(key="fwd_schedule").set_value("cosine").run()  # an unrelated rerun keeps the live model
    assert_clean(at)
    assert len([t for t in charts(at) if t.startswith("Live:")]) == 1
    at.button(key="reset_ladder_none").click().run()
    assert_clean(at)
    assert sum(t.startswith("Shipped:") for t in charts(at)) == 6


# ---------------------------------------------------------------- means and modes

@pytest.fixture(scope="module")
def modes_page() -> AppTest:
    at = opened(MODES)
    return at


def test_modes_renders(modes_page):
    at = modes_page
    assert_clean(at)
    assert at.title[0].value == "Means and modes"
    titles = charts(at)
    assert [titles[k] for k in (0, 2, 3)] == ["Shipped: after 3,000 steps"] * 3  # MSE, the GAN's run, diffusion
    assert titles[1] == "Modes hit: 0 of 8" and titles[4] == "Modes hit: 8 of 8"
    gan = figures(at)[2]
    assert len(gan["frames"]) == 12 and gan["frames"][0]["layout"]["title"]["text"] == "Shipped: after 250 steps"
    notes = [f["layout"]["annotations"][0]["text"] for f in gan["frames"]]
    assert all(n.startswith("Energy distance to the data: ") and "<br>Modes hit: " in n for n in notes)
    hit = [int(n.split("Modes hit: ")[1].split(" of ")[0]) for n in notes]
    assert hit[0] == 8 and hit[-1] < 8, f"the shipped ring GAN covers every mode early and loses some later: {hit}"
    assert titles[5] == "Ring of 8 Gaussians over training"
    assert titles[6].startswith("Where could x_t") and titles[7] == "How far the network's guess is from the exact mean"
    assert titles[8:10] == ["Guided by the exact posterior mean", "Guided by the trained network"]
    assert titles[10] == "Where 3,000 runs land"
    assert_figures_labelled(at)
    labels = metric_labels(at)
    assert labels.count("Energy distance to the data") == 2
    text = " ".join(texts(at, "markdown"))
    assert "more training made it worse" in text, "the shipped ring GAN's ED rises over training (measured)"
    assert "99% of them up to" in text and "Many runs" in text
    latex = " ".join(texts(at, "latex"))
    assert "mathbb{E}[x \\mid z]" in latex
    refs = texts(at, "caption")[-1]
    for cited in ("Goodfellow", "Metz"):
        assert cited in refs


def test_modes_every_data_set_with_every_gan_snapshot(modes_page):
    """Every compared set draws; the GAN's figure holds every snapshot, each with its own measured numbers."""
    from diffusion_core import pretrained
    from diffusion_core.topics.modes import views

    at = modes_page
    assert len(at.segmented_control(key="modes_dataset").options) == len(pretrained.COMPARED)
    for dataset in pretrained.COMPARED:
        at.segmented_control(key="modes_dataset").set_value(dataset).run()
        assert_clean(at)
        n_bars = sum(t.startswith("Modes hit") for t in charts(at))
        assert n_bars == (0 if dataset == "dino" else 2), (dataset, charts(at))
        gan = next(f for f in figures(at) if f.get("frames"))
        steps = views.generator_steps(f"gan_{dataset}")
        assert [f["layout"]["title"]["text"] for f in gan["frames"]] == [f"Shipped: after {s:,} steps" for s in steps]
        assert ("xaxis2" in gan["layout"]) == (dataset != "dino"), "bars of the share near each mode on a mixture"
    assert charts(at)[1] == "Shipped: after 6,000 steps"  # the dino GAN at the end of its 6,000 steps
    assert next(f for f in figures(at) if f.get("frames"))["frames"][0]["layout"]["title"]["text"] == \
        "Shipped: after 500 steps"  # its first of 12 snapshots


def test_modes_posterior_and_paths_sliders_at_both_ends(modes_page):
    at = modes_page
    for key in ("modes_xt", "modes_t", "modes_runs", "modes_paths_seed"):
        slider = at.slider(key=key)
        for value in (slider.min, slider.max):
            at.slider(key=key).set_value(value).run()
            assert_clean(at)
    assert any(t == "Where could x_t = 2.50 at t = 1000 have come from?" for t in charts(at))
    paths = [f for f in figures(at) if f["layout"]["title"]["text"].startswith("Guided by")]
    assert all(sum(tr.get("line", {}).get("dash") == "dash" for tr in f["data"]) == 8 for f in paths)


@pytest.fixture(scope="module")
def copies_page() -> AppTest:
    at = opened(COPIES)
    return at


def test_copies_renders(copies_page):
    at = copies_page
    assert_clean(at)
    assert at.title[0].value == "Regurgitation"
    titles = charts(at)
    assert titles[0].startswith("Trained network") and titles[1] == "Ideal denoiser of the N points"
    assert titles[2] == "Distance from each point to its nearest training point"
    assert titles[3].startswith("Trained network (shipped), 50 copies")
    assert titles[4] == "How often samples land on the repeated point"
    assert_figures_labelled(at)
    copies = {m.label: m.value for m in at.metric}
    assert float(copies["Copies, ideal denoiser"].rstrip("%")) >= 99.0  # N = 10 by default
    assert "softmax" in " ".join(texts(at, "latex"))
    refs = texts(at, "caption")[-1]
    for cited in ("Somepalli", "Carlini", "Yoon"):
        assert cited in refs


def test_copies_dials_at_both_ends(copies_page):
    at = copies_page
    dial = at.select_slider(key="copies_memo_n")
    for value in (dial.options[0], dial.options[-1]):
        at.select_slider(key="copies_memo_n").set_value(int(value.replace(",", ""))).run()
        assert_clean(at)
    copies = {m.label: float(m.value.rstrip("%")) for m in at.metric if m.label.startswith("Copies")}
    assert copies["Copies, trained network"] < 5.0, copies  # N = 2,000: the network generalises
    shares = []
    for k in (1, 100):
        at.select_slider(key="copies_dup_k").set_value(k).run()
        assert_clean(at)
        shares.append(float(next(m.value for m in at.metric if m.label == "On the point, trained network").rstrip("%")))
    assert shares[0] < 1.0 and shares[1] > 10.0, shares


def test_copies_train_live_and_go_back(monkeypatch):
    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 0.5)
    at = opened(COPIES)
    for train, reset in (("copies_memo_train", "copies_memo_reset"), ("copies_dup_train", "copies_dup_reset")):
        at.button(key=train).click().run()
        assert_clean(at)
        assert any(t.startswith("Trained network (live,") for t in charts(at))
        at.button(key=reset).click().run()
        assert_clean(at)
    assert not any(t.startswith("Trained network (live") for t in charts(at))


def test_modes_train_each_generator_live_and_go_back(monkeypatch):
    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 0.5)
    at = opened(MODES)
    for kind in ("mse", "gan", "diffusion"):
        at.button(key=f"modes_train_{kind}").click().run()
        assert_clean(at)
        assert f"modes_live_{kind}_ring8" in at.session_state
    assert sum(t.startswith("Live") for t in charts(at)) == 3
    gan = figures(at)[2]  # MSE samples, its bars, the GAN's run, ...
    titles = [f["layout"]["title"]["text"] for f in gan["frames"]]  # the live GAN's own snapshots
    assert all(t.startswith("Live (") for t in titles) and gan["layout"]["title"]["text"] == titles[-1]

    def step(title: str) -> int:
        return int(title.split("after ")[1].split(" steps")[0].replace(",", ""))

    assert 0 < step(titles[0]) < step(titles[-1]), titles
    for key in ("modes_reset_mse", "modes_reset_gan", "modes_reset_diffusion"):
        at.button(key=key).click().run()
        assert_clean(at)
    assert not any(t.startswith("Live") for t in charts(at))


# ---------------------------------------------------------------- score fields

@pytest.fixture(scope="module")
def scores_page() -> AppTest:
    at = opened(SCORES)
    return at


def test_scores_renders(scores_page):
    at = scores_page
    assert_clean(at)
    assert at.title[0].value == "Score fields"
    titles = charts(at)
    assert titles[:3] == ["Exact score, σ = 0.3", "The network's score, σ = 0.3", "Where the network is wrong"]
    assert titles[3].startswith("Step 500 of 500: 250 of each sampler's 1,000 particles")
    assert [tr["name"] for tr in figures(at)[3]["data"][4:8]] == [f"{m} particles" for m in
                                                                   ("Gradient ascent", "Adam", "Langevin", "Annealed Langevin")]
    assert titles[4] == "Where the particles end: share in each mode"
    assert titles[5:8] == ["Gradient ascent, dino network", "Adam, dino network", "DDPM, dino network"]
    assert titles[8].startswith("A noisy point") and titles[9].startswith("Reverse SDE") \
        and titles[10].startswith("Probability-flow ODE")
    assert_figures_labelled(at)
    places = [int(m.value.replace(",", "")) for m in at.metric if m.label.startswith("Distinct places")]
    assert max(places[:2]) < 0.5 * places[2], "ascent and Adam collapse onto far fewer places than DDPM"
    values = {m.label: float(m.value) for m in at.metric if m.label.startswith(("Relative error", "Annealed", "Langevin"))}
    assert values["Relative error, weighted by the density"] < 0.2  # the bar, shown on the page
    assert values["Annealed Langevin: largest error in a mode's weight"] < 0.05
    assert values["Langevin: largest error in a mode's weight"] > 0.15
    refs = texts(at, "caption")[-1]
    for cited in ("Vincent", "Song, S. Ermon", "Roberts"):
        assert cited in refs


def test_scores_every_slider_at_both_ends(scores_page):
    at = scores_page
    for key in ("score_sigma", "score_step_size", "dsm_sigma", "ode_steps", "score_dino_sigma"):
        dial = at.select_slider(key=key)
        for label in (dial.options[0], dial.options[-1]):
            at.select_slider(key=key).set_value(type(dial.value)(label)).run()
            assert not at.exception, [e.value for e in at.exception]
    at.select_slider(key="score_step_size").set_value(0.005).run()
    for key in ("score_steps", "score_noise", "dsm_seed", "ode_runs"):
        slider = at.slider(key=key)
        for value in (slider.min, slider.max):
            at.slider(key=key).set_value(value).run()
            assert_clean(at)
            if key == "score_steps" and value == slider.min:  # 10 steps: particles still on their way
                assert any("Not every particle has reached a mode" in i.value for i in at.info)
    at.slider(key="score_steps").set_value(500).run()
    run = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Step 500 of 500"))
    assert len(run["frames"]) == 51 and run["layout"]["sliders"][0]["steps"][-1]["label"] == "500"
    assert [f["layout"]["title"]["text"].split(":")[0] for f in run["frames"][:2]] == ["Step 0 of 500", "Step 10 of 500"]
    assert len(run["frames"][0]["data"]) == 4, "every sampler's particles move with the slider"


def test_scores_a_step_size_that_blows_up_warns_and_keeps_the_plots():
    at = opened(SCORES)
    at.select_slider(key="score_step_size").set_value(0.5).run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "too large" in at.warning[0].value and "Gradient ascent" in at.warning[0].value
    assert len(charts(at)) == 11
    legend = [tr.get("name", "") for tr in figures(at)[3]["data"]]
    assert any(name.startswith("Gradient ascent particles (") and "diverged, not shown" in name for name in legend), legend
    shown = {m.label: m.value for m in at.metric}
    assert shown["Annealed Langevin: largest error in a mode's weight"] == "no particle in a mode"
    at.select_slider(key="score_step_size").set_value(0.2).run()  # ascent bounces about without running away
    assert not at.exception and len(at.warning) == 1
    assert "Gradient ascent: only" in at.warning[0].value and "ended in a mode" in at.warning[0].value
    at.select_slider(key="score_step_size").set_value(0.005).run()
    assert_clean(at)


# ---------------------------------------------------------------- spectral bands

@pytest.fixture(scope="module")
def spectra_page() -> AppTest:
    at = opened(SPECTRA)
    return at


def _png(size: tuple[int, int], seed: int = 0) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(seed).random(size[::-1]) * 255).astype("uint8")).save(buf, "PNG")
    return buf.getvalue()


def test_spectra_renders_with_every_photographs_slope(spectra_page):
    at = spectra_page
    assert_clean(at)
    assert at.title[0].value == "Spectral bands"
    assert_figures_labelled(at)
    import plotly.graph_objects as go

    from diffusion_core.topics.spectra import core as spectra

    by_title = {f["layout"]["title"]["text"]: go.Figure(f) for f in figures(at)}
    slopes = by_title["Fitted slope of every shipped photograph"].data[0]
    assert values(slopes.x) == [title for title, _ in spectra.IMAGES.values()]
    assert all(-3.2 < y < 0 for y in values(slopes.y))
    y = values(next(fig for t, fig in by_title.items() if t.startswith("When each band settles")).data[0].y)
    assert len(y) > 3
    assert all(a >= b for a, b in itertools.pairwise(y)), "the exact run settles coarse bands first"
    assert {m.label for m in at.metric} == {"Fitted slope", "Signal kept ᾱ_t", "SNR = 1 at frequency"}
    shown = captions(at)  # images as images: PNGs, not heat maps of a chart each
    assert shown[:3] == ["Cameraman, x₀", "x_t at t = 300 of 1000", "Wiener estimate x̂₀ from x_t"], shown
    strips = [c for c in shown if c.startswith("x̂₀ at t = ")]
    assert len(strips) == 12 and strips[0] == "x̂₀ at t = 1000", strips  # six along the exact run, six the learned
    assert all(img.proto.imgs[0].url.endswith(".png") for img in at.get("image"))
    assert len(figures(at)) == 9


def test_spectra_every_image_schedule_and_slider_end(spectra_page):
    at = spectra_page
    from diffusion_core.topics.spectra import core as spectra

    for name in spectra.IMAGES:
        at.pills(key="spec_source").set_value(name).run()
        assert_clean(at)
    for schedule in ("linear", "cosine", "gentle"):
        at.selectbox(key="spec_schedule").set_value(schedule).run()
        for value in (0.0, 1.0):
            at.slider(key="spec_frac").set_value(value).run()
            assert_clean(at)
    for value in (0, 9):
        at.slider(key="spec_seed").set_value(value).run()
        assert_clean(at)


@pytest.mark.parametrize("name, data, needle", [
    ("notes.txt", b"this is not an image", "is not a PNG, JPEG"),
    ("cut.png", None, "damaged"),
    ("huge.png", b"\x89PNG" + b"0" * (9 * 2**20), "8 MB"),
    ("tiny.png", None, "at least 128 pixels"),
    ("giant.png", None, "more than the limit"),
    ("flat.png", None, "flat colour"),
])
def test_spectra_bad_uploads_give_one_message_and_the_page_keeps_working(name, data, needle):
    if name == "cut.png":
        data = _png((256, 256))[:2000]
    if name == "tiny.png":
        data = _png((100, 400))  # a strip: its short side would be upsampled
    if name == "giant.png":
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("L", (5000, 4000), 0).save(buf, "PNG")  # 20 million pixels in a small file
        data = buf.getvalue()
    if name == "flat.png":
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("L", (200, 200), 128).save(buf, "PNG")
        data = buf.getvalue()
    at = opened(SPECTRA)
    n_charts = len(charts(at))
    at.pills(key="spec_source").set_value("upload").run()
    assert not at.exception and not at.warning
    at.get("file_uploader")[0].set_value((name, data, "image/png")).run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and needle in shown(at.warning[0].value), [w.value for w in at.warning]
    assert len(charts(at)) == n_charts, "the rest of the page still draws"


def test_spectra_train_the_image_denoiser_live_and_go_back(monkeypatch):
    import app_cache

    monkeypatch.setattr(app_cache, "CONV_SECONDS", 0.5)
    at = opened(SPECTRA)
    assert any(t == "The network's x̂₀ spectra (shipped, 6,000 steps)" for t in charts(at))
    at.button(key="spec_conv_train").click().run()
    assert_clean(at)
    assert "spec_conv_live" in at.session_state
    assert any(t.startswith("The network's x̂₀ spectra (live,") for t in charts(at))
    at.button(key="spec_conv_reset").click().run()
    assert_clean(at)
    assert any(t.startswith("The network's x̂₀ spectra (shipped") for t in charts(at))


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16"])
def test_spectra_a_good_upload_is_analysed(mode):
    import io

    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(5).random((200, 300))
    img = {"L": lambda: Image.fromarray((noise * 255).astype("uint8")),
           "RGBA": lambda: Image.fromarray((np.stack([noise] * 4, -1) * 255).astype("uint8"), "RGBA"),
           "I;16": lambda: Image.fromarray((noise * 65535).astype("uint16"))}[mode]()
    buf = io.BytesIO()
    img.save(buf, "PNG")
    at = opened(SPECTRA)
    at.pills(key="spec_source").set_value("upload").run()
    at.get("file_uploader")[0].set_value(("noise.png", buf.getvalue(), "image/png")).run()
    assert not at.exception and not at.error and not at.warning
    assert "Your image, x₀" in captions(at)
    slope = float(next(m.value for m in at.metric if m.label == "Fitted slope"))
    assert -0.4 < slope < 0.4, "white noise has a flat spectrum"
    assert any("does not fall with frequency" in i.value for i in at.info)


# ---------------------------------------------------------------- sampling as optimization

def test_optimization_renders_every_data_set_and_sampler():
    at = opened(OPTIMIZATION)
    assert_clean(at)
    assert at.title[0].value == "Sampling as optimization"
    assert_figures_labelled(at)
    curves = figures(at)[0]
    names = [tr["name"] for tr in curves["data"]]
    assert names[0].startswith("noise floor: fresh data scores up to ")
    assert names[1:] == ["DDPM (SDE)", "DDIM", "Euler (ODE)", "Heun (ODE)"]
    assert all(tr["error_y"]["visible"] for tr in curves["data"][1:]), "every curve has its error bars"
    assert curves["layout"]["shapes"][0]["type"] == "rect", "the noise floor is shaded"
    for dataset in ("ring8", "dino"):
        at.segmented_control(key="opt_dataset").set_value(dataset).run()
        assert_clean(at)
        names = [tr["name"] for tr in figures(at)[0]["data"]]
        assert len(names) == (9 if dataset == "ring8" else 5), names
        text = " ".join(texts(at, "markdown"))
        assert "What the curves show" in text and ("exact denoiser" in text) == (dataset == "ring8")
        for sampler in ("ddpm", "ddim", "euler", "heun"):
            at.radio(key="opt_sampler").set_value(sampler).run()
            assert_clean(at)
            assert sum(t.endswith("evaluations)") for t in charts(at)) == 4


def test_flow_renders_its_five_sections_from_the_shipped_models():
    """Every chart is labelled; the t figure is scrubbed in the browser (20 frames, opening at t = 0.5); the text's
    numbers are the plotted ones: DDIM and Euler agree to float32 rounding, reflow's paths are straighter."""
    at = opened(FLOW)
    assert_clean(at)
    assert at.title[0].value == "Flow matching: the same model on a straight path"
    assert_figures_labelled(at)
    figs = figures(at)
    # section 1's chart, then sections 2 to 5 for each data set, all sent with the page (app_common.switched)
    from app_cache.flow import SET_LABELS
    from diffusion_core.topics.flow import views

    assert len(figs) == 1 + 6 * len(views.DATASETS)
    for k, dataset in enumerate(views.DATASETS):  # each set's six, in its own container (tested in the browser)
        heads = ("Paths from noise", "Where 8 steps", f"The ideal denoiser of {views.IDEAL[dataset]},",
                 f"Compute against quality, {SET_LABELS[dataset]}:", "The same noise draws", "One and two Euler")
        titles = [f["layout"]["title"]["text"] for f in figs[1 + 6 * k:7 + 6 * k]]
        assert all(t.startswith(h) for t, h in zip(titles, heads, strict=True)), titles
    paths = next(f for f in figs if f["layout"]["title"]["text"].startswith("Paths from noise"))
    assert len(paths["frames"]) == 20 and paths["layout"]["sliders"][0]["active"] == 10
    assert paths["layout"]["title"]["text"].endswith("at t = 0.50")
    quality = next(f for f in figs if f["layout"]["title"]["text"].startswith("Compute against quality"))
    names = [tr["name"] for tr in quality["data"]]
    assert names[0].startswith("noise floor") and names[1:] == ["ε-model, DDIM", "flow model, Euler",
                                                               "flow model, Heun", "reflowed flow model, Euler"]
    heun = quality["data"][3]
    assert values(heun["x"]) == [1, 3, 7, 15, 31, 63], "Heun's budgets: two evaluations a step, one on the last"
    text = " ".join(texts(at, "markdown"))
    gap = float(re.search(r"visit the same states to within ([0-9.e+-]+) ", text).group(1))
    assert gap < 1e-6
    before, after = (float(v) for v in re.search(r"length over chord goes from ([0-9.]+) to ([0-9.]+)", text).groups())
    assert after < 1.1 and before > 1.5
    assert "t = 0 is data and $t = 1$ is noise" in text.replace("$t = 0$", "t = 0")
    assert [m.label for m in at.metric] == ["Path length over its chord", "Straightness S (0: straight)",
                                            "Transport cost E|x₁ − x₀|²"] * len(views.DATASETS)


def test_flow_reflow_live_and_back(monkeypatch):
    """Reflow trained live on the ring (a short run, through the training line): the ring's section shows the live
    model, its steps and seconds, and its measured straightness, and the dino's keeps the shipped one; then back."""
    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 1.0)
    at = opened(FLOW)
    at.button(key="flow_reflow_live_ring8").click().run()
    assert_clean(at)
    live = at.session_state["flow_live_reflow_ring8"]
    assert "flow_live_reflow_dino" not in at.session_state
    assert live["steps"] > 0 and live["ratio"] >= 1 and live["deviation"] >= 0  # a path is never shorter than its chord
    dino, ring = (t for t in charts(at) if t.startswith("The same noise draws"))
    assert "live reflow (" in ring and f"{live['steps']:,} steps" in ring and dino.endswith("shipped reflow (3,000 steps)")
    # the ring's three metrics follow the dino's: its value the live model's, its "before" its own flow model's (the
    # live value itself may equal the dino's shipped one to three places: 1.009 in one run)
    assert at.metric[3].value == f"{live['ratio']:.3f}" and at.metric[3].delta != at.metric[0].delta
    at.button(key="flow_reflow_reset_ring8").click().run()
    assert_clean(at)
    assert sum(t.endswith("shipped reflow (3,000 steps)") for t in charts(at)) == 2


@pytest.mark.parametrize("dataset, steps", [("dino", 1), ("dino", 2), ("dino", 64), ("ring8", 1), ("ring8", 64)])
def test_flow_grid_steps_at_every_end(dataset, steps):
    """Both data sets, the step count of section 3 at its ends (and 2), each set's slider its own: the grids, three
    clouds, the sentence for that count; the ring's paths name its exact mixture."""
    from diffusion_core.topics.flow import views

    at = opened(FLOW)
    if dataset == "ring8":
        paths = [f for f in figures(at) if f["layout"]["title"]["text"].startswith("Paths from noise")][1]
        assert "Ideal velocity field (the mixture of 8 Gaussians)" in [a["text"] for a in paths["layout"]["annotations"]]
    at.select_slider(key=f"flow_grid_steps_{dataset}").set_value(steps).run()
    assert_clean(at)
    figs = figures(at)  # section 1's, then each data set's six: its paths, its grids, ...
    grids = {d: figs[2 + 6 * k] for k, d in enumerate(views.DATASETS)}
    for d, fig in grids.items():  # the other data set's slider is its own, at 8
        assert fig["layout"]["title"]["text"] == f"Where {steps if d == dataset else 8} steps are spent, in flow time"
    grids = grids[dataset]
    assert [len(values(tr["x"])) for tr in grids["data"]] == [steps + 1, steps + 1]
    text = " ".join(texts(at, "markdown"))
    assert ("With one step" in text) == (steps == 1) and "they are one sampler" in text


def test_guidance_renders_the_dial_the_trade_and_the_fields_from_the_shipped_model():
    """Five labelled charts; the dial and the guided field are scrubbed over w in the browser (a frame per scale,
    opening at w = 3); the text's numbers are the plotted ones."""
    from diffusion_core.topics.guidance import views

    at = opened(GUIDANCE)
    assert_clean(at)
    assert at.title[0].value == "Guidance: a dial from means to modes"
    assert_figures_labelled(at)
    figs = figures(at)
    assert len(figs) == 5
    dial, trade, fields = figs[1], figs[2], figs[3]
    assert figs[4]["layout"]["title"]["text"].startswith("Where the samples land")
    for fig in (dial, fields):
        assert len(fig["frames"]) == len(views.SCALES)
        assert fig["layout"]["sliders"][0]["active"] == views.SCALES.index(views.SCALE_SHOWN)
    assert dial["layout"]["title"]["text"] == "Samples of the Star at guidance scale w = 3"
    exact = next(tr for tr in trade["data"] if tr["name"] == views.MODEL_LABELS["exact"])  # the fidelity panel's
    text = " ".join(texts(at, "markdown"))
    start = float(re.search(r"Exact \(the points themselves\)\.\*\* Distance to the shape ([0-9.]+) at", text).group(1))
    assert start == pytest.approx(values(exact["y"])[0], abs=6e-4)
    assert "No other shape shares any of the Star's 142 points" in text


@pytest.mark.parametrize("shape, sigma", [("dino", 0.05), ("wide_lines", 0.8)])
def test_guidance_at_every_end(shape, sigma):
    """The first and last shape, the lowest and highest noise level: every section redraws for them."""
    at = opened(GUIDANCE)
    at.pills(key="guide_shape").set_value(shape).run()
    at.select_slider(key="guide_sigma").set_value(sigma).run()
    assert_clean(at)
    label = {"dino": "Dino", "wide_lines": "Wide lines"}[shape]
    titles = charts(at)
    assert titles[1] == f"Samples of the {label} at guidance scale w = 3"
    assert titles[3] == f"The three steps at σ = {sigma:g}, guided at w = 3"


def test_guidance_retrains_live_and_goes_back(monkeypatch):
    """The conditional network trained live (a short run, through the training line) replaces the trained model's
    samples and curves, says so, and "Back to shipped weights" restores them."""
    import app_cache
    from diffusion_core.topics.guidance import views

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 1.0)
    at = opened(GUIDANCE)
    shipped_curve = values(figures(at)[2]["data"][2]["y"])
    at.button(key="guide_live").click().run()
    assert_clean(at)
    live = at.session_state["guide_live_star"]
    assert live["steps"] > 0 and live["samples"].shape == (len(views.SCALES), views.N, 2)
    assert any("The trained model is the live one" in c for c in texts(at, "caption"))
    assert values(figures(at)[2]["data"][2]["y"]) != shipped_curve
    at.button(key="guide_reset").click().run()
    assert_clean(at)
    assert values(figures(at)[2]["data"][2]["y"]) == shipped_curve


@pytest.mark.parametrize("steps, gamma", [(5, 1.0), (100, 3.0), (10, 2.0)])
def test_optimization_descent_section_at_the_slider_ends(steps, gamma):
    """Section 2: both distance panels, the momentum curve and the clouds redraw; the text's figures are the
    plotted ones."""
    import plotly.graph_objects as go

    at = opened(OPTIMIZATION)
    at.select_slider(key="opt_descent_steps").set_value(steps).run()
    at.select_slider(key="opt_gamma").set_value(gamma).run()
    assert_clean(at)
    assert_figures_labelled(at)
    titles = charts(at)
    assert f"Shipped network: {steps} steps, γ = {gamma:g}" in titles
    assert f"Ideal denoiser (the 142 points): {steps} steps, γ = {gamma:g}" in titles
    curve = go.Figure(figures(at)[titles.index(f"Momentum against quality at {steps} steps")])
    net = values(curve.data[0].y)
    assert len(net) == 9 and curve.layout.shapes[0].x0 == gamma
    claim = next(m for m in texts(at, "markdown") if m.startswith(f"**Measured at {steps} steps.**"))
    assert f"{net[0]:.4f} with plain DDIM" in claim or "about 0 (within noise) with plain DDIM" in claim, claim
    assert f"γ = {gamma:g}" in claim


# ---------------------------------------------------------------- playground

@pytest.fixture
def playground_page():
    at = opened(PLAYGROUND)
    return at


def data_title(at: AppTest) -> str:
    return next(t for t in charts(at) if t.startswith("Training data:"))


def test_playground_starts_with_the_dino_and_the_shipped_model(playground_page):
    at = playground_page
    assert_clean(at)
    assert at.title[0].value == "Playground"
    assert_figures_labelled(at)
    assert data_title(at) == "Training data: Dino (Datasaurus) (142 points)"
    assert "DDIM, 50 steps, from noise to samples" in charts(at)
    assert metric_labels(at) == ["Energy distance", "Distance to nearest point"]
    assert len(at.get("download_button")) == 2
    assert any("shipped dino model" in shown(c) for c in texts(at, "caption"))


def test_playground_a_shared_link_sets_every_setting_and_a_bad_value_is_ignored():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    link = {"width": "128", "depth": "2", "schedule": "gentle", "T": "50", "fourier": "false", "scale": "8.0",
            "budget": "5", "seed": "42", "sampler": "Heun", "steps": "20", "n": "250", "sample_seed": "3",
            "data": "Type a word", "word": "dino"}
    for key, value in link.items():
        at.query_params[key] = value
    at.switch_page(PLAYGROUND).run()
    assert_clean(at)
    assert (at.select_slider(key="width").value, at.select_slider(key="depth").value) == (128, 2)
    assert (at.selectbox(key="schedule").value, at.select_slider(key="T").value) == ("gentle", 50)
    assert (at.toggle(key="fourier").value, at.select_slider(key="scale").value) == (False, 8.0)
    assert (at.select_slider(key="budget").value, at.number_input(key="seed").value) == (5, 42)
    assert (at.radio(key="sampler").value, at.select_slider(key="steps").value) == ("heun", 20)
    assert (at.selectbox(key="n").value, at.number_input(key="sample_seed").value) == (250, 3)
    assert data_title(at) == "Training data: the word 'dino' (2,000 points)"
    bad = AppTest.from_file(APP, default_timeout=TIMEOUT)
    bad.query_params["width"] = "999"
    bad.query_params["schedule"] = "sigmoid"
    bad.switch_page(PLAYGROUND).run()
    assert_clean(bad)
    assert (bad.select_slider(key="width").value, bad.selectbox(key="schedule").value) == (64, "cosine")


def test_playground_every_slider_end_and_option(playground_page):
    at = playground_page
    for key in ("width", "depth", "T", "scale", "budget", "steps"):
        slider = at.select_slider(key=key)
        for value in (slider.options[-1], slider.options[0]):
            slider.set_value(value).run()
            assert_clean(at)
            slider = at.select_slider(key=key)
    for schedule in ("linear", "gentle", "cosine"):
        at.selectbox(key="schedule").set_value(schedule).run()
        assert_clean(at)
    at.toggle(key="fourier").set_value(False).run()
    assert at.select_slider(key="scale").disabled
    for sampler in ("ddpm", "euler", "heun", "ddim"):
        at.radio(key="sampler").set_value(sampler).run()
        assert_clean(at)
    for n in (250, 5000):
        at.selectbox(key="n").set_value(n).run()
        assert_clean(at)
    at.number_input(key="sample_seed").set_value(9999).run()
    at.number_input(key="seed").set_value(9999).run()
    assert_clean(at)
    assert_figures_labelled(at)


def test_playground_built_in_sets_and_words(playground_page):
    at = playground_page
    for name in ("moons", "ring8", "two_gaussians", "swissroll", "checkerboard", "dino"):
        at.selectbox(key="set").set_value(name).run()
        assert_clean(at)
    at.radio(key="data").set_value("word").run()
    assert_clean(at)
    assert data_title(at) == "Training data: the word 'hello' (2,000 points)"
    for word, message in (("", "The text is empty"), ("\u200b\u200b", "no visible characters"),
                          ("é", "not in the font")):
        at.text_input(key="word").set_value(word).run()
        assert not at.exception
        assert [w.value for w in at.warning] and message in shown(at.warning[0].value), [w.value for w in at.warning]
        assert data_title(at) == "Training data: the word 'hello' (2,000 points)", "a bad word changed the data"
    at.text_input(key="word").set_value("GD").run()
    assert_clean(at)
    assert data_title(at) == "Training data: the word 'GD' (2,000 points)"


def _csv_upload(at: AppTest, name: str, content: bytes) -> None:
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()


@pytest.mark.parametrize("content, message", [
    (b"x,y\n1,2\nten,3\n", "Row 3, column 1"),
    (b"x,y\n1,2\nnan,3\n", "not a finite number"),
    (b"1\n2\n3\n", "only one column"),
    (b"", "empty"),
    (b"1,2\n" * 100_001, "100,000"),
    (b"\x00garbage\xff" * 64, "not UTF-8 text"),
])
def test_playground_a_bad_csv_gets_one_message_and_changes_nothing(playground_page, content, message):
    at = playground_page
    at.radio(key="data").set_value("csv").run()
    assert any("Choose a file" in i.value for i in at.info)
    _csv_upload(at, "points.csv", b"x,y\n" + b"".join(f"{i},{i % 7}\n".encode() for i in range(50)))
    assert_clean(at)
    assert data_title(at) == "Training data: points.csv (50 points)"
    _csv_upload(at, "bad.csv", content)
    assert not at.exception
    assert len(at.warning) == 1 and message in shown(at.warning[0].value), [w.value for w in at.warning]
    assert data_title(at) == "Training data: points.csv (50 points)", "a bad file changed the data"
    assert "DDIM, 50 steps, from noise to samples" in charts(at), "a bad file cost the model"


def test_playground_a_csv_named_like_a_built_in_set_is_still_the_readers_file(playground_page):
    at = playground_page
    at.radio(key="data").set_value("csv").run()
    _csv_upload(at, "dino", b"".join(f"{i},{(i * 7) % 11}\n".encode() for i in range(40)))
    assert_clean(at)
    assert data_title(at) == "Training data: dino (40 points)"


def test_playground_loading_weights_good_and_bad(playground_page):
    import io

    from diffusion_core import models
    from diffusion_core.topics.playground import core as playground

    at = playground_page
    net = models.EpsMLP(playground.Settings(hidden=16, depth=1, T=50, schedule="linear").model_config()).eval()
    blob = playground.checkpoint_bytes(net, playground.Frame((5.0, 5.0), 2.0), {"data": "mine.csv"})
    weights = at.get("file_uploader")[-1]
    weights.set_value(("broken.pt", b"\x00garbage\xff" * 64, "application/octet-stream")).run()
    assert not at.exception and len(at.warning) == 1 and "not a Grokking Diffusion checkpoint" in shown(at.warning[0].value)
    assert any("shipped dino model" in shown(c) for c in texts(at, "caption")), "a bad file replaced the model"
    at.get("file_uploader")[-1].set_value(("mine.pt", blob, "application/octet-stream")).run()
    assert_clean(at)
    assert any("Model trained on mine.csv (width 16, depth 1" in shown(c) for c in texts(at, "caption"))
    assert at.select_slider(key="steps").options[-1] == "50", "the step choices follow the loaded model's T"
    assert metric_labels(at) == [], "no training data is known for a loaded model"
    at.session_state["pg_model"] = {**at.session_state["pg_model"], "label": "a later training", "loaded": None}
    at.run()
    assert any("Model trained on a later training" in shown(c) for c in texts(at, "caption"))
    at.get("file_uploader")[-1].set_value(("mine.pt", blob, "application/octet-stream")).run()
    assert any("Model trained on mine.csv" in shown(c) for c in texts(at, "caption")), "the same file uploaded again must load"
    assert not any(", 10 s," in shown(c) for c in texts(at, "caption")), "a checkpoint without its training time shows none"
    buf = io.BytesIO()
    models.save_checkpoint(models.EpsMLP(models.ModelConfig(hidden=100)), buf)
    at.get("file_uploader")[-1].set_value(("odd.pt", buf.getvalue(), "application/octet-stream")).run()
    assert_clean(at)
    assert any("settings this page does not offer" in shown(c) for c in texts(at, "caption"))


def test_playground_training_survives_a_rerun_and_replaces_the_model(playground_page):
    """Train for 5 s; in the middle, move a control (a full rerun): the same training goes on and its
    records keep growing; at the end the new model is sampled and its loss curve drawn."""
    import time

    at = playground_page
    at.select_slider(key="budget").set_value(5).run()
    at.button(key="pg_train").click().run()
    assert_clean(at)
    assert at.button(key="pg_train").disabled, "Train must be disabled from the run that starts the training"
    training = at.session_state["pg_training"]
    deadline = time.monotonic() + 60
    while not training.records:
        assert time.monotonic() < deadline, "the training never started"
        time.sleep(0.2)
    seen = len(training.records)
    while not any(r.preview is not None for r in training.records):
        assert time.monotonic() < deadline, "the training never looked at its samples"
        time.sleep(0.2)
    at.run()
    assert any(t.startswith("The model's samples at step") for t in charts(at)), "watch it learn: the samples now"
    at.select_slider(key="width").set_value(128).run()  # a change in the middle of the training
    assert_clean(at)
    assert at.session_state["pg_training"] is training, "the rerun replaced or dropped the training"
    assert any("Your changes since apply to the next training" in shown(c) for c in texts(at, "caption"))
    while "pg_training" in at.session_state:
        assert time.monotonic() < deadline, "the training never ended"
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    assert len(training.records) > seen
    assert [shown(s.value) for s in at.success] == [f"Trained for 5 s: {training.last.step:,} steps on Dino (Datasaurus)."]
    assert "Training loss of this model (Dino (Datasaurus))" in charts(at)
    assert any("width 64, depth 3" in shown(c) for c in texts(at, "caption")), "the model records the settings it trained with"



def test_playground_trains_a_drawing_of_two_colours_and_samples_each_class():
    """A drawing of two colours (as the canvas sends it) trains the class-conditional network: the sampling section
    offers the class and the guidance scale, and measures the chosen class's samples as the Guidance page does."""
    import time

    at = opened(PLAYGROUND)
    at.session_state["pg_drawing"] = {"strokes": [[[0.2 + 0.004 * k, 0.3, 0] for k in range(100)],
                                                  [[0.2 + 0.004 * k, 0.7, 1] for k in range(100)]]}
    at.radio(key="data").set_value("draw").run()
    assert_clean(at)
    assert any("2 colours, so 2 classes" in c for c in texts(at, "caption"))
    at.select_slider(key="budget").set_value(5).run()
    at.button(key="pg_train").click().run()
    deadline = time.monotonic() + 90
    while "pg_training" in at.session_state:
        assert time.monotonic() < deadline, "the training never ended"
        time.sleep(0.5)
        at.run()
    assert_clean(at)
    assert at.session_state["pg_model"]["net"].config.classes == 2
    assert at.select_slider(key="pg_w").disabled, "no guidance while sampling all classes"
    assert "Energy distance" in metric_labels(at)  # all classes: measured against the whole drawing

    import numpy as np

    def sampled_height() -> float:  # the median y of the samples, in the canvas's units (the strokes: 0.3 and 0.7)
        fig = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("DDIM"))
        return float(np.median(values(fig["frames"][-1]["data"][0]["y"])))

    at.selectbox(key="pg_class").set_value("0").run()
    assert_clean(at)
    low = sampled_height()
    at.selectbox(key="pg_class").set_value("1").run()
    at.select_slider(key="pg_w").set_value(3.0).run()
    assert_clean(at)
    assert low < 0.45 and sampled_height() > 0.55, (low, sampled_height())  # each class's own stroke
    assert {"Distance to the class", "Class covered"} <= set(metric_labels(at))
    assert "Energy distance" not in metric_labels(at)  # not the whole drawing's, beside the class's
    assert any(c.startswith("Off the class") for c in texts(at, "caption"))
    assert any(t.endswith("of class 2 at w = 3") for t in charts(at))


def test_playground_a_reader_waits_in_line_sees_it_and_can_stop(playground_page):
    """Another reader's training holds the CPU: this one waits and says so; once it trains, Stop ends it and
    the shipped model stays."""
    import time

    import app_cache

    at = playground_page
    other = app_cache.training_line().join()  # someone else's training has the turn
    try:
        at.button(key="pg_train").click().run()
        training = at.session_state["pg_training"]
        deadline = time.monotonic() + 30
        while training.ahead != 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        at.run()
        assert any("Waiting for the CPU: 1 job ahead of your training" in i.value for i in at.info)
    finally:
        other.leave()
    while not training.records:
        assert time.monotonic() < deadline, "the training never started after the line cleared"
        time.sleep(0.1)
    at.button(key="pg_stop").click().run()
    while "pg_training" in at.session_state:
        assert time.monotonic() < deadline, "the training never stopped"
        time.sleep(0.2)
        at.run()
    assert_clean(at)
    assert any("The training was stopped; the previous model is kept." in i.value for i in at.info)
    assert any("shipped dino model" in shown(c) for c in texts(at, "caption"))
    assert len(app_cache.training_line()) == 0


# ---------------------------------------------------------------- structure

def _caches(path: Path) -> list[tuple[str, dict]]:
    """(name, keyword arguments) of every st.cache_* in a file, as a decorator or as a call, and of every call
    of app_cache's `data(n)` helper (whose argument is the bound)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        calls = [d for d in getattr(node, "decorator_list", [])] + ([node] if isinstance(node, ast.Call) else [])
        for dec in calls:
            call = dec if isinstance(dec, ast.Call) else None
            target = call.func if call else dec
            if isinstance(target, ast.Attribute) and target.attr.startswith("cache_"):
                found.append((target.attr, {k.arg: k.value for k in (call.keywords if call else [])}))
            elif isinstance(target, ast.Name) and target.id == "data" and call is not None:
                found.append(("data", {"max_entries": call.args[0]} if call.args else {}))
            elif isinstance(target, ast.Name) and target.id == "bind" and call is not None:  # name=bound, ...
                found += [("bind", {"max_entries": k.value}) for k in call.keywords if isinstance(k.value, ast.Constant)]
    return found


@pytest.fixture(scope="module")
def loss_page() -> AppTest:
    at = opened(LOSS)
    return at


def test_loss_renders(loss_page):
    at = loss_page
    assert_clean(at)
    assert at.title[0].value == "Where the loss comes from"
    titles = charts(at)
    for expected in ("Each step's share of the loss, linear", "Weight each target puts on the ε error",
                     "Where training draws its noise levels", "The weight the loss puts on each level",
                     "Samples: ε (the noise), uniform", "How far x̂₀ is from the exact denoiser, per noise level",
                     "Coarse shape, every setting", "Fine detail, every setting",
                     "Where uniform steps put training, per schedule"):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    assert_figures_labelled(at)
    assert metric_labels(at) == ["Coarse shape", "Detail (s2d)"]
    latex = " ".join(texts(at, "latex"))
    assert "L_\\text{simple}" in latex and "D_\\mathrm{KL}" in latex and "e^{-\\lambda}" in latex
    text = " ".join(texts(at, "markdown"))
    for needle in ("**Measured on this schedule.**", "**Measured, every setting.**", "Toward high noise",
                   "the linear schedule spends"):
        assert needle in text, needle
    assert at.expander[0].label == "Step 3 in full"
    assert len(at.expander[0].children) == 0  # closed: its algebra is not sent (app_common.lazy_expander)
    refs = texts(at, "caption")[-1]
    for cited in ("Ho", "Vincent", "Kingma, R. Gao", "Salimans", "Nichol", "Gretton"):
        assert cited in refs, cited


def test_loss_step_3_in_full_is_written_once_opened():
    """The derivation's expander is lazy: opened (its state set as the browser sets it when the reader opens it),
    the run writes its algebra."""
    at = opened(LOSS)
    at.session_state["loss_step_3"] = True
    at.run()
    assert_clean(at)
    body = " ".join(texts(at.expander[0], "markdown"))
    assert "The posterior mean is" in body and "The decoder term" in body


def test_loss_every_control_at_its_ends(loss_page):
    at = loss_page
    for name in ("linear", "cosine", "gentle"):
        at.radio(key="loss_bound_schedule").set_value(name).run()
        assert_clean(at)
    at.radio(key="loss_bound_schedule").set_value("cosine").run()
    cosine_text = " ".join(texts(at, "markdown"))
    assert "clipped at 0.999" in cosine_text  # the cosine bound's last step, explained
    for target in ("eps", "x0", "v"):
        at.radio(key="loss_target").set_value(target).run()
        for shift in (-4.0, 4.0):
            at.select_slider(key="loss_shift").set_value(shift).run()
            assert_clean(at)
            text = " ".join(texts(at, "markdown"))
            named = {"eps": "ε (the noise)", "x0": "x₀ (the clean point)", "v": "v (the velocity)"}[target]
            assert f"**Measured, per level.** Against {named} with uniform steps" in text
        at.radio(key="loss_draw").set_value("elbo").run()
        assert_clean(at)
        assert at.select_slider(key="loss_shift").disabled
        assert any(t.startswith("Samples:") and t.endswith("∝ ELBO") for t in charts(at))
        at.radio(key="loss_draw").set_value("shift").run()
    at.select_slider(key="loss_shift").set_value(0.0).run()
    at.radio(key="loss_target").set_value("eps").run()
    assert_clean(at)
    text = " ".join(texts(at, "markdown"))  # the baseline says so in the place of its per-level comparison
    assert "**Measured, per level.** This setting is $L_\\text{simple}$ itself" in text


def test_loss_train_live_and_go_back(monkeypatch):
    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 0.5)
    at = opened(LOSS)
    at.radio(key="loss_target").set_value("v").run()
    at.button(key="loss_train").click().run()
    assert_clean(at)
    samples = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Samples:"))
    assert any(tr["name"].startswith("samples (live,") for tr in samples["data"])
    errors = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("How far"))
    assert any(tr["name"].startswith("trained live") for tr in errors["data"])
    at.button(key="loss_reset").click().run()
    assert_clean(at)
    samples = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Samples:"))
    assert any(tr["name"].startswith("samples (shipped") for tr in samples["data"])


def test_caches_live_only_in_app_cache_and_are_bounded():
    for entry in ("app.py", "app_router.py", "app_start.py"):
        assert not _caches(ROOT / entry)
    for page in (ROOT / "app_pages").glob("*.py"):
        assert not _caches(page), f"{page.name} defines its own cache"
    modules = sorted((ROOT / "app_cache").glob("*.py"))
    assert {p.stem for p in modules} >= {"__init__", "home", "process", "modes", "copies", "scores", "spectra",
                                         "optimization", "playground"}
    for module in modules:
        if module.stem == "figures":  # built figures: a store of its own, bounded (tests/test_app_figures.py)
            continue
        caches = _caches(module)
        assert caches, f"{module.name} caches nothing"
        for name, kwargs in caches:
            assert "max_entries" in kwargs, f"an unbounded st.{name} in {module.name}"


def test_benches_call_what_the_pages_call():
    """Every views function a page reaches through its cache module, and every figure builder it calls, is
    called by its room's bench too: a page that changes what it computes cannot leave its bench behind."""
    import ast
    import importlib

    pages = {"home": "home", "process": "diffusion_process", "modes": "means_and_modes", "copies": "regurgitation",
             "scores": "score_fields", "objective": "where_the_loss_comes_from",
             "spectra": "spectral_bands", "optimization": "sampling_optimization", "flow": "flow_matching",
             "guidance": "guidance", "playground": "playground"}
    for room, page in pages.items():
        cache = importlib.import_module(f"app_cache.{room}").cached
        page_tree = ast.parse((ROOT / "app_pages" / f"{page}.py").read_text())
        called = {(n.value.id, n.attr) for n in ast.walk(page_tree)
                  if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
        bench = (ROOT / "diffusion_core" / "topics" / room / "bench.py").read_text()
        bench_calls = {n.attr for n in ast.walk(ast.parse(bench)) if isinstance(n, ast.Attribute)}
        room_tree = ast.parse((ROOT / "app_cache" / f"{room}.py").read_text())  # figures it builds for the page
        called |= {("figures", n.attr) for n in ast.walk(room_tree) if isinstance(n, ast.Attribute)
                   and isinstance(n.value, ast.Name) and n.value.id in ("figures", "optimization")}
        for owner, name in called:
            if owner == "cache":  # a cached core function: the bench calls the function it wraps
                wrapped = getattr(cache, name).__wrapped__
                assert wrapped.__name__ in bench_calls, f"{page}: the bench never calls {wrapped.__name__}"
            elif owner == "figures":
                assert name in bench_calls, f"{page}: the bench never draws figures.{name}"


def test_the_warm_up_computes_every_default_view_before_any_other_setting(monkeypatch):
    """warm_all runs every room's warm() (its page's default view) in WARM_ORDER before any room's warm_more(), so a
    reader who lands on a page during the warm-up never waits behind another page's extra settings; a room that fails
    (or cannot be imported) is skipped, and its extras with it. `warmed(room)` (what app.py's lifespan waits on for
    Home) is true once the room's default view has been tried, computed or failed, and not before."""
    import importlib
    import threading
    from types import SimpleNamespace

    import app_cache

    monkeypatch.setattr(app_cache, "_WARMED", {r: threading.Event() for r in app_cache.WARM_ORDER})
    assert not any(app_cache.warmed(r, 0) for r in app_cache.WARM_ORDER)
    calls, seen = [], []

    def fail():
        raise FileNotFoundError("no weights")

    def room(name):
        if name == "app_cache.copies":
            raise ImportError("a room that cannot even be imported")
        if name == "app_cache.spectra":
            return SimpleNamespace(warm=fail, warm_more=lambda: calls.append(("more", name)))
        def warm():
            calls.append(("warm", name))
            seen.append([r for r in app_cache.WARM_ORDER if app_cache.warmed(r, 0)])

        out = SimpleNamespace(warm=warm)
        if name in ("app_cache.optimization", "app_cache.scores"):
            out.warm_more = lambda: calls.append(("more", name))
        return out

    monkeypatch.setattr(importlib, "import_module", room)
    seconds = app_cache.warm_all()
    rooms = [r for r in app_cache.WARM_ORDER if r not in ("spectra", "copies")]
    assert set(seconds) == set(rooms)
    assert calls == [("warm", f"app_cache.{r}") for r in rooms] + [("more", "app_cache.optimization"),
                                                                   ("more", "app_cache.scores")]
    order = list(app_cache.WARM_ORDER)
    assert seen == [order[:order.index(r)] for r in rooms]  # each room's default view: the rooms before it tried
    assert all(app_cache.warmed(r, 0) for r in order)  # the failed ones too: nobody waits for them


class CountingSlot:
    """The view slot (app_cache.view_slot), noting `opened[0]` (the page) in `misses` whenever a computation enters
    it: a cache miss."""

    def __init__(self, misses: list[str], opened: list[str]):
        self.lock, self.misses, self.opened = threading.RLock(), misses, opened

    def __enter__(self):
        self.misses.append(self.opened[0])
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_flow_matching_s_own_warm_up_covers_both_data_sets_it_sends(monkeypatch):
    """Flow matching sends both data sets' sections with the page (app_common.switched), so its room's first warm-up
    phase (warm(), which runs before any room's warm_more) computes both: the page opened right after it computes
    nothing."""
    import streamlit as st

    import app_cache
    import app_cache.flow

    st.cache_data.clear()
    app_cache.flow.warm()
    misses: list[str] = []
    monkeypatch.setattr(app_cache, "view_slot", CountingSlot(misses, [FLOW]))
    at = opened(FLOW)
    assert_clean(at)
    assert misses == [], misses


@pytest.mark.parametrize("link, first", [(None, "dino"), ("Ring of 8 Gaussians", "ring8"), ("Dino (Datasaurus)", "dino"),
                                         ("", "dino"), ("ring8", "dino"), ("nonsense", "dino")])
def test_flow_matching_computes_the_reader_s_data_set_first_on_a_cold_server(monkeypatch, link, first):
    """With nothing computed (a fresh server, the warm-up off), the page computes and sends the data set the reader
    sees first (app_common.switched; a link names a set by its label, and anything else shows the dino): every
    model and every ideal denoiser of the reader's set is asked for before any of the other's. Both sets are still
    sent, in page order."""
    import streamlit as st

    from app_cache.flow import SET_LABELS
    from diffusion_core import shipped
    from diffusion_core.topics.flow import views

    assert SET_LABELS == {"dino": "Dino (Datasaurus)", "ring8": "Ring of 8 Gaussians"}
    st.cache_data.clear()
    asked: list[str] = []
    real_model, real_ideal = shipped.denoiser, views._ideal
    monkeypatch.setattr(shipped, "denoiser", lambda name: asked.append(name) or real_model(name))
    monkeypatch.setattr(views, "_ideal", lambda dataset: asked.append(f"ideal_{dataset}") or real_ideal(dataset))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if link is not None:
        at.query_params["flow_dataset"] = link
    at.switch_page(FLOW).run()
    assert_clean(at)
    sets = [next(d for d in views.DATASETS if name.endswith(d)) for name in asked]
    assert {f"ideal_{d}" for d in views.DATASETS} <= set(asked), "section 2's and 3's ideal denoisers were asked"
    other = next(d for d in views.DATASETS if d != first)
    assert sets[0] == first and sets.index(other) > max(i for i, d in enumerate(sets) if d == first), asked
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert len(titles) == 1 + 6 * len(views.DATASETS)
    for k, dataset in enumerate(views.DATASETS):  # page order, whichever set was computed first
        assert titles[4 + 6 * k].startswith(f"Compute against quality, {SET_LABELS[dataset]}:"), titles


def test_flow_matching_says_which_models_are_missing_and_keeps_the_other_data_set(monkeypatch):
    """A data set whose shipped eps-model cannot be loaded: sections 4 and 5 of that set (views.quality reads its
    three models) each warn, naming the three, and the rest of the page, the other set included, is drawn."""
    import streamlit as st

    from diffusion_core import shipped

    st.cache_data.clear()
    real = shipped.denoiser

    def denoiser(name):
        if name == "ring8":
            raise FileNotFoundError("ring8.pt")
        return real(name)

    monkeypatch.setattr(shipped, "denoiser", denoiser)
    at = opened(FLOW)
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and all("`ring8, flow_ring8 or reflow_ring8`" in w and "ring8.pt" in w
                                      for w in warnings), warnings
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert len(titles) == 1 + 6 + 3, titles  # the ring keeps its paths and its two grid figures
    assert sum(t.startswith("Compute against quality") for t in titles) == 1
    assert len(at.metric) == 3  # the dino's three reflow metrics
    st.cache_data.clear()


def test_the_warm_up_leaves_every_page_nothing_to_compute(monkeypatch):
    """app_cache.warm_all (what a fresh server runs in the background) computes exactly what each page's default
    view asks for: afterwards, opening every page computes nothing (no call enters the view slot), and moving the
    controls it precomputes computes nothing either."""

    import streamlit as st

    import app_cache

    st.cache_data.clear()
    assert set(app_cache.warm_all()) == set(app_cache.WARM_ORDER)
    misses: list[str] = []
    opened = [""]
    monkeypatch.setattr(app_cache, "view_slot", CountingSlot(misses, opened))
    pages = [HOME, PROCESS, MODES, COPIES, SCORES, LOSS, SPECTRA, OPTIMIZATION, FLOW, GUIDANCE, PLAYGROUND]
    for path in pages:
        opened[0] = path
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if path != HOME:
            at.switch_page(path)
        at.run()
        assert_clean(at)
        if path == LOSS:  # every setting of its section 4 is computed too: its controls only redraw
            at.radio(key="loss_target").set_value("v").run()
            at.select_slider(key="loss_shift").set_value(-4.0).run()
            at.radio(key="loss_draw").set_value("elbo").run()
            assert_clean(at)
        for key, values in _precomputed().get(path, {}).items():  # each control through every value it offers
            widget = next(c for c in controls(at) if c.key == key)
            default = widget.value
            for value in values:
                next(c for c in controls(at) if c.key == key).set_value(value).run()
                assert not at.exception and not at.error, (key, value)  # a step size too large warns
            next(c for c in controls(at) if c.key == key).set_value(default).run()
    assert misses == [], misses


def test_the_warm_up_builds_flow_matching_s_figures_for_every_data_set_and_step_count():
    """Flow matching's warm-up (app_cache/flow.py) also builds the figures of sections 2 to 5 for every data set and
    step count, from the calls the page makes: after it, moving those controls through every value builds no figure
    (the page's first move on a fresh server only draws)."""
    import app_cache.flow
    from app_cache.figures import KEPT

    views = app_cache.flow.views
    KEPT.clear()
    app_cache.flow.warm()
    app_cache.flow.warm_more()
    # per data set: the paths, the quality curves, reflow's two and a cloud row per step count; the grids' ticks,
    # one per step count, are the same figure for both data sets
    assert len(KEPT) == len(views.DATASETS) * (4 + len(views.NFE)) + len(views.NFE)
    at = opened(FLOW)
    built, unkept, hits = KEPT.misses, KEPT.unkept, KEPT.hits
    for dataset in views.DATASETS:  # every step count on every data set
        for steps in views.NFE:
            at.select_slider(key=f"flow_grid_steps_{dataset}").set_value(steps).run()
            assert_clean(at)
    assert KEPT.misses == built, f"{KEPT.misses - built} figures built on moving Flow matching's controls"
    assert KEPT.unkept == unkept and KEPT.hits > hits + len(views.DATASETS) * len(views.NFE)


def _prebuilt() -> dict:
    """The controls whose figures the warm-up builds for every value (with the other controls of the page at their
    defaults), per page: (the room in app_cache, {key: values}, the number of figures its warm-up builds, the number
    the page builds on opening all the same)."""
    from diffusion_core.topics.guidance import views as guidance
    from diffusion_core.topics.optimization import core as opt_core
    from diffusion_core.topics.optimization import views as opt

    # and how many figures the warm-up builds: Guidance's five of every shape and section 4's at the default shape's
    # other noise levels; the descent's six at every step count and every momentum, less those shared (the default
    # setting's, and the plain-DDIM cloud of each step count, the same at every momentum)
    shapes, sigmas = len(guidance.SHAPES), len(guidance.FIELD_SIGMAS)
    steps, momenta = len(opt.DESCENT_STEPS), len(opt_core.MOMENTA)
    # and how many the page builds on opening that the warm-up does not (Sampling as optimization's first section)
    return {GUIDANCE: ("guidance", {"guide_shape": guidance.SHAPES, "guide_sigma": guidance.FIELD_SIGMAS},
                       5 * shapes + sigmas - 1, 0),
            OPTIMIZATION: ("optimization", {"opt_descent_steps": opt.DESCENT_STEPS, "opt_gamma": opt_core.MOMENTA},
                           6 * steps + 5 * (momenta - 1), 1 + len(opt.CLOUD_STEPS))}


@pytest.mark.parametrize("path", list(_prebuilt()))
def test_the_warm_up_builds_the_figures_a_control_redraws(path):
    """Guidance's shape and noise level, and Sampling as optimization's descent steps and momentum: the warm-up
    (app_cache/<room>.py) builds what each of their values draws, from the calls the page makes, so moving them from
    the default view builds no figure (the reader's first move on a fresh server only draws), and every figure the
    page draws is one it can keep."""
    import importlib

    from app_cache.figures import KEPT

    room, moves, count, others = _prebuilt()[path]
    module = importlib.import_module(f"app_cache.{room}")
    KEPT.clear()
    module.warm()
    module.warm_more()
    assert len(KEPT) == count  # the default view's among them: opening the page below builds none of them either
    at = opened(path)
    built, unkept, hits = KEPT.misses, KEPT.unkept, KEPT.hits
    assert len(KEPT) == count + others, f"opening {path} built {len(KEPT) - count - others} figures too many"
    for key, values in moves.items():
        default = next(c for c in controls(at) if c.key == key).value
        for value in values:
            next(c for c in controls(at) if c.key == key).set_value(value).run()
            assert_clean(at)
        next(c for c in controls(at) if c.key == key).set_value(default).run()
    assert KEPT.misses == built, f"{KEPT.misses - built} figures built on moving {path}'s controls"
    assert KEPT.unkept == unkept and KEPT.hits > hits + sum(len(v) for v in moves.values())


def _precomputed() -> dict:
    """The controls whose every value the warm-up computes (with the other controls of their section at their
    defaults), per page: moving one of them from a page's default view only redraws."""
    from diffusion_core import datasets, pretrained, samplers, schedules, shipped
    from diffusion_core.topics.flow import views as flow
    from diffusion_core.topics.guidance import views as guidance
    from diffusion_core.topics.optimization import core as opt_core
    from diffusion_core.topics.optimization import views as opt
    from diffusion_core.topics.playground import core as playground
    from diffusion_core.topics.process import views as process
    from diffusion_core.topics.scores import views as sc
    from diffusion_core.topics.spectra import core as spectra
    from diffusion_core.topics.spectra import views as spectra_views

    config = shipped.denoiser("dino").net.config  # the Playground's model at a first visit
    return {OPTIMIZATION: {"opt_dataset": opt.DATASETS, "opt_sampler": opt_core.SAMPLERS,
                           "opt_descent_steps": opt.DESCENT_STEPS, "opt_gamma": opt_core.MOMENTA},
            SCORES: {"score_sigma": sc.SIGMAS, "score_step_size": sc.STEP_SIZES, "score_noise": sc.NOISE_SCALES,
                     "score_dino_sigma": sc.DINO_SIGMAS, "dsm_sigma": sc.SIGMAS[:-1], "dsm_seed": range(10),
                     "ode_steps": sc.ODE_STEPS, "ode_runs": range(1, 13)},
            PROCESS: {"fwd_dataset": datasets.NAMES, "fwd_schedule": schedules.NAMES, "rev_sampler": process.SAMPLERS,
                      "rev_steps": process.PATH_STEPS, "rev_particles": range(1, process.PARTICLES + 1),
                      "rev_seed": range(process.SEEDS)},
            MODES: {"modes_dataset": pretrained.COMPARED},
            SPECTRA: {"spec_source": list(spectra.IMAGES), "spec_seed": range(spectra_views.SEEDS)},
            FLOW: {"flow_dataset": flow.DATASETS} | {f"flow_grid_steps_{d}": flow.NFE for d in flow.DATASETS},
            GUIDANCE: {"guide_shape": guidance.SHAPES, "guide_sigma": guidance.FIELD_SIGMAS},
            PLAYGROUND: {"n": playground.SAMPLE_COUNTS, "sampler": samplers.NAMES,
                         "steps": [s for s in playground.step_choices(config.T) if playground.sampling_seconds(
                             config, 1000, "ddim", s) <= playground.LIGHT_SECONDS]}}


def test_the_router_only_routes():
    """app_router.py holds a docstring, the imports, what starts with the app (app_start.start: app.py runs it when the
    server starts, the router on every run), the list of pages (app_start.MENU, Home the default), st.set_page_config,
    the style rule of app.css, the style of app_components.prose's text and st.navigation(...).run()."""
    import ast

    body = ast.parse((ROOT / "app_router.py").read_text()).body
    calls = [ast.unparse(n.value) for n in body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    others = [n for n in body if not isinstance(n, (ast.Expr, ast.Import, ast.ImportFrom))]
    assert [ast.unparse(n.targets[0]) for n in others] == ["PAGES"]
    assert ast.unparse(others[0].value).startswith("[st.Page(f'app_pages/{name}.py', title=title, default=not i) for")
    assert len(calls) == 5
    assert calls[0] == "app_start.start()"
    assert calls[1].startswith("st.set_page_config(") and "layout='wide'" in calls[1]
    assert calls[2] == "st.html(Path(__file__).with_name('app.css'))"
    assert calls[3] == "st.html(prose.STYLE)"
    assert calls[4] == "st.navigation(PAGES, position='sidebar').run()"


def test_schedule_lengths_match_the_shipped_models():
    from diffusion_core import pretrained, schedules

    for recipe in pretrained.RECIPES.values():
        assert schedules.SHIPPED_T[recipe.config.schedule] == recipe.config.T


def test_controls_keep_their_values_across_a_visit_to_another_page():
    at = opened(PROCESS)
    at.selectbox(key="fwd_schedule").set_value("cosine").run()
    at.selectbox(key="fwd_dataset").set_value("ring8").run()
    at.slider(key="rev_particles").set_value(3).run()
    at.switch_page(HOME).run()
    assert_clean(at)
    at.switch_page(PROCESS).run()
    assert_clean(at)
    assert at.selectbox(key="fwd_schedule").value == "cosine"
    assert at.selectbox(key="fwd_dataset").value == "ring8"
    assert at.slider(key="rev_particles").value == 3


def test_a_retrain_waits_for_its_turn_on_the_cpu(monkeypatch):
    """With the line held by another training, a click starts its job only after the line is released."""
    import threading
    import time

    import app_cache

    monkeypatch.setattr(app_cache, "RETRAIN_SECONDS", 0.3)
    at = opened(PROCESS)
    line, worker = app_cache.training_line(), app_cache.training_worker()
    started, released = [], []
    original = worker.run
    monkeypatch.setattr(worker, "run", lambda *a, **k: started.append(time.perf_counter()) or original(*a, **k))
    other = line.join()  # someone else's training holds the CPU
    assert other.wait(0)
    threading.Timer(1.0, lambda: (released.append(time.perf_counter()), other.leave())).start()
    at.button(key="retrain_ladder_linear").click().run()
    assert_clean(at)
    assert len(started) == 1 and len(released) == 1
    assert started[0] >= released[0], "the training started before the one ahead of it left the line"
    assert len([t for t in charts(at) if t.startswith("Live:")]) == 1
    assert len(line) == 0, "the finished training left its ticket in the line"


# ---------------------------------------------------------------- every figure can be shared: controls in the address

CONTROL_TYPES = {"slider", "select_slider", "selectbox", "radio", "button_group", "checkbox", "toggle", "multiselect",
                 "number_input", "text_input"}


def controls(at: AppTest) -> list:
    """Every control on the page (widgets a reader sets; not buttons or uploaders), in page order."""
    out = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if child.type in CONTROL_TYPES:
                out.append(child)
            walk(child)

    walk(at.main)
    return out


def _another_value(widget) -> str:
    """A value the widget offers other than its current one, as the address writes it."""
    if widget.type in ("slider",):
        low, high = widget.proto.min, widget.proto.max
        value = widget.value
        target = low if value != low else high
        return f"{int(target)}" if float(target).is_integer() and widget.proto.data_type in (0, 1) else f"{target:g}"
    options = list(widget.options)
    current = widget.format_func(widget.value) if hasattr(widget, "format_func") else None
    return next(o for o in options if o != current)  # the first other: a link naming the widget's first option


SHARED = [HOME, PROCESS, MODES, COPIES, SCORES, LOSS, SPECTRA, OPTIMIZATION, FLOW, GUIDANCE]


@pytest.mark.parametrize("page", SHARED)
def test_every_control_is_bound_to_the_address(page):
    """A link carries every control of every page (bind="query-params", the key as the parameter): a link with a
    value for each sets them all, and a link of nonsense, or of empty values, falls back to the defaults without an
    error."""
    at = opened(page)
    assert_clean(at)
    found = controls(at)
    assert found, "a page without controls"
    unbound = [(c.type, c.label) for c in found if not c.proto.query_param_key]
    assert not unbound, f"controls not in the address: {unbound}"
    defaults = {c.proto.query_param_key: c.value for c in found}
    link = {c.proto.query_param_key: _another_value(c) for c in found if not c.disabled}
    shared = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in link.items():
        shared.query_params[key] = value
    shared.switch_page(page).run()
    assert not shared.exception and not shared.error, "a warning is fine: a step size too large warns"
    got = {c.proto.query_param_key: c for c in controls(shared)}
    for key, value in link.items():
        assert key in got, f"{key} is not drawn from the link {link}"
        assert got[key].value != defaults[key], f"{key}={value} did not set the control ({got[key].value!r})"
    nonsense = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key in defaults:
        nonsense.query_params[key] = "nonsense\u202e"
    nonsense.switch_page(page).run()
    assert_clean(nonsense)
    assert {c.proto.query_param_key: c.value for c in controls(nonsense)} == defaults
    empty = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key in defaults:
        empty.query_params[key] = ""  # `?key=`: segmented controls and pills give None; the page takes the default
    empty.switch_page(page).run()
    assert_clean(empty)
    assert chart_nodes(empty), "no chart drawn from a link of empty values"


def test_a_linked_value_survives_a_visit_to_another_page_and_stays_in_the_address():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["fwd_schedule"] = "cosine (Nichol & Dhariwal 2021)"
    at.query_params["rev_steps"] = "20"  # the first option of its select slider
    at.switch_page(PROCESS).run()
    assert (at.selectbox(key="fwd_schedule").value, at.select_slider(key="rev_steps").value) == ("cosine", 20)
    at.slider(key="rev_seed").set_value(4).run()
    at.switch_page(HOME).run()
    at.switch_page(PROCESS).run()
    assert_clean(at)
    assert (at.selectbox(key="fwd_schedule").value, at.select_slider(key="rev_steps").value) == ("cosine", 20)
    assert at.slider(key="rev_seed").value == 4
    assert {k: at.query_params[k] for k in ("fwd_schedule", "rev_steps", "rev_seed")} == {
        "fwd_schedule": "cosine (Nichol & Dhariwal 2021)", "rev_steps": "20", "rev_seed": "4"}
