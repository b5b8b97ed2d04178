"""Figures of "Means and modes": mode coverage, the 1D posterior and its mean, copies of training points."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import (
    DATA_GREY,
    OKABE_ITO,
    SERIES,
    array,
    data_trace,
    figure,
    layout,
    legend_line,
    points_trace,
    scrubbed,
    square_axes,
    vline,
)


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
    return figure(data=traces, layout=lay)


def snapshots_run(steps: Sequence[int], samples: Sequence, data, *, titles: Sequence[str], notes: Sequence[str],
                  coverage: Sequence[Mapping] | None, color: str, active: int, lim: float = 2.6) -> go.Figure:
    """A generator's samples at each kept snapshot of its training over the faint data, scrubbed in the browser by
    the figure's own slider; with `coverage` (one {"shares", "weights", "off_mode"} per snapshot, as
    `coverage_bars` takes) the share of samples near each mode under them, against the true weights. `titles[k]`
    and `notes[k]` (a line under the samples: say the energy distance) go with snapshot k. Opens on `active`."""
    bars = coverage is not None
    top = [0.58, 1.0] if bars else [0.12, 1.0]
    square = square_axes(lim)
    # the margin is set, not pushed by the tick labels: the note under the samples starts at the plot's left edge and
    # needs the width to its right
    axes = {"xaxis": {**square["xaxis"], "anchor": "y"},
            "yaxis": {**square["yaxis"], "domain": top, "anchor": "x", "automargin": False}}
    static = [] if data is None else [data_trace(data, "data")]
    if bars:
        weights = array(coverage[0]["weights"])
        labels = [f"{k + 1}" for k in range(len(weights))] + ["none"]
        static.append({"type": "bar", "x": labels[:-1], "y": weights, "name": "true weight", "xaxis": "x2",
                       "yaxis": "y2", "marker": {"color": "rgba(0,0,0,0)",
                                                 "line": {"color": OKABE_ITO["vermillion"], "width": 2}},
                       "hovertemplate": "%{x}: %{y:.3f}<extra>true weight</extra>"})
        peak = max(max(float(array(c["shares"]).max()), float(c["off_mode"])) for c in coverage)
        axes |= {"xaxis2": {"title": {"text": "mode (within 3 std of it)"}, "type": "category", "anchor": "y2"},
                 "yaxis2": {"title": {"text": "share"}, "domain": [0.06, 0.3], "anchor": "x2", "automargin": False,
                            "range": [0, max(1.05 * max(peak, float(weights.max())), 0.05)]}}

    def moving(k: int) -> list[dict]:
        out = [points_trace(samples[k], "samples", color, size=3.5, opacity=0.55)]
        if bars:
            c = coverage[k]
            out.append({"type": "bar", "x": labels, "y": [*map(float, c["shares"]), float(c["off_mode"])],
                        "name": "share of samples near each mode", "xaxis": "x2", "yaxis": "y2",
                        "marker": {"color": OKABE_ITO["blue"]},
                        "hovertemplate": "%{x}: %{y:.3f}<extra>share of samples</extra>"})
        return out

    def note(k: int) -> dict:
        return {"annotations": [{"text": notes[k], "xref": "paper", "yref": "paper", "x": 0, "xanchor": "left",
                                 "y": 0.46 if bars else 0.0, "yanchor": "top",
                                 "showarrow": False, "font": {"size": 14}}]}

    n = len(steps)
    frames, slider = scrubbed([moving(k) for k in range(n)], traces=range(len(static), len(static) + len(moving(0))),
                              labels=[f"{s:,}" for s in steps], active=active, prefix="Snapshot after steps: ",
                              y=-0.1 if bars else -0.2, titles=titles, layouts=[note(k) for k in range(n)])
    lay = layout(titles[active], 840 if bars else 560, title_size=15, legend_y=-0.25 if bars else -0.46,
                 barmode="overlay", bargap=0.25, margin={"l": 55, "r": 18, "t": 50, "b": 245 if bars else 150},
                 sliders=[slider], **axes, **note(active))
    # its traces and layout unchecked too (figure() never has Plotly check frames)
    return figure(data=static + moving(active), layout=lay, frames=frames, _validate=False)


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
    return figure(data=traces, layout=lay)


def mean_paths(steps, xs, x0s, *, title: str, modes=None, T: int | None = None, height: int = 420,
               guess_name: str = "E[x₀ | x_t], the running guess") -> go.Figure:
    """1D reverse runs against the step: x_t solid and the guess of x0 dashed (named `guess_name`: the exact
    posterior mean, or a network's x0_hat), one colour per run.

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
                       "name": guess_name, "legendgroup": "x0", "showlegend": k == 0,
                       "line": {"color": color, "width": 2.4, "dash": "dash"}, "hoverinfo": "skip"})
    shapes = [{"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": m, "y1": m,
               "line": {"color": "#BBBBBB", "width": 1}} for m in ([] if modes is None else array(modes).ravel())]
    top = float(T if T is not None else at.max())
    lay = layout(title, height, legend_y=-0.22, shapes=shapes,
                 margin={"l": 60, "r": 20, "t": 60, "b": 70},
                 xaxis={"title": {"text": "step t (noise → data)"}, "range": [top, 0]},
                 yaxis={"title": {"text": "value"}, "range": [-3.5, 3.5]})
    return figure(data=traces, layout=lay)


def error_map_1d(steps, values, error, *, near: float, title: str, cap: float = 1.0, height: int = 380) -> go.Figure:
    """|network - exact| over steps t (x, from T down to 0, as the reverse process runs) and noisy values x_t (y),
    capped at `cap`, with a contour where it crosses `near`."""
    st_, v, e = array(steps), array(values), np.clip(array(error), 0, cap)
    traces = [{"type": "heatmap", "x": st_, "y": v, "z": e, "colorscale": "Viridis", "zmin": 0, "zmax": cap,
               "name": "|network − exact|", "colorbar": {"title": {"text": "|x̂₀ − E[x₀ | x_t]|", "side": "right"},
                                                         "thickness": 12, "len": 0.8},
               "hovertemplate": "t = %{x}, x_t = %{y:.2f}: %{z:.2f}<extra></extra>"},
              {"type": "contour", "x": st_, "y": v, "z": e, "showscale": False, "name": f"error = {near:g}",
               "contours": {"coloring": "none", "start": near, "end": near, "size": 1}, "showlegend": True,
               "line": {"color": OKABE_ITO["orange"], "width": 2}, "hoverinfo": "skip"}]
    return figure(data=traces, layout=layout(
        title, height, legend_y=-0.24, margin={"l": 60, "r": 20, "t": 60, "b": 80},
        xaxis={"title": {"text": "step t (noise → data)"}, "range": [float(st_.max()), 0]},
        yaxis={"title": {"text": "noisy value x_t"}}))


def training_curves(curves: Mapping[str, dict], *, modes: int, floor: float, title: str,
                    height: int = 380) -> go.Figure:
    """Energy distance (left, log) and modes hit (right) against the training step, one line per generator;
    a grey band up to `floor`, where fresh data scores."""
    traces = []
    for i, (name, c) in enumerate(curves.items()):
        color = (SERIES[3], SERIES[0])[i % 2]
        common = {"type": "scatter", "mode": "lines+markers", "name": name, "legendgroup": name,
                  "line": {"color": color, "width": 2.2}, "marker": {"size": 6}}
        traces.append({**common, "x": array(c["steps"]), "y": np.maximum(array(c["ed"]), floor / 10),
                       "hovertemplate": "step %{x}: ED %{y:.4f}<extra>" + name + "</extra>"})
        traces.append({**common, "x": array(c["steps"]), "y": array(c["modes"]), "xaxis": "x2", "yaxis": "y2",
                       "showlegend": False, "hovertemplate": "step %{x}: %{y} modes<extra>" + name + "</extra>"})
    band = {"type": "rect", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": floor / 10, "y1": floor,
            "fillcolor": DATA_GREY, "opacity": 0.18, "line": {"width": 0}, "layer": "below"}
    traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "opacity": 0.4,
                   "name": f"fresh data scores up to {floor:.4f}", "marker": {"symbol": "square", "size": 14,
                                                                               "color": DATA_GREY}})
    lay = layout(title, height, legend_y=-0.26, shapes=[band], margin={"l": 60, "r": 20, "t": 60, "b": 90},
                 xaxis={"title": {"text": "training step"}, "domain": [0, 0.46]},
                 yaxis={"title": {"text": "energy distance"}, "type": "log", "exponentformat": "power"},
                 xaxis2={"title": {"text": "training step"}, "domain": [0.56, 1], "anchor": "y2"},
                 yaxis2={"title": {"text": f"modes hit (of {modes})"}, "anchor": "x2", "range": [0, modes + 0.5],
                         "dtick": 1})
    return figure(data=traces, layout=lay)
