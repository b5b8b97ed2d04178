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
    figure,
    layout,
    points_trace,
    scrubbed,
    square_axes,
)


def drift_traces(origins, drift, x_t=None, *, arrow_scale: float = 1.0) -> list[dict]:
    """The noisy points x_t (blue) and arrows from `origins` along `drift` (e.g. E[x0 | x_t] - x_t, vermillion)."""
    g, v = array(origins).reshape(-1, 2), array(drift).reshape(-1, 2) * arrow_scale
    ok = np.isfinite(g).all(1) & np.isfinite(v).all(1)
    traces = [] if x_t is None else [points_trace(x_t, "x_t, the noised data", OKABE_ITO["blue"], 4, 0.4)]
    ax, ay = arrow_segments(g[ok], v[ok])
    label = "drift E[x₀ | x_t] − x_t" + ("" if arrow_scale == 1 else f" (length × {arrow_scale:.2g})")
    traces.append({"type": "scatter", "x": ax.astype(np.float32), "y": ay.astype(np.float32), "mode": "lines",
                   "name": label, "hoverinfo": "skip", "line": {"color": OKABE_ITO["vermillion"], "width": 1.4}})
    return traces


def forward_run(run: Mapping, curves: Mapping[str, tuple], *, active: int, lim: float = DEFAULT_LIM,
                height: int = 640) -> go.Figure:
    """The forward process at every kept step as one figure, scrubbed in the browser by its own slider: on the
    left x_t with the ideal drift; on the right every schedule's ᾱ(t) and log₁₀ SNR(t) against t / T (the curves
    of `curves`, {name: (alpha_bar, snr)}), a dotted line at the step shown. `run` is `views.forward_run`'s
    dict: "frac", "t", "x_t", "origins", "drift", "alpha_bar", "snr", "T". Opens on frame `active`."""
    traces = []
    log_snr_range = [np.inf, -np.inf]
    for i, (name, (alpha_bar, snr)) in enumerate(curves.items()):
        ab, sn = array(alpha_bar), np.log10(np.clip(array(snr), 1e-12, None))
        frac = np.arange(1, len(ab) + 1) / len(ab)
        line = {"color": SERIES[i % len(SERIES)], "width": 2.5, "dash": ("solid", "dash", "dot", "dashdot")[i % 4]}
        common = {"type": "scatter", "mode": "lines", "name": name, "legendgroup": name, "line": line}
        traces.append({**common, "x": frac, "y": ab, "xaxis": "x2", "yaxis": "y2",
                       "hovertemplate": "t/T = %{x:.2f}<br>ᾱ = %{y:.3f}<extra>" + name + "</extra>"})
        traces.append({**common, "x": frac, "y": sn, "showlegend": False, "xaxis": "x3", "yaxis": "y3",
                       "hovertemplate": "t/T = %{x:.2f}<br>log₁₀ SNR = %{y:.2f}<extra>" + name + "</extra>"})
        log_snr_range = [min(log_snr_range[0], float(sn.min())), max(log_snr_range[1], float(sn.max()))]
    n_static = len(traces)
    marker_line = {"color": OKABE_ITO["black"], "width": 1.2, "dash": "dot"}

    def moving(k: int) -> list[dict]:
        f = run["t"][k] / run["T"]  # the step shown (t = 1 at the slider's 0)
        markers = [{"type": "scatter", "mode": "lines", "x": [f, f], "y": ys, "xaxis": xa, "yaxis": ya,
                    "name": "the step shown", "legendgroup": "shown", "showlegend": xa == "x2", "line": marker_line,
                    "hoverinfo": "skip"}
                   for xa, ya, ys in (("x2", "y2", [0, 1.03]), ("x3", "y3", log_snr_range))]
        return drift_traces(run["origins"][k], run["drift"][k], run["x_t"][k]) + markers

    def title(k: int) -> str:
        return (f"x_t at t = {run['t'][k]} of {run['T']}, with the ideal drift: signal kept ᾱ_t = "
                f"{run['alpha_bar'][k]:.3f}, SNR = {run['snr'][k]:.3g}")

    n = len(run["t"])
    frames, slider = scrubbed([moving(k) for k in range(n)], traces=range(n_static, n_static + 4),
                              labels=[f"{f:.2f}" for f in run["frac"]], active=active,
                              prefix="How far into the forward process, t / T: ", y=-0.17,
                              titles=[title(k) for k in range(n)])
    square = square_axes(lim)
    panel = {"text": "", "xref": "paper", "yref": "paper", "x": 0.81, "xanchor": "center", "yanchor": "bottom",
             "showarrow": False, "font": {"size": 14}}
    lay = layout(title(active), height, legend_y=-0.4, margin={"l": 60, "r": 20, "t": 60, "b": 210},
                 sliders=[slider],
                 xaxis={**square["xaxis"], "domain": [0, 0.5]}, yaxis={**square["yaxis"], "domain": [0, 1]},
                 xaxis2={"title": {"text": "t / T"}, "range": [0, 1], "domain": [0.62, 1], "anchor": "y2"},
                 yaxis2={"title": {"text": "ᾱ(t)"}, "range": [0, 1.03], "domain": [0.64, 0.95], "anchor": "x2"},
                 xaxis3={"title": {"text": "t / T (0 = clean)"}, "range": [0, 1], "domain": [0.62, 1], "anchor": "y3"},
                 yaxis3={"title": {"text": "log₁₀ SNR(t)"}, "range": log_snr_range, "domain": [0, 0.33],
                         "anchor": "x3"},
                 shapes=[{"type": "line", "xref": "x3", "yref": "y3", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                          "line": {"color": "#BBBBBB", "width": 1}}],  # SNR = 1: signal above, noise below
                 annotations=[{**panel, "text": "signal kept ᾱ(t), every schedule", "y": 0.96},
                              {**panel, "text": "signal-to-noise ratio", "y": 0.34}])
    # its traces and layout unchecked too (figure() never has Plotly check frames)
    return figure(data=traces + moving(active), layout=lay, frames=frames, _validate=False)


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
    return figure(data=traces, layout=layout(title, height, **square_axes(lim)))
