"""The figures (diffusion_core.figures and every room's figures.py): every figure has a title, labelled axes,
a legend when it has several traces, equal aspect for 2D point clouds, Okabe-Ito colours; and no figure module
imports Streamlit."""

from __future__ import annotations

import base64
import functools
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from diffusion_core import figures as shared
from diffusion_core.shipped import Run

ROOMS = ("home", "process", "modes", "copies", "scores", "objective", "spectra", "optimization", "flow",
         "guidance", "playground")
MODULES = [shared] + [importlib.import_module(f"diffusion_core.topics.{room}.figures") for room in ROOMS]
plots = SimpleNamespace(**{name: getattr(m, name) for m in MODULES for name in dir(m) if not name.startswith("_")})

RNG = np.random.default_rng(0)
DATA = RNG.normal(size=(142, 2))
POINTS = RNG.normal(size=(300, 2))


@functools.lru_cache(maxsize=1)
def _figures():
    grid = np.stack(np.meshgrid(np.linspace(-3, 3, 5), np.linspace(-3, 3, 5)), -1).reshape(-1, 2)
    curves = {"linear": (np.linspace(1, 0.01, 50), np.linspace(100, 0.01, 50)),
              "cosine": (np.linspace(1, 0.0, 40), np.linspace(100, 0.0, 40))}
    return {
        "point_clouds": plots.point_clouds({"a": POINTS, "b": POINTS + 1}, title="clouds", data=DATA),
        "reverse_run": plots.reverse_run(Run(RNG.normal(size=(4, 30, 2)), RNG.normal(size=(3, 30, 2)),
                                             np.array([80.0, 1.0, 0.1, 0.0]), [1000, 500, 1, 0]), DATA),
        "elbo_weights": plots.elbo_weights(np.arange(1, 11), np.linspace(0.2, 0.01, 10), np.full(10, 0.1), title="elbo"),
        "implied_weights": plots.implied_weights(np.linspace(-5, 5, 11), {"eps": np.ones(11), "x0": np.exp(-np.linspace(-5, 5, 11))},
                                                 title="targets"),
        "over_log_snr": plots.over_log_snr({"a": (np.linspace(-5, 5, 11), np.ones(11)), "b": (np.linspace(-5, 5, 11),
                                                                                          np.arange(1, 12.0))},
                                           title="draws", ytitle="density", log_y=True),
        "error_by_level": plots.error_by_level(np.linspace(-8, 8, 5), {"a": (np.ones(5), np.full(5, 0.1)),
                                                                      "b": (np.full(5, 2.0), np.zeros(5))}, title="levels"),
        "across_settings": plots.across_settings(["a", "b"], {"eps": [(0.1, 0.01), (0.2, 0.02)], "v": [(0.3, 0.01), (0.1, 0.0)]},
                                                 (0.05, 0.01), title="settings", ytitle="number", selected=("v", 1)),
        "forward_run": plots.forward_run({"frac": [0.0, 0.5, 1.0], "t": [1, 25, 50], "x_t": np.stack([POINTS] * 3),
                                          "origins": np.stack([grid] * 3), "drift": np.stack([-grid] * 3),
                                          "alpha_bar": [0.99, 0.5, 0.01], "snr": [99.0, 1.0, 0.01], "T": 50},
                                         curves, active=1),
        "trajectories": plots.trajectories(RNG.normal(size=(11, 4, 2)), title="paths", data=DATA),
        "samples_panel": plots.samples_panel(torch.from_numpy(POINTS), DATA, title="samples"),
        "loss_curve": plots.loss_curve([1, 2, 3], [1.0, 0.5, 0.25], title="loss"),
        "coverage_bars": plots.coverage_bars(np.full(8, 0.1), np.full(8, 0.125), 0.2, title="coverage"),
        "posterior_bars": plots.posterior_bars(np.linspace(-3, 3, 61), np.full(61, 1 / 61), prior=np.full(61, 1 / 61),
                                               mean=0.2, learned_mean=0.3, observed=1.0, title="posterior"),
        "mean_paths": plots.mean_paths(np.arange(10, 0, -1), RNG.normal(size=(11, 3)), RNG.normal(size=(10, 3)),
                                       modes=[-2.0, 0.4], T=10, title="paths 1D"),
        "score_field": plots.score_field(np.linspace(-2, 2, 5), RNG.normal(size=(5, 5)),
                                         np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5)), -1)
                                         .reshape(-1, 2), RNG.normal(size=(25, 2)), title="field", lim=2, cell=1),
        "error_map": plots.error_map(np.linspace(-2, 2, 5), RNG.random((5, 5)), contour=RNG.normal(size=(5, 5)),
                                     title="errors", lim=2),
        "mode_weights": plots.mode_weights({"a": [0.5, 0.5], "b": [0.2, 0.8]}, [0.2, 0.8], title="weights"),
        "dsm_arrows": plots.dsm_arrows(DATA[:20], [0.0, 0.0], DATA[:20], RNG.random(20), [0.1, 0.2], title="dsm"),
        "density_paths": plots.density_paths(np.arange(10, 0, -1), np.linspace(-3, 3, 7), RNG.normal(size=(10, 7)),
                                             {"run": (np.arange(10, -1, -1), RNG.normal(size=(11, 2)))},
                                             title="paths", T=10),
        "spectra_plot": plots.spectra_plot({"signal": (np.linspace(0.01, 0.5, 20), np.linspace(100, 0.01, 20)),
                                            "fit": (np.linspace(0.01, 0.5, 20), np.linspace(90, 0.02, 20))},
                                           flat={"noise": 0.5}, marker=0.1, title="spectra"),
        "crossing_curves": plots.crossing_curves({"a": (np.linspace(0, 1, 10), np.logspace(0, -3, 10))}, marker=0.3,
                                                 title="crossing"),
        "octave_bars": plots.octave_bars({"a": [1, 2, 3], "b": [3, 2, 1]}, [1 / 16, 1 / 8, 1 / 4, 1 / 2], title="oct"),
        "response_curve": plots.response_curve(np.linspace(0.01, 0.5, 10), np.linspace(1, 0, 10), title="gain"),
        "rapsd_over_steps": plots.rapsd_over_steps(np.linspace(0.01, 0.5, 10), RNG.random((3, 10)) + 0.1, [30, 20, 10],
                                                   title="psd"),
        "settling_plot": plots.settling_plot(np.linspace(0.01, 0.5, 10), {"a": np.arange(10, 0, -1) * 50}, T=1000,
                                             title="settle"),
        "slope_bars": plots.slope_bars({"a": -2.1, "b": -0.5}, title="slopes"),
        "quality_vs_compute": plots.quality_vs_compute({"a": ([1, 10, 100], [0.5, 0.05, 0.002], [0.01, 0.005, 0.001])},
                                                       exact={"a": ([1, 10, 100], [0.4, 0.01, -0.001], [0, 0, 0])},
                                                       floor=(0.001, 0.001), title="compute"),
        "distance_paths": plots.distance_paths(np.array([100.0, 10.0, 1.0, 0.1, 0.0]), RNG.random((5, 3)),
                                               RNG.random((5, 3)) + 0.5, title="distances"),
        "momentum_curve": plots.momentum_curve([1.0, 1.5, 2.0], {"net": [0.02, 0.01, 0.015], "ideal": [0.01, 0.0, 0.02]},
                                               {"net": [0.001] * 3, "ideal": [0.002] * 3}, chosen=1.5, title="momentum"),
        "follow_run": plots.follow_run({"a": RNG.normal(size=(3, 40, 2)), "b": RNG.normal(size=(3, 40, 2))}, [0, 5, 10],
                                       DATA, colors={"a": plots.SERIES[0], "b": plots.SERIES[1]}, lim=3),
        "snapshots_run": plots.snapshots_run([10, 20], [POINTS, POINTS + 1], DATA, titles=["after 10", "after 20"],
                                             notes=["ED 0.1", "ED 0.2"], color=plots.SERIES[3], active=1,
                                             coverage=[{"shares": np.full(8, 0.1), "weights": np.full(8, 0.125),
                                                        "off_mode": 0.2}] * 2),
        "snapshots_run_dino": plots.snapshots_run([10, 20], [POINTS, POINTS + 1], DATA, titles=["a", "b"],
                                                  notes=["ED 0.1", "ED 0.2"], coverage=None, color=plots.SERIES[3],
                                                  active=0),
        "animated_run": plots.animated_run(RNG.normal(size=(4, 30, 2)), ["0", "1", "2", "3"], DATA, title="run"),
        "points_preview": plots.points_preview(POINTS * [10, 1] + 50, title="preview"),
        "error_map_1d": plots.error_map_1d(np.arange(1, 101, 10), np.linspace(-2, 2, 5), RNG.random((5, 10)), near=0.2,
                                           title="error map"),
        "training_curves": plots.training_curves({"GAN": {"steps": [1, 2, 3], "ed": [0.01, 0.05, 0.07], "modes": [8, 7, 6]},
                                                  "diffusion": {"steps": [1, 2, 3], "ed": [0.01, 0.002, 0.001],
                                                                "modes": [8, 8, 8]}}, modes=8, floor=0.001,
                                                 title="training"),
        "repeated_share": plots.repeated_share({"copies": [1, 5, 50], "network_share": [0, 0.1, 0.4],
                                                "ideal_share": [0.005, 0.03, 0.25], "set_share": [0.005, 0.025, 0.25],
                                                "fresh_share": [0.001] * 3}, title="repeated", set_size=200),
        "descent_landscape": plots.descent_landscape(np.linspace(-2, 2, 5), RNG.random((3, 5, 5)), [2.0, 0.5, 0.0],
                                                     {"net": RNG.normal(size=(3, 4, 2)), "ideal": RNG.normal(size=(3, 4, 2))},
                                                     DATA, [1, 2, 3], title="landscape"),
        "memorization_panel": plots.memorization_panel(POINTS, DATA, title="copies", highlight=DATA[0]),
        "distance_histograms": plots.distance_histograms({"a": RNG.random(100), "b": RNG.random(50) * 1e-3,
                                                          "c": [np.inf, 0.0]}, radius=0.01, title="distances"),
        "paths_run": plots.paths_run({"noise": RNG.normal(size=(6, 2)), "data": DATA[:6], "points": DATA,
                                      "ideal_paths": RNG.normal(size=(5, 6, 2)), "learned_paths": RNG.normal(size=(5, 6, 2)),
                                      "grid": grid, "frame_times": [1.0, 0.5, 0.0],
                                      "ideal_field": RNG.normal(size=(3, 25, 2)), "learned_field": RNG.normal(size=(3, 25, 2))},
                                     active=1, ideal_name="ideal"),
        "dial": plots.dial({"samples": {"a": [POINTS, POINTS + 0.5], "b": [POINTS - 0.5, POINTS]}, "points": DATA,
                            "scales": [0.0, 3.0]}, names={"a": "model a", "b": "model b"}, active=1, shape_label="dino",
                           steps=20),
        "fields": plots.fields({"grid": grid, "uncond": RNG.normal(size=(25, 2)), "cond": RNG.normal(size=(25, 2)),
                                "axis": np.linspace(-2, 2, 5), "posterior": RNG.random((5, 5)), "all": POINTS,
                                "points": DATA, "sigma": 0.2}, scales=[0.0, 1.0, 3.0], active=2, shape_label="dino"),
    }


SQUARE = {"point_clouds", "reverse_run", "forward_run", "snapshots_run", "snapshots_run_dino", "follow_run", "trajectories", "samples_panel", "score_field",
          "error_map", "dsm_arrows", "memorization_panel", "descent_landscape"}
FITTED = {"animated_run", "points_preview"}  # equal aspect, ranges fitted to the points' shape


@pytest.mark.parametrize("name", list(_figures()))
def test_figure_is_labelled(name):
    fig = _figures()[name]
    layout = fig.layout
    assert layout.title.text
    axes = [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]
    assert axes
    for axis in axes:
        assert layout[axis].title.text, f"{name}: {axis} has no label"
    shown = [tr for tr in fig.data if getattr(tr, "showlegend", False) is not False]  # an image has no entry
    if len([tr for tr in fig.data if tr.type != "image"]) > 1:  # a cloud drawn as an image counts once
        assert layout.showlegend is not False and len(shown) >= 2, f"{name}: several traces, no legend"
    if name in SQUARE | FITTED:
        assert layout.yaxis.scaleanchor == "x" and layout.yaxis.scaleratio == 1
    if name in SQUARE:
        assert list(layout.xaxis.range) == list(layout.yaxis.range)


@pytest.mark.parametrize("name", list(_figures()))
def test_colours_are_okabe_ito_or_grey(name):
    allowed = ({c.upper() for c in plots.OKABE_ITO.values()} | {plots.DATA_GREY.upper(), "RGBA(0,0,0,0)"}  # or clear
               | {c.upper() for c in plots.BLUES_RAMP})  # a lightness ramp, for curves ordered in time
    for trace in _figures()[name].data:
        marker, line = getattr(trace, "marker", None), getattr(trace, "line", None)
        outline = getattr(marker, "line", None)  # white: a bar's from the template, or a marker's ring
        for color, also in ((getattr(marker, "color", None), set()), (getattr(line, "color", None), set()),
                            (getattr(outline, "color", None), {"WHITE", "#FFFFFF"})):
            colors = color if isinstance(color, (list, tuple)) else [color]
            for c in colors:
                if isinstance(c, str):
                    assert c.upper() in allowed | also, f"{name}: {c} is not in the palette"


def test_non_finite_points_are_dropped_and_counted_in_the_legend():
    pts = np.array([[0.0, 0.0], [np.nan, 1.0], [np.inf, 0.0], [1.0, 1.0]])
    fig = plots.samples_panel(pts, title="x")
    assert len(fig.data[0].x) == 2 and np.isfinite(np.asarray(fig.data[0].x, dtype=float)).all()
    assert "2 diverged, not shown" in fig.data[0].name and fig.data[0].showlegend
    assert "diverged" not in plots.samples_panel(pts[[0, 3]], title="x").data[0].name


def test_drift_arrows_end_at_origin_plus_drift():
    origins, drift = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0], [0.0, -2.0]])
    arrows = plots.drift_traces(origins, drift)[-1]
    xy = np.stack([np.array(arrows["x"], dtype=float), np.array(arrows["y"], dtype=float)], 1)
    xy = xy.reshape(-1, plots.ARROW_POINTS, 2)
    assert len(xy) == 2  # the zero-length arrow is left out
    np.testing.assert_allclose(xy[:, 0], origins[[0, 2]])
    tips = origins[[0, 2]] + drift[[0, 2]]
    np.testing.assert_allclose(xy[:, 1], tips)
    np.testing.assert_allclose(xy[:, 3], tips)  # one polyline: the shaft, a barb, back to the tip, the other barb
    assert np.isnan(xy[:, -1]).all() and not np.isnan(xy[:, :-1]).any()  # a gap only between arrows
    for barb in (xy[:, 2], xy[:, 4]):  # each barb 25 degrees off the shaft, pointing back, 0.3 of its length
        back, shaft = barb - tips, tips - origins[[0, 2]]
        cos = -(back * shaft).sum(1) / (np.linalg.norm(back, axis=1) * np.linalg.norm(shaft, axis=1))
        np.testing.assert_allclose(cos, np.cos(np.radians(25)), rtol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(back, axis=1), 0.3 * np.linalg.norm(shaft, axis=1), rtol=1e-6)


def test_scrubbed_figures_send_float32_typed_arrays():
    """The frames are what makes a scrubbed figure big: points go to the browser as float32 typed arrays (frames are
    never drawn as images: see figures.figure)."""
    for name in ("forward_run", "follow_run", "snapshots_run", "reverse_run"):
        frame = json.loads(_figures()[name].to_json())["frames"][0]["data"][0]  # what Streamlit sends
        assert frame["x"]["dtype"] == "f4" and frame["y"]["dtype"] == "f4", name


@pytest.mark.parametrize("name", sorted(_figures()))
def test_a_figure_s_own_slider_jumps_to_the_frame_clicked(name):
    """A figure's own slider moves its handle at once: Plotly's default slides it over 150 ms, which a reader waits
    out at every step (README: the figures' sliders took 0.16 s a step with it, 0.02 to 0.11 s on most pages
    without)."""
    for slider in _figures()[name].layout.sliders or ():
        assert slider.transition.duration == 0, name


def test_the_forward_run_scrubs_the_points_the_arrows_and_the_schedule_marker_together():
    curves = {"linear": (np.linspace(1, 0.01, 50), np.logspace(2, -2, 50))}
    x_t = RNG.normal(size=(3, 40, 2))
    run = {"frac": [0.0, 0.5, 1.0], "t": [1, 25, 50], "x_t": x_t, "origins": x_t[:, :5], "drift": -x_t[:, :5],
           "alpha_bar": [0.99, 0.5, 0.01], "snr": [99.0, 1.0, 0.0101], "T": 50}
    fig = plots.forward_run(run, curves, active=1)
    assert len(fig.frames) == 3 and [s.label for s in fig.layout.sliders[0].steps] == ["0.00", "0.50", "1.00"]
    assert fig.layout.sliders[0].active == 1 and fig.layout.title.text.startswith("x_t at t = 25 of 50")
    assert "ᾱ_t = 0.500, SNR = 1" in fig.layout.title.text
    last = _frames(fig)[2]
    assert list(last.traces) == [2, 3, 4, 5] and last.layout.title.text.endswith("ᾱ_t = 0.010, SNR = 0.0101")
    np.testing.assert_allclose(last.data[0].x, x_t[2, :, 0], rtol=1e-6)  # the points at t = 50
    arrows = np.array(last.data[1].x, dtype=float).reshape(-1, plots.ARROW_POINTS)
    np.testing.assert_allclose(arrows[:, 0], x_t[2, :5, 0], rtol=1e-6)  # from each point at t = 50 ...
    np.testing.assert_allclose(arrows[:, 1], 0, atol=1e-6)  # ... along its drift -x_t, to the origin
    assert list(last.data[2].x) == [1.0, 1.0] and last.data[2].yaxis == "y2"  # the marker at t / T = 1, both panels
    assert list(last.data[3].x) == [1.0, 1.0] and last.data[3].yaxis == "y3"
    assert list(fig.layout.yaxis3.range) == [-2.0, 2.0]  # log10 SNR of the curves, marker spanning it


def test_posterior_bars_draw_the_means_where_they_are():
    fig = plots.posterior_bars(np.linspace(-1, 1, 21), np.full(21, 1 / 21), mean=0.25, learned_mean=-0.5,
                               observed=0.75, title="p")
    assert sorted(shape.x0 for shape in fig.layout.shapes) == [-0.5, 0.25, 0.75]
    assert any("0.25" in (tr.name or "") for tr in fig.data)


def test_mean_paths_put_state_and_guess_at_the_right_steps():
    steps, xs, x0s = np.array([3, 2, 1]), np.array([[9.0], [8.0], [7.0], [6.0]]), np.array([[1.0], [2.0], [3.0]])
    state, guess = plots.mean_paths(steps, xs, x0s, title="p").data
    assert list(state.x) == [3, 2, 1, 0] and list(state.y) == [9, 8, 7, 6]  # x_0 drawn at step 0
    assert list(guess.x) == [3, 2, 1] and list(guess.y) == [1, 2, 3] and guess.line.dash == "dash"


def test_distance_histograms_share_bins_and_floor_zero_distances():
    fig = plots.distance_histograms({"a": [0.0, 1e-3], "b": [0.1, np.inf]}, radius=0.01, title="d")
    a, b = fig.data[0], fig.data[1]
    assert list(a.x) == [-6.0, -3.0] and list(b.x) == [-1.0]  # log10, zero floored at 1e-6, inf left out
    assert a.xbins.size == b.xbins.size and fig.layout.shapes[0].x0 == -2.0


def _path_arrows(path: str) -> np.ndarray:
    """An SVG path of arrows ("M x,y L x,y ..." per arrow) as an array (arrows, points, 2)."""
    parts = [p for p in path.split("M") if p.strip()]
    return np.array([[[float(v) for v in pt.strip().lstrip("L").split(",")] for pt in part.split(" L")]
                     for part in parts])


def test_an_arrows_shape_draws_each_arrow_from_its_origin_to_its_tip_with_two_barbs_back():
    """Closed form: an arrow from o along v ends at o + v; its barbs leave the tip at 25 degrees either side of -v,
    `head` times its length long. A zero-length arrow is left out."""
    origins = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]])
    vectors = np.array([[2.0, 0.0], [0.0, 0.0], [0.0, -1.0]])
    shape = plots.arrows_shape(origins, vectors, color="#D55E00", width=1.5, name="field", head=0.3,
                               axes=("x2", "y2"))
    assert (shape["type"], shape["xref"], shape["yref"], shape["name"], shape["showlegend"]) == (
        "path", "x2", "y2", "field", False)  # its legend entry is a line trace (legend_line)
    arrows = _path_arrows(shape["path"])
    assert arrows.shape == (2, 5, 2)
    keep = [0, 2]
    np.testing.assert_allclose(arrows[:, 0], origins[keep], atol=1e-3)
    np.testing.assert_allclose(arrows[:, 1], origins[keep] + vectors[keep], atol=1e-3)
    np.testing.assert_allclose(arrows[:, 3], arrows[:, 1], atol=1e-3)  # back to the tip between the barbs
    for k, i in enumerate(keep):
        back = -vectors[i] / np.linalg.norm(vectors[i])
        for barb in (arrows[k, 2], arrows[k, 4]):
            d = barb - arrows[k, 1]
            assert abs(np.linalg.norm(d) - 0.3 * np.linalg.norm(vectors[i])) < 2e-3  # 3 decimals in the path
            assert abs(np.degrees(np.arccos(np.clip(d @ back / np.linalg.norm(d), -1, 1))) - 25) < 0.3
        side = [float(np.linalg.det(np.stack([arrows[k, j] - arrows[k, 1], back]))) for j in (2, 4)]
        assert side[0] * side[1] < 0  # one barb on each side of the shaft


def test_guidance_frames_replace_the_guided_field_alone():
    """Each frame of Guidance's fields carries only the guided step D_u - x + w (D_c - D_u) at its scale (its list of
    shapes leaves the first two, the unconditional and conditional fields, to the figure), and the figure opens on
    the active scale's; arrows are capped at ARROW_CAP."""
    grid = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    u, c = np.array([[0.1, 0.0], [0.0, 0.1], [0.2, 0.0]]), np.array([[0.0, 0.1], [0.1, 0.0], [0.0, 0.2]])
    scales = [0.0, 1.0, 3.0]
    fig = plots.fields({"grid": grid, "uncond": u, "cond": c, "axis": np.linspace(-1, 1, 3),
                        "posterior": np.full((3, 3), 0.5), "all": grid, "points": grid, "sigma": 0.2},
                       scales=scales, active=2, shape_label="dino")
    frames = [f.to_plotly_json() for f in fig.frames]
    assert [len(f["layout"]["shapes"]) for f in frames] == [3] * 3 and all("data" not in f for f in frames)
    for w, frame in zip(scales, frames):
        empty, also_empty, guided = frame["layout"]["shapes"]
        assert empty == {} and also_empty == {} and guided["xref"] == "x3"
        move = u + w * (c - u)
        cap = importlib.import_module("diffusion_core.topics.guidance.figures").ARROW_CAP  # flow has its own
        move = move * np.minimum(1, cap / np.linalg.norm(move, axis=1, keepdims=True))
        np.testing.assert_allclose(_path_arrows(guided["path"])[:, 1], grid + move, atol=1e-3)
    shown = fig.layout.shapes
    assert [s.xref for s in shown] == ["x", "x2", "x3"] and shown[2].path == frames[2]["layout"]["shapes"][2]["path"]
    np.testing.assert_allclose(_path_arrows(shown[0].path)[:, 1], grid + u, atol=1e-3)
    np.testing.assert_allclose(_path_arrows(shown[1].path)[:, 1], grid + c, atol=1e-3)


def test_score_arrows_are_at_most_nine_tenths_of_a_cell_and_weak_ones_shrink():
    origins = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    vectors = np.array([[100.0, 0.0], [1.0, 0.0], [0.1, 0.0]])  # median length 1
    fig = plots.score_field(np.linspace(0, 2, 3), np.zeros((3, 3)), origins, vectors, title="f", lim=2, cell=0.5)
    arrows = _path_arrows(fig.layout.shapes[0].path)
    lengths = arrows[:, 1, 0] - arrows[:, 0, 0]  # each arrow: origin, tip, a barb, the tip, the other barb
    assert np.allclose(lengths, [0.45, 0.45, 0.045], atol=1e-3)
    entry = [t for t in fig.data if t.name == fig.layout.shapes[0].name]  # the shape's legend entry: a line trace
    assert len(entry) == 1 and entry[0].mode == "lines" and entry[0].line.color == fig.layout.shapes[0].line.color


def test_dsm_thick_arrow_ends_at_the_noisy_point_plus_the_mean_step():
    fig = plots.dsm_arrows(np.zeros((3, 2)), [1.0, 1.0], np.ones((3, 2)), np.ones(3) / 3, [-0.5, 0.25], title="d")
    thick = next(tr for tr in fig.data if tr.name == "their weighted average: σ² × score")
    assert (thick.x[0], thick.y[0], thick.x[1], thick.y[1]) == (1.0, 1.0, 0.5, 1.25)


def test_the_core_never_imports_streamlit():
    rooms = "; ".join(f"import diffusion_core.topics.{r}.figures, diffusion_core.topics.{r}.bench" for r in ROOMS)
    code = (f"import sys, diffusion_core.figures, diffusion_core.bench, diffusion_core.cli; {rooms}; "
            "assert 'streamlit' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[1]))


def test_distance_paths_put_the_sample_on_a_zero_tick_and_floor_zero_distances():
    sig = np.array([1e3, 10.0, 0.5, 0.02, 0.0])
    near = np.array([[1400.0, 1400.0], [14.0, 14.0], [0.5, 0.4], [0.05, 0.01], [0.03, 0.0]])
    fig = plots.distance_paths(sig, near, near + 0.1, title="d", floor=1e-4)
    solid = [tr for tr in fig.data if tr.line.dash is None and tr.legendgroup]
    assert len(solid) == 2
    np.testing.assert_allclose(solid[0].x, [1e3, 10.0, 0.5, 0.02, 0.02 / 3])
    assert solid[1].y[-1] == 1e-4, "a distance of 0 is drawn at the floor"
    axis = fig.layout.xaxis
    assert axis.range[0] > axis.range[1], "noise falls from left to right"
    assert axis.ticktext[0] == "0" and axis.tickvals[0] == 0.02 / 3 and 10 ** axis.range[1] < 0.02 / 3
    noise = next(tr for tr in fig.data if tr.name.startswith("σ√2"))
    np.testing.assert_allclose(noise.y, np.sqrt(2) * np.array([1e3, 10.0, 0.5, 0.02]))


@pytest.fixture
def vector(monkeypatch):
    """Figures built with every marker trace as markers (none drawn as an image), to read their points back."""
    monkeypatch.setattr(shared, "RASTER_MIN", float("inf"))


def test_the_animation_has_a_frame_per_state_and_ends_on_the_samples(vector):
    states = RNG.normal(size=(5, 20, 2))
    fig = plots.animated_run(states, ["0", "5", "10", "15", "20"], DATA, title="run", current="steps: ")
    assert len(fig.frames) == 5 and [s.label for s in fig.layout.sliders[0].steps] == ["0", "5", "10", "15", "20"]
    np.testing.assert_allclose(_frames(fig)[2].data[0].x, states[2, :, 0])
    np.testing.assert_allclose(fig.data[-1].x, states[-1, :, 0]), "the figure opens on the samples"
    assert fig.layout.sliders[0].active == 4 and fig.layout.sliders[0].currentvalue.prefix == "steps: "


def test_the_samplers_run_scrubs_every_kept_step_in_every_panel(vector):
    states = {"a": RNG.normal(size=(4, 700, 2)), "b": RNG.normal(size=(4, 700, 2))}
    states["b"][2, :3] = np.nan  # three particles of b ran away at the third kept step
    fig = plots.follow_run(states, [0, 10, 20, 30], DATA, colors={"a": plots.SERIES[0], "b": plots.SERIES[1]}, lim=3)
    shown = plots.FOLLOW_SHOWN
    assert len(fig.frames) == 4 and [s.label for s in fig.layout.sliders[0].steps] == ["0", "10", "20", "30"]
    assert fig.layout.sliders[0].active == 3 and fig.layout.title.text.startswith("Step 30 of 30")
    for k in range(4):
        frame = _frames(fig)[k]
        assert list(frame.traces) == [2, 3] and frame.layout.title.text.startswith(f"Step {10 * k} of 30")
        np.testing.assert_allclose(frame.data[0].x, states["a"][k, :shown, 0], rtol=1e-6)
        assert frame.data[1].xaxis == "x2" and frame.data[1].yaxis == "y2"
    assert len(_frames(fig)[2].data[1].x) == shown - 3 and "3 diverged" in _frames(fig)[2].data[1].name
    np.testing.assert_allclose(fig.data[3].y, states["b"][-1, :shown, 1], rtol=1e-6)  # opens on the last step
    for i in ("", "2"):  # every panel square, on the same range
        assert fig.layout[f"yaxis{i}"].scaleanchor == f"x{i}" and list(fig.layout[f"xaxis{i}"].range) == [-3, 3]


def test_the_gan_snapshots_move_the_samples_the_bars_and_the_numbers_together():
    samples = [RNG.normal(size=(50, 2)) for _ in range(3)]
    coverage = [{"shares": np.full(8, 0.1 * k), "weights": np.full(8, 0.125), "off_mode": 0.05 * k} for k in range(3)]
    fig = plots.snapshots_run([100, 200, 300], samples, DATA, titles=["t0", "t1", "t2"], notes=["n0", "n1", "n2"],
                              coverage=coverage, color=plots.SERIES[3], active=2)
    assert fig.layout.title.text == "t2" and fig.layout.annotations[0].text == "n2"
    assert [s.label for s in fig.layout.sliders[0].steps] == ["100", "200", "300"]
    assert [t.name for t in fig.data[:2]] == ["data", "true weight"]  # static: drawn once
    for k, frame in enumerate(_frames(fig)):
        assert list(frame.traces) == [2, 3] and frame.layout.title.text == f"t{k}"
        assert frame.layout.annotations[0].text == f"n{k}"
        np.testing.assert_allclose(frame.data[0].x, samples[k][:, 0], rtol=1e-6)
        np.testing.assert_allclose(frame.data[1].y, [0.1 * k] * 8 + [0.05 * k])  # each mode's share, then "none"
    assert fig.layout.yaxis2.range[1] >= 0.2 * 1.05 - 1e-9, "the bars' axis holds the tallest share of any snapshot"


def test_a_long_thin_set_gets_a_box_of_its_shape_with_a_usable_short_side():
    thin = np.stack([np.linspace(0, 100, 50), np.linspace(0, 1, 50)], 1)
    fig = plots.points_preview(thin, title="word")
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert xr[0] < 0 and xr[1] > 100 and (yr[1] - yr[0]) >= 0.4 * (xr[1] - xr[0]) - 1e-9


def test_a_grey_image_becomes_a_png_on_the_fixed_grey_scale_with_sharp_enlarged_pixels():
    import io

    from PIL import Image

    img = np.array([[-2.5, 0.0, 2.5], [-9.0, 9.0, np.nan]])
    png = plots.grey_png(img, zrange=(-2.5, 2.5), scale=3)
    shown = np.asarray(Image.open(io.BytesIO(png)))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and shown.shape == (6, 9) and shown.dtype == np.uint8
    expected = np.array([[0, 128, 255], [0, 255, 128]])  # black at the low end, white at the high, clipped; NaN grey
    np.testing.assert_array_equal(shown[::3, ::3], expected)
    np.testing.assert_array_equal(shown, np.kron(expected, np.ones((3, 3), int)))  # every pixel a 3 x 3 block


# ---- large point clouds drawn as images ---------------------------------------------------------------------------

def _arrays(value):
    """`value` with plotly.js typed arrays ({"dtype", "bdata"}) decoded into numpy arrays."""
    if isinstance(value, dict) and set(value) in ({"dtype", "bdata"}, {"dtype", "bdata", "shape"}):
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(n) for n in value["shape"].split(",")]) if "shape" in value else out
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_arrays(v) for v in value]
    return value


def _frames(fig) -> tuple:
    """The figure's frames as Plotly's checked objects, arrays as numpy arrays (figure() leaves them unchecked and
    encoded: see _built)."""
    return tuple(go.Frame(_arrays(f.to_plotly_json())) for f in fig.frames)


def _decoded(trace) -> np.ndarray:
    """The opacity of each pixel of an image trace's PNG, row 0 first (drawn at y0), from the PNG itself."""
    from PIL import Image
    raw = base64.b64decode(trace.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"), dtype=float)[..., 3] / 255


def test_a_dot_covers_its_disc_at_its_opacity():
    """One dot: the opacities add up to its area times its opacity, centred on the point. Its edge fades over one
    pixel (coverage r + 1/2 - d, antialiasing), which adds pi/12 to the disc's pi r^2."""
    for radius, opacity, point in ((6.0, 1.0, (0.0, 0.0)), (2.5, 0.4, (0.37, -0.52)), (3.5, 0.7, (-0.81, 0.66))):
        alpha = shared.dots_alpha(np.array([point]), (-1, 1), (-1, 1), (200, 240), radius, opacity)
        assert alpha.sum() == pytest.approx(np.pi * (radius ** 2 + 1 / 12) * opacity, rel=0.01)
        rows, cols = np.indices(alpha.shape) + 0.5  # pixel centres; row 0 is the bottom
        centre = ((cols * alpha).sum() / alpha.sum() / 240 * 2 - 1, (rows * alpha).sum() / alpha.sum() / 200 * 2 - 1)
        np.testing.assert_allclose(centre, point, atol=0.3 / 200 * 2 + 1e-3)  # within a third of a pixel
        assert alpha.max() <= opacity + 1e-6  # (summed in float32)
    disc = shared.dots_alpha(np.zeros((1, 2)), (-1, 1), (-1, 1), (101, 101), 10.0, 1.0)
    assert disc[56, 56] > 0.99 and disc[58, 58] == 0, \
        "round: full 8.3 pixels from the centre along the diagonal, empty at 11.1 (a square of its area covers both)"


def test_overlapping_dots_darken_as_markers_over_each_other_do():
    """k markers of opacity a over one pixel let 1 - (1 - a)^k of the colour through (SVG's "over"), whatever the
    order; and a dot far outside the image draws nothing, one just outside only its edge."""
    for k in (1, 2, 5, 20):
        alpha = shared.dots_alpha(np.zeros((k, 2)), (-1, 1), (-1, 1), (101, 101), 4.0, 0.3)
        assert alpha[50, 50] == pytest.approx(1 - 0.7 ** k, rel=1e-6)
    assert shared.dots_alpha(np.array([[5.0, 0.0], [np.nan, 0.0]]), (-1, 1), (-1, 1), (50, 50), 3, 1).max() == 0
    edge = shared.dots_alpha(np.array([[1.02, 0.0]]), (-1, 1), (-1, 1), (100, 100), 3, 1)  # 1 pixel outside
    assert 0 < edge.sum() < np.pi * 9 / 2


def test_a_large_cloud_becomes_an_image_of_the_same_dots_with_its_legend_entry():
    pts = np.concatenate([RNG.normal(size=(400, 2)) * 0.3 + [1.5, 1.0], [[-2.0, -1.5]] * 20])
    lay = shared.layout("t", 500, **shared.square_axes(3))
    small = shared.points_trace(pts[:50], "few", shared.SERIES[1])
    fig = shared.figure([shared.data_trace(DATA), shared.points_trace(pts, "many", shared.SERIES[0], size=5), small],
                        lay)
    image, stub = fig.data[1], fig.data[4]
    assert [t.type for t in fig.data] == ["image", "image", "scatter", "scatter", "scatter"]
    assert fig.data[2].name == "few" and len(fig.data[2].x) == 50  # under RASTER_MIN points: markers still
    assert stub.name == "many" and stub.marker.color == shared.SERIES[0] and list(stub.x) == [None]
    ranks = {t.name: t.legendrank for t in fig.data if t.type == "scatter"}
    assert ranks["training data"] < ranks["many"] < ranks["few"], "the legend keeps the traces' order"
    alpha = _decoded(image)
    rows, cols = alpha.shape
    assert image.x0 - image.dx / 2 == pytest.approx(-3) and image.x0 + (cols - 0.5) * image.dx == pytest.approx(3)
    assert image.y0 - image.dy / 2 == pytest.approx(-3) and image.y0 + (rows - 0.5) * image.dy == pytest.approx(3)
    x = image.x0 + np.arange(cols) * image.dx
    y = image.y0 + np.arange(rows) * image.dy  # an image trace draws row i at y0 + i dy
    right = x[None, :] > 0
    weight = alpha * right
    centre = [(weight * x[None, :]).sum() / weight.sum(), (weight * y[:, None]).sum() / weight.sum()]
    np.testing.assert_allclose(centre, pts[:400].mean(0), atol=0.02)
    left = alpha[(y[:, None] < 0) & (x[None, :] < 0)]
    assert left.max() > 0.99, "20 dots on one spot: 1 - (1 - 0.7)^20"


def test_a_trace_that_frames_replace_is_an_image_in_every_frame_or_in_none():
    lay = shared.layout("t", 400, **shared.square_axes(3))
    many, few = RNG.normal(size=(300, 2)), RNG.normal(size=(20, 2))
    frames = [{"name": str(k), "traces": [0], "data": [shared.points_trace(p, f"step {k}", shared.SERIES[0])]}
              for k, p in enumerate((many, few, many[:150]))]
    assert [t.type for t in shared.figure([frames[0]["data"][0]], lay, frames).data] == ["scatter"], \
        "frames' traces stay markers unless asked"
    fig = shared.figure([frames[0]["data"][0]], lay, frames, raster_frames=True)
    assert fig.data[0].type == "image" and fig.data[1].name == "step 0"
    for k, frame in enumerate(_frames(fig)):
        assert list(frame.traces) == [0, 1] and frame.data[0].type == "image" and frame.data[1].name == f"step {k}"
    alpha = _decoded(_frames(fig)[1].data[0])  # 20 dots of radius 4 / 2 * RASTER_SCALE (few overlap), opacity 0.7
    assert alpha.sum() == pytest.approx(20 * np.pi * ((4 / 2 * shared.RASTER_SCALE) ** 2 + 1 / 12) * 0.7, rel=0.08), \
        "each frame draws its own dots"
    outlined = {**frames[0]["data"][0], "marker": {"color": "#0072B2", "size": 4, "line": {"width": 1}}}
    mixed = shared.figure([outlined], lay, [frames[0], {"name": "x", "traces": [0], "data": [outlined]}],
                          raster_frames=True)
    assert [f.data[0].type for f in _frames(mixed)] == ["scatter", "scatter"], "an outlined marker cannot be an image"
    free = shared.layout("t", 400, xaxis={"range": [-3, 3]}, yaxis={"range": [-1, 1]})
    assert shared.figure([shared.points_trace(many, "m", "#0072B2")], free).data[0].type == "scatter", \
        "not on one scale: its dots would not be round"


def test_a_cloud_under_another_trace_stays_markers():
    """Plotly draws images under every other trace: a cloud drawn after a contour or a ring of markers on its panel
    stays markers, so it is not hidden; on a panel of its own it becomes an image. No tick marks appear."""
    _, lay, _ = shared.square_panels(2, 3.0)
    lay = shared.layout("t", 400, **lay)
    cloud = shared.points_trace(RNG.normal(size=(300, 2)), "cloud", shared.SERIES[0])
    rings = {"type": "scatter", "mode": "markers", "x": [0.0], "y": [0.0], "name": "rings",
             "marker": {"color": "#000000", "size": 9, "symbol": "circle-open"}}
    contour = {"type": "contour", "x": [-1, 0, 1], "y": [-1, 0, 1], "z": np.eye(3), "name": "landscape"}
    for under in (rings, contour):
        fig = shared.figure([under, cloud, {**cloud, "xaxis": "x2", "yaxis": "y2"}], lay)
        assert [t.type for t in fig.data[:3]] == [under["type"], "scatter", "image"]
        assert fig.layout.xaxis2.ticks == "" and fig.layout.yaxis2.ticks == ""


def test_the_dots_keep_their_size_whatever_the_panel_s_width():
    """The image is sized for the panel on screen, the tighter of the figure's height and its width (a column's,
    given by shown_width): a dot of marker size s is s / 2 screen pixels in radius either way."""
    lay = shared.layout("t", 500, **shared.square_axes(3))  # 385 pixels of plot height between the margins
    dot = shared.points_trace(np.zeros((1, 2)), "dot", shared.SERIES[0], size=6, opacity=1.0)
    for width, screen in ((shared.FIGURE_WIDTH, 385), (300, 300 - 60 - 20)):
        with shared.shown_width(width):
            image = shared.figure([dot], lay, raster_min=1).data[0]
        alpha = _decoded(image)
        assert alpha.shape[0] == round(screen * shared.RASTER_SCALE)
        radius = 6 / 2 * shared.RASTER_SCALE  # image pixels
        assert alpha.sum() == pytest.approx(np.pi * (radius ** 2 + 1 / 12), rel=0.02)
    assert shared._SHOWN_WIDTH.get() == shared.FIGURE_WIDTH, "the width is given back after the block"


def test_any_range_or_trace_the_image_cannot_draw_stays_markers():
    """No exception and no image where the dots could not be drawn right: a range of no width, not finite or
    reversed, a log or stretched axis, a hidden trace, x and y of different lengths, huge markers, frames given as
    go.Frame objects; and a heat map after the cloud on its panel (it would cover the image)."""
    cloud = shared.points_trace(RNG.normal(size=(300, 2)), "cloud", shared.SERIES[0])
    square = shared.square_axes(3)

    def kind(trace=cloud, frames=None, **axes) -> str:
        lay = shared.layout("t", 400, xaxis={**square["xaxis"], **axes.get("x", {})},
                            yaxis={**square["yaxis"], **axes.get("y", {})})
        return shared.figure([trace] + axes.get("after", []), lay, frames).data[0].type

    assert kind() == "image"
    for bad in ([0, 0], [3, -3], [float("nan"), 1], [-np.inf, 3]):
        assert kind(x={"range": bad}) == "scatter" and kind(y={"range": bad}) == "scatter", bad
    assert kind(y={"scaleratio": 2}) == kind(x={"type": "log"}) == kind(y={"constrain": "range"}) == "scatter"
    assert kind({**cloud, "visible": "legendonly"}) == kind({**cloud, "y": cloud["y"][:-1]}) == "scatter"
    assert kind({**cloud, "marker": {**cloud["marker"], "size": 30}}) == "scatter"
    assert kind(after=[{"type": "heatmap", "z": np.eye(3)}]) == "scatter"
    import plotly.graph_objects as go
    assert kind(frames=[go.Frame(data=[cloud], name="0")]) == "scatter"


def test_huge_coordinates_draw_dots_of_the_same_size():
    """A reader's data in its own units (the Playground plots uploads as they are): the same dot at a range a
    million times wider covers as many image pixels."""
    lay = shared.layout("t", 500, **shared.square_axes(3))
    dot = shared.points_trace(np.array([[0.5, -0.5]]), "dot", shared.SERIES[0], size=6, opacity=1.0)
    wide = shared.layout("t", 500, **shared.square_axes(3e6))
    far = {**dot, "x": dot["x"] * 1e6, "y": dot["y"] * 1e6}
    small, huge = (_decoded(shared.figure([d], lay_, raster_min=1).data[0]) for d, lay_ in ((dot, lay), (far, wide)))
    assert huge.sum() == pytest.approx(small.sum(), rel=0.02) and huge.shape == small.shape


def test_a_figure_with_an_image_has_no_legend_clicks():
    """Clicking a legend entry would hide the image's empty stand-in and leave the image: clicks are off where a
    cloud is an image, and on elsewhere."""
    lay = shared.layout("t", 400, **shared.square_axes(3))
    with_image = shared.figure([shared.points_trace(RNG.normal(size=(300, 2)), "c", shared.SERIES[0])], lay)
    assert with_image.layout.legend.itemclick is False and with_image.layout.legend.itemdoubleclick is False
    without = shared.figure([shared.points_trace(RNG.normal(size=(30, 2)), "c", shared.SERIES[0])], lay)
    assert without.layout.legend.itemclick is None


def test_a_figure_carries_its_template_in_its_own_attributes():
    """What plotly_white would give is written into the figure (every axis, those only traces name too; every
    annotation; each trace by its type), what the figure says itself wins, and no template is sent."""
    tl = pio.templates["plotly_white"].layout
    lay = plots.layout("t", 300, xaxis={"title": {"text": "x"}, "gridcolor": "#123456"},
                       annotations=[{"text": "a", "x": 0, "y": 0, "showarrow": True}])
    data = [{"type": "scatter", "x": np.arange(3.0), "y": np.arange(3.0), "mode": "lines"},
            {"type": "heatmap", "z": np.ones((2, 2)), "xaxis": "x2", "yaxis": "y2"},
            {"type": "bar", "x": ["a"], "y": [1.0], "xaxis": "x3", "yaxis": "y3", "marker": {"color": "#0072B2"}}]
    spec = json.loads(plots.figure(data, lay).to_json())
    out = spec["layout"]
    assert "template" not in out and out["datarevision"] == plots.DATAREVISION
    assert out["xaxis"]["gridcolor"] == "#123456" and out["xaxis"]["title"]["text"] == "x"  # the figure's own
    for axis in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"):
        template_axis = tl.xaxis if axis.startswith("x") else tl.yaxis
        assert out[axis]["zerolinecolor"] == template_axis.zerolinecolor and out[axis]["automargin"] is True
    assert out["yaxis"]["gridcolor"] == tl.yaxis.gridcolor
    assert out["annotations"][0]["arrowhead"] == tl.annotationdefaults.arrowhead
    assert out["colorway"] == list(tl.colorway) and out["hovermode"] == tl.hovermode
    assert out["font"] == {**tl.font.to_plotly_json(), **plots.FONT}  # the figure's font over the template's
    assert out["plot_bgcolor"] == "#FFFFFF"  # the figure's own, not the template's
    assert "polar" not in out and "scene" not in out  # subplots the figure does not have
    heatmap, bar = spec["data"][1], spec["data"][2]
    assert heatmap["colorbar"]["outlinewidth"] == 0 and heatmap["colorscale"][0][1].lower() == "#0d0887"
    assert bar["marker"]["color"] == "#0072B2" and bar["marker"]["line"]["color"] == "white"
    # Plotly draws an axis line only for a colour the figure gives it, and no grid or zero line along bars' own axis
    # unless the figure gives them a colour: the template's colours, now in the figure, must not turn them on
    assert not any(out[axis]["showline"] for axis in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"))
    assert out["xaxis3"]["showgrid"] is False and out["xaxis3"]["zeroline"] is False  # the bars stand on x3
    assert all(out[axis].get(shown) is not False for axis in ("xaxis", "yaxis", "yaxis3")
               for shown in ("showgrid", "zeroline"))


def test_frames_left_unchecked_are_what_plotly_checks_and_sends(monkeypatch):
    """figure() skips Plotly's check of each frame and encodes its arrays itself (both slow in Plotly). Every
    catalogue figure with frames sends the same frames as when Plotly checks and encodes the frames it is given."""
    def catalogue():
        monkeypatch.setattr(sys.modules[__name__], "RNG", np.random.default_rng(0))  # the same figures each time
        return {name: json.loads(fig.to_json()) for name, fig in _figures.__wrapped__().items() if fig.frames}

    built = shared._built

    def checked(data, lay, frames, options):
        fig = built(data, lay, None, options)
        fig.frames = frames  # go.Figure's own check, and its encoder when sent
        return fig

    sent = catalogue()
    monkeypatch.setattr(shared, "_built", checked)
    expected = catalogue()
    assert len(sent) >= 9 and sent.keys() == expected.keys()
    for name, spec in sent.items():
        assert len(spec["frames"]) > 1 and spec["frames"] == expected[name]["frames"], name
        assert spec["data"] == expected[name]["data"] and spec["layout"] == expected[name]["layout"], name


def test_a_figure_sends_its_traces_arrays_as_plain_lists_and_its_frames_as_typed_arrays():
    """Plotly compares plain lists by `datarevision` and typed arrays by identity, so the traces' arrays are plain
    lists (NaN as a gap); frames stay compact float32 typed arrays."""
    trace = {"type": "scatter", "x": np.array([0.0, np.nan, 2.5]), "y": np.array([1.0, 2.0, 3.0], np.float32),
             "mode": "lines", "customdata": np.arange(6).reshape(3, 2)}
    frames = [{"name": "0", "data": [{"x": np.zeros(3, np.float32), "y": np.ones(3, np.float32)}], "traces": [0]}]
    spec = json.loads(plots.figure([trace], plots.layout("t", 300), frames).to_json())
    sent = spec["data"][0]
    assert sent["x"] == [0.0, None, 2.5] and sent["y"] == [1.0, 2.0, 3.0] and sent["customdata"] == [[0, 1], [2, 3],
                                                                                                     [4, 5]]
    assert spec["frames"][0]["data"][0]["x"]["dtype"] == "f4"
