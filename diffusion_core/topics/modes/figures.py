"""Figures of "Means and modes": mode coverage, the 1D posterior and its mean, copies of training points."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ...figures import (OKABE_ITO, SERIES, DATA_GREY, array, finite_rows, layout, legend_line, points_trace,
                       square_axes, vline)


def coverage_bars(shares, weights, off_mode: float, *, title: str, height: int = 300) -> go.Figure:
    """Share of samples near each mode next to the mode's true weight, and the share near none."""
    sh, w = array(shares), array(weights)
    labels = [f"{k + 1}" for k in range(len(sh))] + ["none"]
    traces = [{"type": "bar", "x": labels, "y": list(sh) + [off_mode], "name": "share of samples",
               "marker": {"color": OKABE_ITO["blue"]},
               "hovertemplate": "%{x}: %{y:.3f}<extra>share of samples</extra>"},
              {"type": "bar", "x": labels[:-1], "y": w, "name": "true weight",
               "marker": {"color": "rgba(0,0,0,0)", "line": {"color": OKABE_ITO["vermillion"], "width": 2}},
               "hovertemplate": "%{x}: %{y:.3f}<extra>true weight</extra>"}]
    lay = layout(title, height, title_size=15, legend_y=-0.32, barmode="overlay", bargap=0.25,
                 margin={"l": 55, "r": 10, "t": 50, "b": 45},
                 xaxis={"title": {"text": "mode (within 3 std of it)"}, "type": "category", "tickangle": 0},
                 yaxis={"title": {"text": "share"}, "range": [0, max(1.05 * max(sh.max(), w.max(), off_mode), 0.05)]})
    return go.Figure(data=traces, layout=lay)


def posterior_bars(grid, prob, *, mean: float, title: str, prior=None, learned_mean: float | None = None,
                   observed: float | None = None, height: int = 420) -> go.Figure:
    """p(x0 | x_t) as bars over bins centred on `grid`, with E[x0 | x_t] as a dashed line.

    `prob` is the probability of each bin; `prior` (same grid) draws p(x0) as a faint outline;
    `learned_mean` a dotted line for the network's estimate; `observed` a thin line at x_t / sqrt(ab).
    """
    g, p = array(grid), array(prob)
    width = float(g[1] - g[0]) if len(g) > 1 else 1.0
    traces = [{"type": "bar", "x": g, "y": p, "width": width, "name": "posterior p(x₀ | x_t), per bin",
               "marker": {"color": OKABE_ITO["sky_blue"], "line": {"width": 0}},
               "hovertemplate": "x₀ = %{x:.2f}: %{y:.3f}<extra>posterior</extra>"}]
    if prior is not None:
        traces.append({"type": "scatter", "x": g, "y": array(prior), "mode": "lines", "name": "prior p(x₀), per bin",
                       "line": {"color": DATA_GREY, "width": 1.5, "shape": "hvh"}, "hoverinfo": "skip"})
    shapes = [vline(mean, OKABE_ITO["vermillion"], "dash")]
    traces.append(legend_line(f"E[x₀ | x_t] = {mean:.2f} (exact)", OKABE_ITO["vermillion"], "dash"))
    if learned_mean is not None:
        shapes.append(vline(learned_mean, OKABE_ITO["black"], "dot"))
        traces.append(legend_line(f"network's x̂₀ = {learned_mean:.2f}", OKABE_ITO["black"], "dot"))
    if observed is not None:
        shapes.append(vline(observed, OKABE_ITO["bluish_green"], "solid", 1.2))
        traces.append(legend_line(f"x_t / √ᾱ_t = {observed:.2f}", OKABE_ITO["bluish_green"], "solid"))
    top = max(float(p.max()), float(array(prior).max()) if prior is not None else 0.0)
    lay = layout(title, height, legend_y=-0.2, shapes=shapes, bargap=0,
                 xaxis={"title": {"text": "clean value x₀"}, "range": [float(g[0] - width), float(g[-1] + width)]},
                 yaxis={"title": {"text": "probability per bin"}, "range": [0, 1.08 * top if top > 0 else 1]})
    return go.Figure(data=traces, layout=lay)


def mean_paths(steps, xs, x0s, *, title: str, modes=None, T: int | None = None, height: int = 420) -> go.Figure:
    """1D reverse runs against the step: x_t solid and E[x0 | x_t] dashed, one colour per run.

    `steps` (S,) are the 1-based steps the predictions were made at, `xs` (S + 1, K) the states from
    x_T to x_0 and `x0s` (S, K) the predictions; time runs left to right from T to 0.
    """
    at, x, x0 = array(steps), array(xs).reshape(len(steps) + 1, -1), array(x0s).reshape(len(steps), -1)
    state_t = np.concatenate([at, [0.0]])  # state i is at the step of prediction i; x_0 at step 0
    traces = []
    for k in range(x.shape[1]):
        color = SERIES[k % len(SERIES)]
        traces.append({"type": "scatter", "x": state_t, "y": x[:, k], "mode": "lines",
                       "name": "x_t, the noisy state", "legendgroup": "x", "showlegend": k == 0,
                       "line": {"color": color, "width": 1.2}, "opacity": 0.55, "hoverinfo": "skip"})
        traces.append({"type": "scatter", "x": at, "y": x0[:, k], "mode": "lines",
                       "name": "E[x₀ | x_t], the running guess", "legendgroup": "x0", "showlegend": k == 0,
                       "line": {"color": color, "width": 2.4, "dash": "dash"}, "hoverinfo": "skip"})
    shapes = [{"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": m, "y1": m,
               "line": {"color": "#BBBBBB", "width": 1}} for m in ([] if modes is None else array(modes).ravel())]
    top = float(T if T is not None else at.max())
    lay = layout(title, height, legend_y=-0.22, shapes=shapes,
                 margin={"l": 60, "r": 20, "t": 60, "b": 70},
                 xaxis={"title": {"text": "step t (noise → data)"}, "range": [top, 0]},
                 yaxis={"title": {"text": "value"}, "range": [-3.5, 3.5]})
    return go.Figure(data=traces, layout=lay)


def distance_histograms(series: Mapping[str, object], *, title: str, radius: float | None = None,
                        height: int = 380) -> go.Figure:
    """Histograms of log10 nearest-training-point distances for named sets, with the copy radius."""
    traces, lo, hi = [], math.inf, -math.inf
    logs = {}
    for name, d in series.items():
        v = array(d)
        v = np.log10(np.clip(v[np.isfinite(v)], 1e-6, None))
        logs[name] = v
        if len(v):
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    if not math.isfinite(lo):
        lo, hi = -6.0, 1.0
    size = max((hi - lo) / 40, 0.02)
    for i, (name, v) in enumerate(logs.items()):
        traces.append({"type": "histogram", "x": v, "name": name, "histnorm": "probability", "opacity": 0.6,
                       "xbins": {"start": lo - size, "end": hi + size, "size": size},
                       "marker": {"color": SERIES[i % len(SERIES)]},
                       "hovertemplate": "log₁₀ distance %{x}<br>share %{y:.3f}<extra>" + name + "</extra>"})
    shapes = []
    if radius is not None and radius > 0:
        shapes.append(vline(math.log10(radius), OKABE_ITO["black"], "dash", 1.5))
        traces.append(legend_line(f"copy radius {radius:.2g}", OKABE_ITO["black"], "dash"))
    lay = layout(title, height, legend_y=-0.24, barmode="overlay", shapes=shapes,
                 margin={"l": 60, "r": 20, "t": 60, "b": 70},
                 xaxis={"title": {"text": "log₁₀ distance to the nearest training point (floor 10⁻⁶)"}},
                 yaxis={"title": {"text": "share of points"}})
    return go.Figure(data=traces, layout=lay)


def memorization_panel(samples, train, *, title: str, color: str = SERIES[0], lim: float = 2.6,
                       height: int = 400) -> go.Figure:
    """Samples over the training points, drawn as open circles underneath so copies show inside them."""
    t = finite_rows(train)
    ring = {"type": "scatter", "x": t[:, 0], "y": t[:, 1], "mode": "markers",
            "name": f"the {len(t):,} training points",
            "marker": {"symbol": "circle-open", "color": OKABE_ITO["black"], "size": 11 if len(t) <= 200 else 6,
                       "line": {"width": 1.5 if len(t) <= 200 else 0.8}},
            "hovertemplate": "(%{x:.3f}, %{y:.3f})<extra>training point</extra>"}
    lay = layout(title, height, title_size=15, legend_y=-0.2, margin={"l": 50, "r": 10, "t": 50, "b": 45}, **square_axes(lim))
    return go.Figure(data=[ring, points_trace(samples, "samples", color, size=4, opacity=0.6)], layout=lay)
