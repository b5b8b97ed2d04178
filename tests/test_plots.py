"""diffusion_core.plots: every figure has a title, labelled axes, a legend when it has several
traces, equal aspect for 2D point clouds, Okabe-Ito colours; and it never imports Streamlit."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from diffusion_core import plots

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
        "denoising_step": plots.denoising_step(DATA, POINTS, POINTS * 0.5, title="step"),
        "drift_field": plots.drift_field(grid, -grid, POINTS, title="drift"),
        "schedule_curves": plots.schedule_curves(curves, title="schedules", marker=0.3),
        "trajectories": plots.trajectories(RNG.normal(size=(11, 4, 2)), title="paths", data=DATA),
        "samples_panel": plots.samples_panel(torch.from_numpy(POINTS), DATA, title="samples"),
        "loss_curve": plots.loss_curve([1, 2, 3], [1.0, 0.5, 0.25], title="loss"),
    }


SQUARE = {"point_clouds", "denoising_step", "drift_field", "trajectories", "samples_panel"}


@pytest.mark.parametrize("name", list(_figures()))
def test_figure_is_labelled(name):
    fig = _figures()[name]
    layout = fig.layout
    assert layout.title.text
    axes = [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]
    assert axes
    for axis in axes:
        assert layout[axis].title.text, f"{name}: {axis} has no label"
    shown = [tr for tr in fig.data if tr.showlegend is not False]
    if len(fig.data) > 1:
        assert layout.showlegend is not False and len(shown) >= 2, f"{name}: several traces, no legend"
    if name in SQUARE:
        assert layout.yaxis.scaleanchor == "x" and layout.yaxis.scaleratio == 1
        assert list(layout.xaxis.range) == list(layout.yaxis.range)


@pytest.mark.parametrize("name", list(_figures()))
def test_colours_are_okabe_ito_or_grey(name):
    allowed = {c.upper() for c in plots.OKABE_ITO.values()} | {plots.DATA_GREY.upper()}
    for trace in _figures()[name].data:
        for color in (getattr(trace.marker, "color", None), getattr(trace.line, "color", None)):
            colors = color if isinstance(color, (list, tuple)) else [color]
            for c in colors:
                if isinstance(c, str):
                    assert c.upper() in allowed, f"{name}: {c} is not in the palette"


def test_non_finite_points_are_dropped_and_counted_in_the_legend():
    pts = np.array([[0.0, 0.0], [np.nan, 1.0], [np.inf, 0.0], [1.0, 1.0]])
    fig = plots.samples_panel(pts, title="x")
    assert len(fig.data[0].x) == 2 and np.isfinite(np.asarray(fig.data[0].x, dtype=float)).all()
    assert "2 diverged, not shown" in fig.data[0].name and fig.data[0].showlegend
    assert "diverged" not in plots.samples_panel(pts[[0, 3]], title="x").data[0].name


def test_drift_arrows_end_at_origin_plus_drift():
    origins, drift = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0], [0.0, -2.0]])
    arrows = plots.drift_field(origins, drift, title="x").data[-1]
    xy = np.stack([np.array(arrows.x, dtype=float), np.array(arrows.y, dtype=float)], 1).reshape(-1, 7, 2)
    assert len(xy) == 2  # the zero-length arrow is left out
    np.testing.assert_allclose(xy[:, 0], origins[[0, 2]])
    np.testing.assert_allclose(xy[:, 1], origins[[0, 2]] + drift[[0, 2]])


def test_plots_never_imports_streamlit():
    code = "import sys, diffusion_core.plots; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[1]))
