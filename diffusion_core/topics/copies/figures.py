"""Figures of "Regurgitation": samples over their training points, distances to them, the repeated point."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import (
    DATA_GREY,
    OKABE_ITO,
    SERIES,
    array,
    figure,
    finite_rows,
    layout,
    legend_line,
    points_trace,
    square_axes,
    vline,
)


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
    return figure(data=traces, layout=lay)


def memorization_panel(samples, train, *, title: str, color: str = SERIES[0], lim: float = 2.6,
                       height: int = 400, highlight=None) -> go.Figure:
    """Samples over the training points, drawn as open circles underneath so copies show inside them; an
    optional point to `highlight` (a star)."""
    t = finite_rows(train)
    ring = {"type": "scatter", "x": t[:, 0], "y": t[:, 1], "mode": "markers",
            "name": f"the {len(t):,} training points",
            "marker": {"symbol": "circle-open", "color": OKABE_ITO["black"], "size": 11 if len(t) <= 200 else 6,
                       "line": {"width": 1.5 if len(t) <= 200 else 0.8}},
            "hovertemplate": "(%{x:.3f}, %{y:.3f})<extra>training point</extra>"}
    traces = [ring, points_trace(samples, "samples", color, size=4, opacity=0.6)]
    if highlight is not None:
        h = array(highlight).reshape(-1, 2)
        traces.append({"type": "scatter", "x": h[:, 0], "y": h[:, 1], "mode": "markers", "name": "the repeated point",
                       "marker": {"symbol": "star", "size": 18, "color": OKABE_ITO["orange"],
                                  "line": {"width": 1.5, "color": OKABE_ITO["black"]}}})
    lay = layout(title, height, title_size=15, legend_y=-0.2, margin={"l": 50, "r": 10, "t": 50, "b": 45},
                 **square_axes(lim))
    return figure(data=traces, layout=lay)


def repeated_share(curve: Mapping[str, Sequence[float]], *, title: str, set_size: int,
                   height: int = 460) -> go.Figure:
    """The share of samples landing on the repeated point against how many times it is in the set (log x):
    network, ideal denoiser, the point's share of the set (dashed), fresh data (dotted)."""
    k = array(curve["copies"])
    lines = [("trained network", curve["network_share"], SERIES[0], "solid"),
             ("ideal denoiser", curve["ideal_share"], SERIES[1], "solid"),
             ("its share of the training set", curve["set_share"], OKABE_ITO["black"], "dash"),
             ("fresh data (chance)", curve["fresh_share"], DATA_GREY, "dot")]
    traces = [{"type": "scatter", "x": k, "y": array(y), "mode": "lines+markers", "name": name,
               "line": {"color": color, "width": 2.2, "dash": dash}, "marker": {"size": 6},
               "hovertemplate": "%{x} copies: %{y:.3f}<extra>" + name + "</extra>"} for name, y, color, dash in lines]
    return figure(data=traces, layout=layout(
        title, height, legend_y=-0.22, margin={"l": 60, "r": 20, "t": 60, "b": 110},
        xaxis={"title": {"text": f"copies of the point in the set of {set_size}"}, "type": "log"},
        yaxis={"title": {"text": "share on the point"}, "range": [0, 1]}))
