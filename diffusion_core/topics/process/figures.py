"""Figures of "The diffusion process": the ideal drift, the schedules, particle paths."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ...figures import (
    DEFAULT_LIM,
    OKABE_ITO,
    SERIES,
    array,
    arrow_segments,
    data_trace,
    layout,
    points_trace,
    square_axes,
)


def drift_field(origins, drift, x_t=None, *, title: str, arrow_scale: float = 1.0,
                lim: float = DEFAULT_LIM, height: int = 540) -> go.Figure:
    """Arrows from `origins` along `drift` (e.g. E[x0 | x_t] - x_t), over the noisy points x_t."""
    g, v = array(origins).reshape(-1, 2), array(drift).reshape(-1, 2) * arrow_scale
    ok = np.isfinite(g).all(1) & np.isfinite(v).all(1)
    traces = [] if x_t is None else [points_trace(x_t, "x_t, the noised data", OKABE_ITO["blue"], 4, 0.4)]
    ax, ay = arrow_segments(g[ok], v[ok])
    label = "drift E[x₀ | x_t] − x_t" + ("" if arrow_scale == 1 else f" (length × {arrow_scale:.2g})")
    traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "name": label, "hoverinfo": "skip",
                   "line": {"color": OKABE_ITO["vermillion"], "width": 1.4}})
    return go.Figure(data=traces, layout=layout(title, height, **square_axes(lim)))


def schedule_curves(curves: Mapping[str, tuple], *, title: str, marker: float | None = None,
                    height: int = 380) -> go.Figure:
    """alpha_bar(t) and log10 SNR(t) against t / T for named schedules, side by side.

    `curves` maps a schedule name to (alpha_bar, snr) arrays over its steps; `marker` draws a
    dotted vertical line at that t / T on both panels.
    """
    traces = []
    for i, (name, (alpha_bar, snr)) in enumerate(curves.items()):
        ab, sn = array(alpha_bar), array(snr)
        frac = np.arange(1, len(ab) + 1) / len(ab)
        line = {"color": SERIES[i % len(SERIES)], "width": 2.5, "dash": ("solid", "dash", "dot", "dashdot")[i % 4]}
        common = {"type": "scatter", "mode": "lines", "name": name, "legendgroup": name, "line": line}
        traces.append({**common, "x": frac, "y": ab,
                       "hovertemplate": "t/T = %{x:.2f}<br>ᾱ = %{y:.3f}<extra>" + name + "</extra>"})
        traces.append({**common, "x": frac, "y": np.log10(np.clip(sn, 1e-12, None)), "showlegend": False,
                       "xaxis": "x2", "yaxis": "y2",
                       "hovertemplate": "t/T = %{x:.2f}<br>log₁₀ SNR = %{y:.2f}<extra>" + name + "</extra>"})
    xlabel = {"text": "t / T (0 = clean)"}
    # SNR = 1 (log10 SNR = 0): above it signal dominates, below it noise does
    shapes = [{"type": "line", "xref": "x2", "yref": "y2", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
               "line": {"color": "#BBBBBB", "width": 1}}]
    if marker is not None:
        shapes += [{"type": "line", "xref": ax, "yref": f"{ay} domain", "x0": marker, "x1": marker,
                    "y0": 0, "y1": 1, "line": {"color": "#555555", "width": 1.2, "dash": "dot"}}
                   for ax, ay in (("x", "y"), ("x2", "y2"))]
    panel_titles = [{"text": text, "xref": "paper", "yref": "paper", "x": x, "y": 1.0, "xanchor": "center",
                     "yanchor": "bottom", "showarrow": False, "font": {"size": 14}}
                    for text, x in (("signal kept ᾱ(t)", 0.21), ("signal-to-noise ratio", 0.79))]
    lay = layout(title, height, legend_y=-0.24, shapes=shapes, annotations=panel_titles,
                 margin={"l": 60, "r": 20, "t": 80, "b": 60},
                 xaxis={"title": xlabel, "range": [0, 1], "domain": [0, 0.42]},
                 yaxis={"title": {"text": "ᾱ(t)"}, "range": [0, 1.03]},
                 xaxis2={"title": xlabel, "range": [0, 1], "domain": [0.58, 1], "anchor": "y2"},
                 yaxis2={"title": {"text": "log₁₀ SNR(t)"}, "anchor": "x2"})
    return go.Figure(data=traces, layout=lay)


def trajectories(paths, *, title: str, data=None, lim: float = DEFAULT_LIM,
                 height: int = 540) -> go.Figure:
    """Particle paths (S + 1, K, 2) from x_T (open circle) to x_0 (diamond) over the faint data."""
    p = array(paths)
    colors = [SERIES[k % len(SERIES)] for k in range(p.shape[1])]
    traces = [] if data is None else [data_trace(data)]
    traces += [{"type": "scatter", "x": p[:, k, 0], "y": p[:, k, 1], "mode": "lines",
                "name": "path of a particle", "legendgroup": "path", "showlegend": k == 0, "opacity": 0.85,
                "line": {"color": colors[k], "width": 1.6}, "hoverinfo": "skip"} for k in range(p.shape[1])]
    traces.append({"type": "scatter", "x": p[0, :, 0], "y": p[0, :, 1], "mode": "markers",
                   "name": "start x_T (pure noise)",
                   "marker": {"symbol": "circle-open", "size": 11, "color": "#000000", "line": {"width": 2}}})
    traces.append({"type": "scatter", "x": p[-1, :, 0], "y": p[-1, :, 1], "mode": "markers",
                   "name": "end x₀ (a sample)",
                   "marker": {"symbol": "diamond", "size": 11, "color": colors,
                              "line": {"width": 1, "color": "#000000"}}})
    return go.Figure(data=traces, layout=layout(title, height, **square_axes(lim)))
