"""Figures of "Where the loss comes from": the bound's weights, the targets' weights, the draws of noise levels,
and what each trained setting gets right."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import DATA_GREY, SERIES, array, figure, layout, low_legend

LAMBDA_AXIS = {"title": {"text": "log-SNR λ   (← noisier · cleaner →)"}, "zeroline": False}
DASHES = ("solid", "dash", "dot", "dashdot")


def _line(x, y, name: str, color: str, dash: str = "solid", hover: str = "") -> dict:
    return {"type": "scatter", "x": array(x), "y": array(y), "mode": "lines", "name": name,
            "line": {"color": color, "width": 2.2, "dash": dash},
            "hovertemplate": hover + "<extra>" + name + "</extra>"}


def elbo_weights(t, elbo, uniform, *, title: str, height: int = 380) -> go.Figure:
    """Each step's share of the bound (ELBO weights) beside its share of L_simple (uniform), log scale."""
    traces = [_line(t, elbo, "ELBO weight (Ho et al. eq. 5, written in ε)", SERIES[0], hover="t = %{x}: %{y:.2e}"),
              _line(t, uniform, "L_simple: every step alike (eq. 14)", SERIES[1], "dash", "t = %{x}: %{y:.2e}")]
    return figure(data=traces, layout=low_legend(layout(
        title, height, xaxis={"title": {"text": "step t (noisier →)"}},
        yaxis={"title": {"text": "share of the loss on step t"}, "type": "log", "exponentformat": "power"}), -0.3))


def implied_weights(lam, weights: Mapping[str, np.ndarray], *, title: str, height: int = 400) -> go.Figure:
    """The weight on ||ε − ε̂||² each target's squared error amounts to, against log-SNR (log scale)."""
    names = {"eps": "ε (L_simple): 1", "x0": "x₀: e^(−λ) = 1/SNR", "v": "v: 1 + e^(−λ)", "score": "score: 1 + e^λ"}
    traces = [_line(lam, w, names.get(k, k), SERIES[i % len(SERIES)], DASHES[i % len(DASHES)], "λ = %{x:.1f}: %{y:.3g}")
              for i, (k, w) in enumerate(weights.items())]
    return figure(data=traces, layout=low_legend(layout(
        title, height, xaxis=LAMBDA_AXIS,
        yaxis={"title": {"text": "weight on the ε error"}, "type": "log", "exponentformat": "power"}), -0.3))


def over_log_snr(curves: Mapping[str, tuple], *, title: str, ytitle: str, log_y: bool = False,
                 xrange: Sequence[float] = (-21, 11), height: int = 400) -> go.Figure:
    """Named curves (lambda, value) against log-SNR: densities of draws, or the weight a loss puts on each level."""
    traces = [_line(x, y, name, SERIES[i % len(SERIES)], DASHES[i % len(DASHES)], "λ = %{x:.2f}: %{y:.3g}")
              for i, (name, (x, y)) in enumerate(curves.items())]
    yaxis = {"title": {"text": ytitle}}
    if log_y:
        yaxis |= {"type": "log", "exponentformat": "power"}
    return figure(data=traces, layout=low_legend(layout(
        title, height, showlegend=True, xaxis={**LAMBDA_AXIS, "range": list(xrange)}, yaxis=yaxis), -0.3))


def error_by_level(lam, curves: Mapping[str, tuple], *, title: str, height: int = 420) -> go.Figure:
    """Mean squared error of x0_hat against the exact denoiser per log-SNR, means with two-standard-error bars."""
    traces = []
    for i, (name, (mean, se)) in enumerate(curves.items()):
        m, e = array(mean), array(se)
        color = SERIES[i % len(SERIES)]
        traces.append({**_line(lam, m, name, color, DASHES[i % len(DASHES)], "λ = %{x:.0f}: %{y:.2e}"),
                       "mode": "lines+markers", "marker": {"size": 6},
                       "error_y": {"type": "data", "array": 2 * e, "visible": True, "thickness": 1.2, "width": 3,
                                   "color": color}})
    return figure(data=traces, layout=low_legend(layout(
        title, height, showlegend=True, xaxis=LAMBDA_AXIS,
        yaxis={"title": {"text": "E‖x̂₀ − E[x₀ | x]‖² (log)"}, "type": "log", "exponentformat": "power"}), -0.3))


def across_settings(labels: Sequence[str], series: Mapping[str, Sequence[tuple]], floor: tuple[float, float], *,
                    title: str, ytitle: str, selected: tuple[str, int] | None = None, height: int = 460) -> go.Figure:
    """One number per setting: a marker per target (mean over seeds, two-standard-error bars) at each draw of noise
    levels; the grey band is what fresh data scores (its mean plus two standard deviations); `selected`
    (target, draw index) is ringed."""
    top = floor[0] + 2 * floor[1]
    traces = [{"type": "scatter", "x": [None], "y": [None], "mode": "markers", "opacity": 0.4,
               "name": f"fresh data: up to {top:.3g}", "marker": {"symbol": "square", "size": 14, "color": DATA_GREY}}]
    offsets = np.linspace(-0.18, 0.18, max(len(series), 1))
    symbols = ("circle", "square", "diamond", "triangle-up")
    for i, (name, rows) in enumerate(series.items()):
        m = np.array([r[0] for r in rows])
        e = np.array([r[1] for r in rows])
        color = SERIES[i % len(SERIES)]
        traces.append({"type": "scatter", "x": np.arange(len(labels)) + offsets[i], "y": m, "mode": "markers",
                       "name": f"{name}-prediction", "marker": {"size": 9, "color": color, "symbol": symbols[i % 4]},
                       "error_y": {"type": "data", "array": 2 * e, "visible": True, "thickness": 1.4, "width": 4,
                                   "color": color},
                       "customdata": np.stack([m, 2 * e], 1), "text": list(labels),
                       "hovertemplate": "%{text}: %{customdata[0]:.4g} ± %{customdata[1]:.2g}<extra>" + name
                                        + "-prediction</extra>"})
        if selected is not None and selected[0] == name:
            j = selected[1]
            traces.append({"type": "scatter", "x": [j + offsets[i]], "y": [m[j]], "mode": "markers",
                           "name": "the setting chosen above", "hoverinfo": "skip",
                           "marker": {"size": 20, "color": "rgba(0,0,0,0)", "line": {"color": "#000000", "width": 2}}})
    shape = {"type": "rect", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": floor[0] - 2 * floor[1],
             "y1": top, "fillcolor": DATA_GREY, "opacity": 0.18, "line": {"width": 0}, "layer": "below"}
    return figure(data=traces, layout=low_legend(layout(
        title, height, shapes=[shape],
        xaxis={"title": {"text": "draw of noise levels: ∝ ELBO, or log-SNR shift"}, "tickvals": list(range(len(labels))),
               "ticktext": list(labels), "tickangle": 0},
        yaxis={"title": {"text": ytitle}, "exponentformat": "power"}), -0.22))
