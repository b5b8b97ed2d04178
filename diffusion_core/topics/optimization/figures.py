"""Figures of "Sampling as optimization": quality against compute, distances along runs, momentum."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import OKABE_ITO, SERIES, DATA_GREY, array, layout, legend_line, low_legend, vline


def quality_vs_compute(curves: Mapping[str, tuple], *, title: str, exact: Mapping[str, tuple] | None = None,
                       floor: float = 1e-4, height: int = 420) -> go.Figure:
    """Energy distance against network evaluations (both log), one colour per sampler; the exact
    denoiser's curves, when given, dashed in the same colours. ED below `floor` (it can dip below 0,
    being unbiased) is drawn at the floor."""
    traces = []
    for group, dash in ((curves, "solid"), (exact or {}, "dash")):
        for i, (name, (nfe, ed)) in enumerate(group.items()):
            label = name if dash == "solid" else f"{name}, exact score"
            traces.append({"type": "scatter", "x": array(nfe), "y": np.maximum(array(ed), floor), "mode": "lines+markers",
                           "name": label, "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": dash},
                           "marker": {"size": 6}, "hovertemplate": "%{x} evaluations: ED %{y:.4f}<extra>" + label + "</extra>"})
    return go.Figure(data=traces, layout=low_legend(layout(
        title, height, xaxis={"title": {"text": "network evaluations per sample (compute)"}, "type": "log"},
        yaxis={"title": {"text": "energy distance to the data (lower is better)"}, "type": "log",
               "exponentformat": "power"}), -0.28))


def distance_paths(sigmas, nearest, smoothed, *, title: str, floor: float = 1e-4, max_sigma: float = 200.0,
                   height: int = 440) -> go.Figure:
    """Distance to the data along a few sampler runs, against the noise level (log-log, noise falling left to right).

    `sigmas` (S + 1,) are the noise levels of the states, the last one 0 (the sample); `nearest` and
    `smoothed` are (S + 1, k): the distance of each of k runs to its nearest training point (solid)
    and the smoothed distance at that state's noise level (dashed), one colour per run. The sample
    (sigma = 0) is drawn at a third of the smallest noise level, on a tick labelled "0"; distances
    under `floor` are drawn at the floor. A dotted line marks sigma * sqrt(2), the typical length of
    the noise in 2D. The legend names the line styles; runs are told apart by colour only. The view starts
    at `max_sigma`: above it every run is pure noise on the dotted line (the cosine schedule's first state
    has sigma of about 20,000), and the interesting part is at sigma of a few units and below.
    """
    sig, near, smooth = array(sigmas), array(nearest), array(smoothed)
    s_min = float(sig[sig > 0].min())
    x = np.where(sig > 0, sig, s_min / 3)
    traces = []
    for j in range(near.shape[1]):
        color = SERIES[j % len(SERIES)]
        name = f"sample {j + 1}"
        traces.append({"type": "scatter", "x": x, "y": np.maximum(near[:, j], floor), "mode": "lines+markers",
                       "name": name, "legendgroup": name, "showlegend": False, "line": {"color": color, "width": 2},
                       "marker": {"size": 4},
                       "hovertemplate": "σ = %{x:.3g}: nearest point at %{y:.3g}<extra>" + name + "</extra>"})
        traces.append({"type": "scatter", "x": x[:-1], "y": np.maximum(smooth[:-1, j], floor), "mode": "lines",
                       "name": name, "legendgroup": name, "showlegend": False,
                       "line": {"color": color, "width": 1.6, "dash": "dash"},
                       "hovertemplate": "σ = %{x:.3g}: smoothed distance %{y:.3g}<extra>" + name + "</extra>"})
    traces.append({"type": "scatter", "x": x[:-1], "y": np.sqrt(2) * x[:-1], "mode": "lines", "name": "σ√2 (noise length)",
                   "line": {"color": DATA_GREY, "width": 1.5, "dash": "dot"}, "hoverinfo": "skip"})
    traces.append(legend_line("solid: to the nearest training point", OKABE_ITO["black"], "solid"))
    traces.append(legend_line("dashed: smoothed distance", OKABE_ITO["black"], "dash"))
    x_hi = min(float(sig.max()), max_sigma) * 1.3
    decades = np.arange(math.floor(math.log10(s_min)), math.ceil(math.log10(x_hi)) + 1)
    shown = [d for d in decades if s_min / 1.5 <= 10.0**d <= x_hi]
    ticks = [s_min / 3] + [10.0**d for d in shown]
    labels = ["0"] + [f"10<sup>{int(d)}</sup>" for d in shown]
    return go.Figure(data=traces, layout=low_legend(layout(
        title, height,
        xaxis={"title": {"text": "noise level σ of the state (falls as sampling runs →)"}, "type": "log",
               "range": [math.log10(x_hi), math.log10(s_min / 4)], "tickvals": ticks, "ticktext": labels},
        yaxis={"title": {"text": "distance to the training points"}, "type": "log", "exponentformat": "power"}), -0.3))


def momentum_curve(gammas, curves: Mapping[str, Sequence[float]], *, chosen: float, title: str,
                   floor: float = 1e-4, height: int = 380) -> go.Figure:
    """Energy distance against the momentum gamma (log y), one line per denoiser, with the chosen gamma
    as a dotted vertical line; gamma = 1 is plain DDIM."""
    traces = []
    for i, (name, ed) in enumerate(curves.items()):
        traces.append({"type": "scatter", "x": array(gammas), "y": np.maximum(array(ed), floor), "mode": "lines+markers",
                       "name": name, "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": ("solid", "dash")[i % 2]},
                       "marker": {"size": 7}, "hovertemplate": "γ = %{x}: ED %{y:.4f}<extra>" + name + "</extra>"})
    traces.append(legend_line(f"chosen γ = {chosen:g}", OKABE_ITO["black"], "dot"))
    return go.Figure(data=traces, layout=low_legend(layout(
        title, height, shapes=[vline(chosen, OKABE_ITO["black"], "dot")],
        xaxis={"title": {"text": "momentum γ (1 = plain DDIM)"}, "dtick": 0.25},
        yaxis={"title": {"text": "energy distance to the data"}, "type": "log", "exponentformat": "power"}), -0.28))
