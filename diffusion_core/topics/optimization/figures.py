"""Figures of "Sampling as optimization": quality against compute, distances along runs, momentum."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import DATA_GREY, OKABE_ITO, SERIES, array, figure, layout, legend_line, low_legend, vline


def _floor_shape(top: float, bottom: float) -> tuple[dict, dict]:
    """A grey band from `bottom` to `top` across the plot (the noise floor), and its legend entry."""
    shape = {"type": "rect", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": bottom, "y1": top,
             "fillcolor": DATA_GREY, "opacity": 0.18, "line": {"width": 0}, "layer": "below"}
    entry = {"type": "scatter", "x": [None], "y": [None], "mode": "markers", "opacity": 0.4,
             "name": f"noise floor: fresh data scores up to {top:.3f}",
             "marker": {"symbol": "square", "size": 14, "color": DATA_GREY}}
    return shape, entry


def _mean_trace(x, mean, err, bottom: float, name: str, color: str, dash: str, hover: str) -> dict:
    """Means as a line with markers and two-standard-error bars; a mean under `bottom` is drawn at it."""
    m, e = array(mean), array(err)
    shown = np.maximum(m, bottom)
    return {"type": "scatter", "x": array(x), "y": shown, "mode": "lines+markers", "name": name,
            "line": {"color": color, "width": 2.2, "dash": dash}, "marker": {"size": 6},
            "error_y": {"type": "data", "array": np.where(m > bottom, 2 * e, 0), "visible": True, "thickness": 1.2,
                        "width": 3, "color": color},
            "customdata": np.stack([m, 2 * e], 1),
            "hovertemplate": hover + ": ED %{customdata[0]:.4f} ± %{customdata[1]:.4f}<extra>" + name + "</extra>"}


def quality_vs_compute(curves: Mapping[str, tuple], *, title: str, floor: tuple[float, float],
                       exact: Mapping[str, tuple] | None = None, height: int = 440) -> go.Figure:
    """Energy distance against network evaluations (both log), one colour per sampler, means with error bars of
    two standard errors; the exact denoiser's curves, when given, dashed in the same colours. `floor` is what
    fresh data scores on the same measurement (mean, standard error): the grey band up to its mean plus two
    standard errors is where nothing can be told apart; means below the band's bottom are drawn at it."""
    top = floor[0] + 2 * floor[1]
    bottom = top / 20
    shape, entry = _floor_shape(top, bottom)
    traces, highest = [entry], top
    for group, dash in ((curves, "solid"), (exact or {}, "dash")):
        for i, (name, (nfe, ed, err)) in enumerate(group.items()):
            label = name if dash == "solid" else f"{name}, exact score"
            traces.append(_mean_trace(nfe, ed, err, bottom, label, SERIES[i % len(SERIES)], dash, "%{x} evaluations"))
            highest = max(highest, float(np.max(array(ed))))
    return figure(data=traces, layout=low_legend(layout(
        title, height, shapes=[shape], xaxis={"title": {"text": "network evaluations per sample (compute)"}, "type": "log"},
        yaxis={"title": {"text": "energy distance (lower is better)"}, "type": "log",
               "exponentformat": "power", "range": [math.log10(bottom), math.log10(highest * 2)]}), -0.28))


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
    return figure(data=traces, layout=low_legend(layout(
        title, height,
        xaxis={"title": {"text": "noise level σ (falls as sampling runs →)"}, "type": "log",
               "range": [math.log10(x_hi), math.log10(s_min / 4)], "tickvals": ticks, "ticktext": labels},
        yaxis={"title": {"text": "distance to the training points"}, "type": "log", "exponentformat": "power"}), -0.3))


def momentum_curve(gammas, curves: Mapping[str, Sequence[float]], errors: Mapping[str, Sequence[float]], *,
                   chosen: float, title: str, floor: float = 1e-4, height: int = 380) -> go.Figure:
    """Energy distance against the momentum gamma (log y), one line per denoiser, means with error bars of two
    standard errors, the chosen gamma as a dotted vertical line; gamma = 1 is plain DDIM."""
    traces = [_mean_trace(gammas, ed, errors[name], floor, name, SERIES[i % len(SERIES)], ("solid", "dash")[i % 2],
                          "γ = %{x}") for i, (name, ed) in enumerate(curves.items())]
    traces.append(legend_line(f"chosen γ = {chosen:g}", OKABE_ITO["black"], "dot"))
    return figure(data=traces, layout=low_legend(layout(
        title, height, shapes=[vline(chosen, OKABE_ITO["black"], "dot")],
        xaxis={"title": {"text": "momentum γ (1 = plain DDIM)"}, "dtick": 0.25},
        yaxis={"title": {"text": "energy distance to the data"}, "type": "log", "exponentformat": "power",
               "dtick": "D2"}), -0.28))


def descent_landscape(axis, maps, sigmas, states: Mapping[str, object], points, steps_taken, *, title: str,
                      height: int = 620) -> go.Figure:
    """The smoothed distance to the data as a filled contour map at each state's noise level, with the states
    of a few runs on it, one frame per level (a slider and a play button move through them in the browser).
    `maps` (F, n, n) over `axis` (n,), `states` {name: (F, k, 2)}, `points` the data."""
    a, z = array(axis).astype(np.float32), np.clip(array(maps), 0, 3).astype(np.float32)
    markers = {0: ("circle", 11), 1: ("diamond-open", 12)}

    def frame_traces(k: int) -> list[dict]:
        out = [{"type": "contour", "x": a, "y": a, "z": z[k], "colorscale": "Blues", "reversescale": True,
                "zmin": 0, "zmax": 3, "contours": {"start": 0.1, "end": 3, "size": 0.2}, "line": {"width": 0.5},
                "name": "smoothed distance √(2 f_σ)", "showlegend": True, "showscale": True,
                "colorbar": {"title": {"text": "√(2 f_σ)", "side": "right"}, "thickness": 12, "len": 0.75},
                "hovertemplate": "(%{x:.2f}, %{y:.2f}): %{z:.2f}<extra>smoothed distance</extra>"}]
        for i, (name, st) in enumerate(states.items()):
            p = array(st)[k]
            symbol, size = markers[i % 2]
            out.append({"type": "scatter", "x": p[:, 0], "y": p[:, 1], "mode": "markers", "name": name,
                        "marker": {"symbol": symbol, "size": size, "color": (OKABE_ITO["vermillion"],
                                                                             OKABE_ITO["orange"])[i % 2],
                                   "line": {"width": 1.5, "color": OKABE_ITO["black"]}}})
        return out

    data = {"type": "scatter", "x": array(points)[:, 0], "y": array(points)[:, 1], "mode": "markers",
            "name": "the 142 training points", "marker": {"color": OKABE_ITO["black"], "size": 3}, "hoverinfo": "skip"}
    n = len(sigmas)
    labels = [f"σ = {s:.3g}" if s > 0 else "σ = 0 (the samples)" for s in sigmas]
    frames = [{"name": str(k), "data": frame_traces(k), "traces": list(range(len(states) + 1))} for k in range(n)]
    slider_steps = [{"label": labels[k], "method": "animate",
                     "args": [[str(k)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                         "transition": {"duration": 0}}]} for k in range(n)]
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": 700, "redraw": True}, "transition": {"duration": 0},
                            "fromcurrent": True, "mode": "immediate"}]}
    lay = layout(title, height, margin={"l": 60, "r": 110, "t": 110, "b": 142},
                 xaxis={"title": {"text": "y₁ (data plus noise)"}, "range": [a[0], a[-1]], "constrain": "domain"},
                 yaxis={"title": {"text": "y₂"}, "range": [a[0], a[-1]], "scaleanchor": "x", "scaleratio": 1,
                        "constrain": "domain"},
                 updatemenus=[{"type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 1.02,
                               "xanchor": "left", "yanchor": "bottom", "buttons": [play]}],
                 sliders=[{"active": 0, "steps": slider_steps, "x": 0.02, "y": -0.12, "len": 0.96, "xanchor": "left",
                           "yanchor": "top", "currentvalue": {"prefix": "noise level: "}, "pad": {"t": 10},
                           "transition": {"duration": 0}}])
    lay["title"]["y"], lay["title"]["yanchor"] = 0.98, "top"
    lay["legend"] = {**lay["legend"], "y": 1.02, "x": 0.14, "yanchor": "bottom"}  # beside the play button
    return figure(data=frame_traces(0) + [data], layout=lay, frames=frames)
