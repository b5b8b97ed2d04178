"""The canvas chart (app_components/chart.py): which figures go to the canvas, and which stay with Plotly.

How the canvas draws them is checked in Chromium against Plotly's own drawing (tests/test_browser.py)."""

from __future__ import annotations

import json

import test_plots

from app_components.chart import chart, drawable

FRAMED = {"reverse_run", "forward_run", "follow_run", "snapshots_run", "snapshots_run_dino", "animated_run",
          "descent_landscape", "paths_run", "dial", "fields"}
PLOTLY_ONLY: dict = {}


def spec_of(fig) -> dict:
    return json.loads(fig.to_json())


def test_every_figure_of_the_catalogue_goes_to_the_canvas():
    """Every figure of the test catalogue is drawn on the canvas, those with frames (scrubbed by their own slider)
    among them."""
    figs = test_plots._figures()
    reasons = {name: drawable(spec_of(fig)) for name, fig in figs.items()}
    assert {n: why for n, why in reasons.items() if why} == PLOTLY_ONLY
    assert FRAMED == {n for n, fig in figs.items() if spec_of(fig).get("frames")}


def test_anything_the_canvas_does_not_know_goes_to_plotly():
    """A trace attribute, trace type, shape, axis or annotation the canvas does not draw sends the figure to Plotly,
    whole, rather than drawing it wrong."""
    base = spec_of(test_plots._figures()["loss_curve"])
    assert drawable(base) is None

    def changed(edit) -> str | None:
        spec = json.loads(json.dumps(base))
        edit(spec)
        return drawable(spec)

    assert "hoverlabel" in changed(lambda s: s["data"][0].update(hoverlabel={"bgcolor": "red"}))
    assert changed(lambda s: s["data"].append({"type": "violin", "y": [1, 2]})) == "a violin trace"
    assert changed(lambda s: s["data"].append({"type": "histogram", "x": [1, 2], "histnorm": "density"})) \
        == "a histogram normalised or binned otherwise"
    assert changed(lambda s: s["data"][0].update(mode="lines", line={"shape": "spline"})) == "line shape spline"
    assert changed(lambda s: s["data"][0].update(marker={"symbol": "triangle-up"})) == "symbol triangle-up"
    assert changed(lambda s: s["data"][0].update(fill="tonexty")) == "fill tonexty"
    assert changed(lambda s: s["layout"].update(shapes=[{"type": "circle", "x0": 0, "x1": 1, "y0": 0, "y1": 1}])) \
        == "a circle shape"
    assert changed(lambda s: s["layout"].update(shapes=[{"type": "path", "path": "M 0 0 Q 1 1 2 0"}])) \
        == "a curved or relative path"
    assert changed(lambda s: s["layout"].update(annotations=[{"text": "a", "x": 0, "y": 0}])) \
        == "an annotation with an arrow"
    assert changed(lambda s: s["layout"]["xaxis"].update(type="date")) == "xaxis.type date"
    assert changed(lambda s: s["layout"].update(yaxis2={"overlaying": "y", "side": "right"})).startswith("yaxis2")
    assert changed(lambda s: s["layout"].update(sliders=[{"steps": []}])) == "a slider or buttons without frames"
    framed = spec_of(test_plots._figures()["follow_run"])
    assert drawable(framed) is None
    framed["layout"]["sliders"][0]["steps"][0]["method"] = "relayout"
    assert drawable(framed) == "frames without one slider that animates"
    framed = spec_of(test_plots._figures()["follow_run"])
    framed["frames"][0]["layout"]["xaxis"] = {"range": [0, 1]}
    assert drawable(framed).startswith("a frame that changes more of the layout")
    framed = spec_of(test_plots._figures()["follow_run"])
    framed["frames"][0]["data"][0]["marker"] = {"symbol": "hexagram"}
    assert drawable(framed) == "a frame's symbol hexagram"
    contour = spec_of(test_plots._figures()["error_map"])
    contour["data"][1]["contours"]["showlabels"] = True
    assert drawable(contour).startswith("contours")


def test_a_figure_s_json_is_made_once_and_a_figure_plotly_draws_is_sent_to_plotly(monkeypatch):
    """chart() keeps each figure's JSON on the figure (a kept figure is sent again on every run), and hands a
    figure the canvas does not draw to st.plotly_chart with the page's arguments."""
    import plotly.io as pio

    figs = test_plots._figures()
    made = []
    real = pio.to_json
    monkeypatch.setattr(pio, "to_json", lambda fig, **kw: made.append(1) or real(fig, **kw))

    class Where:
        def __init__(self):
            self.calls = []

        def plotly_chart(self, fig, **kwargs):
            self.calls.append((fig, kwargs))

    where = Where()
    fig = test_plots._figures.__wrapped__()["distance_histograms"]  # a fresh figure: nothing kept on it yet
    fig.update_traces(histfunc="sum", selector={"type": "histogram"})  # something the canvas does not draw
    chart(where, fig, key="k", theme=None)
    chart(where, fig, key="k", theme=None)
    assert made == [1] and [c[1] for c in where.calls] == [{"theme": None, "key": "k"}] * 2
    assert where.calls[0][0] is fig and figs["distance_histograms"] is not fig
    assert drawable(spec_of(figs["distance_histograms"])) is None


def test_a_kept_figure_is_made_ready_to_send_as_it_is_kept(monkeypatch):
    """With the app's hook (app_start.start sets app_cache.figures.on_kept = chart.prepare) a figure is turned into the JSON a chart sends
    as it is kept, once: the warm-up's figures reach a reader's first move ready, and drawing one makes no JSON."""
    import plotly.io as pio

    import app_cache.figures
    from app_components import chart as chart_module

    made = []
    real = pio.to_json
    monkeypatch.setattr(pio, "to_json", lambda fig, **kw: made.append(1) or real(fig, **kw))
    monkeypatch.setattr(app_cache.figures, "on_kept", chart_module.prepare)
    app_cache.figures.KEPT.clear()

    def frames():  # a figure function of no arguments: one key
        return test_plots._figures.__wrapped__()["reverse_run"]

    fig = app_cache.figures.kept(frames)()
    assert made == [1] and fig._gd_canvas[0] is None  # made as it was kept; the canvas draws it
    sent = []
    monkeypatch.setattr(chart_module, "_chart", lambda **kw: sent.append(kw))
    monkeypatch.setattr(chart_module, "st", type("St", (), {})())  # `where is st` is false: drawn in a container
    where = type("Where", (), {"__enter__": lambda self: self, "__exit__": lambda self, *e: None})()
    chart_module.chart(where, app_cache.figures.kept(frames)(), key="k")
    assert made == [1]
    kept = fig._gd_canvas
    del fig._gd_canvas
    assert sent[0]["data"] == kept[1] == chart_module._sent(fig)[1]  # what drawing it would have made


def test_every_chart_of_every_page_is_drawn_on_the_canvas():
    """Each page opened as a reader gets it (its default view): every chart on it is a canvas chart, none falls
    back to Plotly."""
    from test_pages import chart_nodes, opened

    from tools.browser import PAGES

    for path, _, title in PAGES:
        nodes = chart_nodes(opened("app_pages/" + ("home" if path == "/" else path.strip("/")) + ".py"))
        assert nodes and all(n.type == "bidi_component" for n in nodes), (title, [n.type for n in nodes])


def test_long_lists_of_numbers_go_as_float32_and_everything_else_as_it_was():
    """`compact`: a trace's long x and y lists of numbers (in the figure and in its frames) become float32 typed
    arrays that decode, by numpy's own reading of base64 float32, to the numbers within float32's rounding, a gap
    (None) as NaN; short lists, lists with text, a value a hover shows unformatted and typed arrays already there
    stay as they were."""
    import base64

    import numpy as np

    from app_components.chart import TYPED_MIN, compact

    rng = np.random.default_rng(0)
    xs = rng.normal(size=TYPED_MIN * 3).tolist()
    ys = [*range(TYPED_MIN - 1), None, 1e30]
    framed = {"dtype": "f4", "bdata": base64.b64encode(np.arange(3, dtype=np.float32).tobytes()).decode()}
    spec = {"data": [{"type": "scatter", "x": list(xs), "y": list(ys)},
                     {"type": "scatter", "x": xs[:TYPED_MIN - 1], "y": ["a"] * TYPED_MIN},
                     {"type": "scatter", "x": list(xs), "y": list(xs), "hovertemplate": "%{x}, %{y:.2f}"},
                     {"type": "bar", "x": [str(k) for k in range(TYPED_MIN)], "y": [True] * TYPED_MIN}],
            "frames": [{"data": [{"x": list(xs), "y": framed}]}]}
    compact(spec)

    def read(typed):
        assert typed["dtype"] == "f4"
        return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=np.float32)

    first, short, hover, bars = spec["data"]
    np.testing.assert_allclose(read(first["x"]), xs, rtol=1e-7, atol=1e-7)
    got = read(first["y"])
    assert got[:TYPED_MIN - 1].tolist() == list(range(TYPED_MIN - 1)) and np.isnan(got[-2])
    assert np.isclose(got[-1], 1e30, rtol=1e-7)
    assert short["x"] == xs[:TYPED_MIN - 1] and short["y"] == ["a"] * TYPED_MIN
    assert hover["x"] == xs and read(hover["y"]).shape == (len(xs),)
    assert bars["x"] == [str(k) for k in range(TYPED_MIN)] and bars["y"] == [True] * TYPED_MIN
    frame = spec["frames"][0]["data"][0]
    np.testing.assert_allclose(read(frame["x"]), xs, rtol=1e-7, atol=1e-7)
    assert frame["y"] is framed
    tiny = [1e-45, *xs[1:]]
    kept = {"data": [{"type": "scatter", "x": [1e39] * TYPED_MIN, "y": list(tiny)},
                     {"type": "scatter", "x": list(range(TYPED_MIN)), "y": list(xs)},
                     {"type": "histogram", "x": list(xs)},
                     {"type": "scatter", "x": list(xs), "y": list(xs), "hovertemplate": "%{x}"}],
            "frames": [{"traces": [3], "data": [{"x": list(xs), "y": list(xs)}]}]}
    compact(kept)
    big, whole, histogram, shown = kept["data"]
    assert big["x"] == [1e39] * TYPED_MIN and big["y"] == tiny  # beyond float32, or turned to zero: kept as text
    assert whole["x"] == list(range(TYPED_MIN)) and read(whole["y"]).shape == (len(xs),)  # whole numbers: text
    assert histogram["x"] == xs  # binned on exact edges
    frame = kept["frames"][0]["data"][0]
    assert shown["x"] == xs and frame["x"] == xs and read(frame["y"]).shape == (len(xs),)  # the frame shows through 3
