"""Plotly figure builders: pure functions from arrays (or tensors) to figures.

Every figure has a title, axis labels, a legend when it shows more than one trace, equal aspect
for 2D point clouds, and colours from the Okabe-Ito palette (Okabe and Ito 2008), which stays
distinguishable under the common forms of colour blindness. Nothing here imports Streamlit.

Figures are built from plain dicts and validated once by `go.Figure(data, layout)`: about twice
as fast as many `update_*` calls, which matters when a slider redraws a chart.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}
# Okabe-Ito in the order used for successive series (yellow left out: too pale on white)
SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DATA_GREY = "#8C8C8C"
# a single-hue light-to-dark ramp (ColorBrewer Blues) for curves ordered in time: it reads by lightness,
# which survives every form of colour blindness
BLUES_RAMP = ("#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C", "#08306B")
FONT = {"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 14, "color": "#262730"}
DEFAULT_LIM = 3.0  # half-width of the square view on canonical-frame 2D data


def _np(a) -> np.ndarray:
    """A float numpy copy of an array, tensor or list."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def _finite_rows(points) -> np.ndarray:
    """The (N, 2) rows of `points` whose coordinates are finite."""
    p = _np(points).reshape(-1, 2)
    return p[np.isfinite(p).all(1)]


def _layout(title: str, height: int, **extra) -> dict:
    """Common layout: left-aligned title, white plot on a transparent page, legend below."""
    layout = {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        "template": "plotly_white", "font": FONT, "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#FFFFFF",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 55},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0.0, "xanchor": "left",
                   "itemsizing": "constant"},
        "hoverlabel": {"font": {"size": 13}},
    }
    layout.update(extra)
    return layout


def _square_axes(lim: float, xlabel: str = "x₁", ylabel: str = "x₂") -> dict:
    """x and y axes with the same range and scale, so 2D shapes keep their aspect."""
    return {"xaxis": {"title": {"text": xlabel}, "range": [-lim, lim], "zeroline": False, "constrain": "domain"},
            "yaxis": {"title": {"text": ylabel}, "range": [-lim, lim], "zeroline": False, "constrain": "domain",
                      "scaleanchor": "x", "scaleratio": 1}}


def _data_trace(data, name: str = "training data") -> dict:
    d = _finite_rows(data)
    return {"type": "scatter", "x": d[:, 0], "y": d[:, 1], "mode": "markers", "name": name,
            "marker": {"color": DATA_GREY, "size": 5, "opacity": 0.35}, "hoverinfo": "skip"}


def _points_trace(points, name: str, color: str, size: float = 4, opacity: float = 0.7) -> dict:
    """Markers for the finite rows of `points`; the legend says how many diverged (NaN or inf) and are not shown."""
    p = _finite_rows(points)
    dropped = _np(points).reshape(-1, 2).shape[0] - len(p)
    extra = {}
    if dropped:  # said in the legend, and the legend shown even for a lone trace
        name, extra = f"{name} ({dropped:,} diverged, not shown)", {"showlegend": True}
    return {**extra, "type": "scatter", "x": p[:, 0], "y": p[:, 1], "mode": "markers", "name": name,
            "marker": {"color": color, "size": size, "opacity": opacity},
            "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra>" + name + "</extra>"}


def point_clouds(series: Mapping[str, object], *, title: str, data=None, lim: float = DEFAULT_LIM,
                 height: int = 460, xlabel: str = "x₁", ylabel: str = "x₂") -> go.Figure:
    """Scatter of named (N, 2) point sets over the faint training data, equal aspect."""
    traces = [] if data is None else [_data_trace(data)]
    traces += [_points_trace(pts, name, SERIES[i % len(SERIES)]) for i, (name, pts) in enumerate(series.items())]
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim, xlabel, ylabel)))


def denoising_step(data, x_t, x0_hat=None, *, title: str, lim: float = DEFAULT_LIM, height: int = 500,
                   state_name: str = "x_t, the current state") -> go.Figure:
    """One reverse step: the state x_t and (optionally) the guess x0_hat made from it, over the data."""
    series = {state_name: x_t}
    if x0_hat is not None:
        series["x̂₀, the model's guess of the clean point"] = x0_hat
    return point_clouds(series, title=title, data=data, lim=lim, height=height)


def _arrow_segments(origins: np.ndarray, vectors: np.ndarray, head: float = 0.3,
                    angle: float = math.radians(25)) -> tuple[np.ndarray, np.ndarray]:
    """Shaft and two head strokes per arrow, as polylines separated by NaN (one fast trace)."""
    length = np.linalg.norm(vectors, axis=1, keepdims=True)  # (N, 1)
    keep = length[:, 0] > 0
    origins, vectors, length = origins[keep], vectors[keep], length[keep]
    tips = origins + vectors
    back = -vectors / length * (head * length)  # (N, 2) head strokes point back along the shaft
    c, s = math.cos(angle), math.sin(angle)
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], 1)
    nan = np.full_like(origins, np.nan)
    pts = np.stack([origins, tips, nan, tips + left, tips, tips + right, nan], 1).reshape(-1, 2)  # (7N, 2)
    return pts[:, 0], pts[:, 1]


def drift_field(origins, drift, x_t=None, *, title: str, arrow_scale: float = 1.0,
                lim: float = DEFAULT_LIM, height: int = 540) -> go.Figure:
    """Arrows from `origins` along `drift` (e.g. E[x0 | x_t] - x_t), over the noisy points x_t."""
    g, v = _np(origins).reshape(-1, 2), _np(drift).reshape(-1, 2) * arrow_scale
    ok = np.isfinite(g).all(1) & np.isfinite(v).all(1)
    traces = [] if x_t is None else [_points_trace(x_t, "x_t, the noised data", OKABE_ITO["blue"], 4, 0.4)]
    ax, ay = _arrow_segments(g[ok], v[ok])
    label = "drift E[x₀ | x_t] − x_t" + ("" if arrow_scale == 1 else f" (length × {arrow_scale:.2g})")
    traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "name": label, "hoverinfo": "skip",
                   "line": {"color": OKABE_ITO["vermillion"], "width": 1.4}})
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim)))


def schedule_curves(curves: Mapping[str, tuple], *, title: str, marker: float | None = None,
                    height: int = 380) -> go.Figure:
    """alpha_bar(t) and log10 SNR(t) against t / T for named schedules, side by side.

    `curves` maps a schedule name to (alpha_bar, snr) arrays over its steps; `marker` draws a
    dotted vertical line at that t / T on both panels.
    """
    traces = []
    for i, (name, (alpha_bar, snr)) in enumerate(curves.items()):
        ab, sn = _np(alpha_bar), _np(snr)
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
    layout = _layout(title, height, shapes=shapes, annotations=panel_titles,
                     margin={"l": 60, "r": 20, "t": 80, "b": 60},
                     xaxis={"title": xlabel, "range": [0, 1], "domain": [0, 0.42]},
                     yaxis={"title": {"text": "ᾱ(t)"}, "range": [0, 1.03]},
                     xaxis2={"title": xlabel, "range": [0, 1], "domain": [0.58, 1], "anchor": "y2"},
                     yaxis2={"title": {"text": "log₁₀ SNR(t)"}, "anchor": "x2"})
    layout["legend"] = {**layout["legend"], "y": -0.24}
    return go.Figure(data=traces, layout=layout)


def trajectories(paths, *, title: str, data=None, lim: float = DEFAULT_LIM,
                 height: int = 540) -> go.Figure:
    """Particle paths (S + 1, K, 2) from x_T (open circle) to x_0 (diamond) over the faint data."""
    p = _np(paths)
    colors = [SERIES[k % len(SERIES)] for k in range(p.shape[1])]
    traces = [] if data is None else [_data_trace(data)]
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
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim)))


def samples_panel(samples, data=None, *, title: str, lim: float = 2.6, height: int = 400,
                  color: str = SERIES[0], data_name: str = "dino (data)",
                  samples_name: str = "model samples", size: float = 3.5) -> go.Figure:
    """Model samples over the faint training data: one rung of the ablation ladder."""
    traces = [] if data is None else [_data_trace(data, data_name)]
    traces.append(_points_trace(samples, samples_name, color, size=size, opacity=0.55))
    layout = _layout(title, height, margin={"l": 50, "r": 10, "t": 50, "b": 45}, **_square_axes(lim))
    layout["title"]["font"] = {"size": 15}
    layout["legend"] = {**layout["legend"], "y": -0.2}
    return go.Figure(data=traces, layout=layout)


def loss_curve(steps: Sequence[int], losses: Sequence[float], *, title: str, height: int = 300) -> go.Figure:
    """Smoothed training loss (MSE on eps, Ho et al. 2020 eq. 14) against optimisation step."""
    trace = {"type": "scatter", "x": list(steps), "y": list(losses), "mode": "lines", "name": "loss",
             "line": {"color": OKABE_ITO["blue"], "width": 2}}
    return go.Figure(data=[trace], layout=_layout(
        title, height, showlegend=False, xaxis={"title": {"text": "training step"}},
        yaxis={"title": {"text": "MSE on ε (smoothed)"}, "type": "log"}))


def coverage_bars(shares, weights, off_mode: float, *, title: str, height: int = 300) -> go.Figure:
    """Share of samples near each mode next to the mode's true weight, and the share near none."""
    sh, w = _np(shares), _np(weights)
    labels = [f"{k + 1}" for k in range(len(sh))] + ["none"]
    traces = [{"type": "bar", "x": labels, "y": list(sh) + [off_mode], "name": "share of samples",
               "marker": {"color": OKABE_ITO["blue"]},
               "hovertemplate": "%{x}: %{y:.3f}<extra>share of samples</extra>"},
              {"type": "bar", "x": labels[:-1], "y": w, "name": "true weight",
               "marker": {"color": "rgba(0,0,0,0)", "line": {"color": OKABE_ITO["vermillion"], "width": 2}},
               "hovertemplate": "%{x}: %{y:.3f}<extra>true weight</extra>"}]
    layout = _layout(title, height, barmode="overlay", bargap=0.25,
                     margin={"l": 55, "r": 10, "t": 50, "b": 45},
                     xaxis={"title": {"text": "mode (within 3 std of it)"}, "type": "category", "tickangle": 0},
                     yaxis={"title": {"text": "share"}, "range": [0, max(1.05 * max(sh.max(), w.max(), off_mode), 0.05)]})
    layout["title"]["font"] = {"size": 15}
    layout["legend"] = {**layout["legend"], "y": -0.32}
    return go.Figure(data=traces, layout=layout)


def _vline(x: float, color: str, dash: str, width: float = 2.0) -> dict:
    return {"type": "line", "xref": "x", "yref": "y domain", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": width, "dash": dash}}


def _legend_line(name: str, color: str, dash: str) -> dict:
    """An empty trace that puts a line style in the legend (shapes have no legend entry)."""
    return {"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": name,
            "line": {"color": color, "width": 2, "dash": dash}}


def posterior_bars(grid, prob, *, mean: float, title: str, prior=None, learned_mean: float | None = None,
                   observed: float | None = None, height: int = 420) -> go.Figure:
    """p(x0 | x_t) as bars over bins centred on `grid`, with E[x0 | x_t] as a dashed line.

    `prob` is the probability of each bin; `prior` (same grid) draws p(x0) as a faint outline;
    `learned_mean` a dotted line for the network's estimate; `observed` a thin line at x_t / sqrt(ab).
    """
    g, p = _np(grid), _np(prob)
    width = float(g[1] - g[0]) if len(g) > 1 else 1.0
    traces = [{"type": "bar", "x": g, "y": p, "width": width, "name": "posterior p(x₀ | x_t), per bin",
               "marker": {"color": OKABE_ITO["sky_blue"], "line": {"width": 0}},
               "hovertemplate": "x₀ = %{x:.2f}: %{y:.3f}<extra>posterior</extra>"}]
    if prior is not None:
        traces.append({"type": "scatter", "x": g, "y": _np(prior), "mode": "lines", "name": "prior p(x₀), per bin",
                       "line": {"color": DATA_GREY, "width": 1.5, "shape": "hvh"}, "hoverinfo": "skip"})
    shapes = [_vline(mean, OKABE_ITO["vermillion"], "dash")]
    traces.append(_legend_line(f"E[x₀ | x_t] = {mean:.2f} (exact)", OKABE_ITO["vermillion"], "dash"))
    if learned_mean is not None:
        shapes.append(_vline(learned_mean, OKABE_ITO["black"], "dot"))
        traces.append(_legend_line(f"network's x̂₀ = {learned_mean:.2f}", OKABE_ITO["black"], "dot"))
    if observed is not None:
        shapes.append(_vline(observed, OKABE_ITO["bluish_green"], "solid", 1.2))
        traces.append(_legend_line(f"x_t / √ᾱ_t = {observed:.2f}", OKABE_ITO["bluish_green"], "solid"))
    top = max(float(p.max()), float(_np(prior).max()) if prior is not None else 0.0)
    layout = _layout(title, height, shapes=shapes, bargap=0,
                     xaxis={"title": {"text": "clean value x₀"}, "range": [float(g[0] - width), float(g[-1] + width)]},
                     yaxis={"title": {"text": "probability per bin"}, "range": [0, 1.08 * top if top > 0 else 1]})
    layout["legend"] = {**layout["legend"], "y": -0.2}
    return go.Figure(data=traces, layout=layout)


def mean_paths(steps, xs, x0s, *, title: str, modes=None, T: int | None = None, height: int = 420) -> go.Figure:
    """1D reverse runs against the step: x_t solid and E[x0 | x_t] dashed, one colour per run.

    `steps` (S,) are the 1-based steps the predictions were made at, `xs` (S + 1, K) the states from
    x_T to x_0 and `x0s` (S, K) the predictions; time runs left to right from T to 0.
    """
    at, x, x0 = _np(steps), _np(xs).reshape(len(steps) + 1, -1), _np(x0s).reshape(len(steps), -1)
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
               "line": {"color": "#BBBBBB", "width": 1}} for m in ([] if modes is None else _np(modes).ravel())]
    top = float(T if T is not None else at.max())
    layout = _layout(title, height, shapes=shapes,
                     margin={"l": 60, "r": 20, "t": 60, "b": 70},
                     xaxis={"title": {"text": "step t (noise → data)"}, "range": [top, 0]},
                     yaxis={"title": {"text": "value"}, "range": [-3.5, 3.5]})
    layout["legend"] = {**layout["legend"], "y": -0.22}
    return go.Figure(data=traces, layout=layout)


def distance_histograms(series: Mapping[str, object], *, title: str, radius: float | None = None,
                        height: int = 380) -> go.Figure:
    """Histograms of log10 nearest-training-point distances for named sets, with the copy radius."""
    traces, lo, hi = [], math.inf, -math.inf
    logs = {}
    for name, d in series.items():
        v = _np(d)
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
        shapes.append(_vline(math.log10(radius), OKABE_ITO["black"], "dash", 1.5))
        traces.append(_legend_line(f"copy radius {radius:.2g}", OKABE_ITO["black"], "dash"))
    layout = _layout(title, height, barmode="overlay", shapes=shapes,
                     margin={"l": 60, "r": 20, "t": 60, "b": 70},
                     xaxis={"title": {"text": "log₁₀ distance to the nearest training point (floor 10⁻⁶)"}},
                     yaxis={"title": {"text": "share of points"}})
    layout["legend"] = {**layout["legend"], "y": -0.24}
    return go.Figure(data=traces, layout=layout)


def memorization_panel(samples, train, *, title: str, color: str = SERIES[0], lim: float = 2.6,
                       height: int = 400) -> go.Figure:
    """Samples over the training points, drawn as open circles underneath so copies show inside them."""
    t = _finite_rows(train)
    ring = {"type": "scatter", "x": t[:, 0], "y": t[:, 1], "mode": "markers",
            "name": f"the {len(t):,} training points",
            "marker": {"symbol": "circle-open", "color": OKABE_ITO["black"], "size": 11 if len(t) <= 200 else 6,
                       "line": {"width": 1.5 if len(t) <= 200 else 0.8}},
            "hovertemplate": "(%{x:.3f}, %{y:.3f})<extra>training point</extra>"}
    layout = _layout(title, height, margin={"l": 50, "r": 10, "t": 50, "b": 45}, **_square_axes(lim))
    layout["title"]["font"] = {"size": 15}
    layout["legend"] = {**layout["legend"], "y": -0.2}
    return go.Figure(data=[ring, _points_trace(samples, "samples", color, size=4, opacity=0.6)], layout=layout)


# ---------------------------------------------------------------- score fields

def _heatmap(axis, z, *, name: str, colorscale: str = "Greys", zmin=None, zmax=None,
             colorbar: str | None = None) -> dict:
    """A heatmap trace over a square grid (z rows along y, columns along x)."""
    a = _np(axis)
    trace = {"type": "heatmap", "x": a, "y": a, "z": _np(z), "name": name, "colorscale": colorscale,
             "showscale": colorbar is not None, "zmin": zmin, "zmax": zmax,
             "hovertemplate": "(%{x:.2f}, %{y:.2f}): %{z:.2f}<extra>" + name + "</extra>"}
    if colorbar is not None:
        trace["colorbar"] = {"title": {"text": colorbar, "side": "right"}, "thickness": 12, "len": 0.8}
    return trace


def score_field(axis, log_density, origins, vectors, *, title: str, lim: float, cell: float,
                height: int = 460, color: str = OKABE_ITO["vermillion"]) -> go.Figure:
    """Arrows of a score field over its density (grey, darker = more likely).

    Arrow length is 0.9 cell x min(1, |s| / median |s|): where the field is weak the arrows shrink,
    elsewhere they show direction only (far from the data the score grows without bound).
    """
    g, v = _np(origins).reshape(-1, 2), _np(vectors).reshape(-1, 2)
    length = np.linalg.norm(v, axis=1, keepdims=True)
    ok = np.isfinite(length[:, 0]) & (length[:, 0] > 0)
    ref = float(np.median(length[ok])) if ok.any() else 1.0
    scaled = v / np.maximum(length, 1e-12) * (0.9 * cell * np.minimum(1.0, length / max(ref, 1e-12)))
    ax, ay = _arrow_segments(g[ok], scaled[ok])
    density = np.exp(_np(log_density) - np.nanmax(_np(log_density)))
    # Greys runs white (low) to black (high); zmax above 1 keeps the densest cells grey, so arrows show
    traces = [{**_heatmap(axis, density, name="density (darker: more likely)", zmin=0, zmax=1.6), "zsmooth": "best",
               "showlegend": True, "hoverinfo": "skip"},
              {"type": "scatter", "x": ax, "y": ay, "mode": "lines", "name": "score ∇ log p_σ (direction)",
               "hoverinfo": "skip", "line": {"color": color, "width": 1.3}}]
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim)))


def error_map(axis, error, *, title: str, lim: float, contour=None, height: int = 460) -> go.Figure:
    """|s_theta - s| on a grid in units of the score's typical size (0 to 1, capped), with the data's
    density as contour lines."""
    traces = [_heatmap(axis, np.clip(_np(error), 0, 1), name="error", colorscale="Viridis",
                       zmin=0, zmax=1, colorbar="|error| / typical |score|")]
    if contour is not None:
        a = _np(axis)
        traces.append({"type": "contour", "x": a, "y": a, "z": np.exp(_np(contour) - np.nanmax(_np(contour))),
                       "name": "where the data is", "showscale": False, "contours": {"coloring": "none"},
                       "ncontours": 4, "line": {"color": OKABE_ITO["orange"], "width": 1.2}, "showlegend": True,
                       "hoverinfo": "skip"})
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim)))


def mode_weights(shares: Mapping[str, Sequence[float]], truth: Sequence[float], *, title: str,
                 labels: Sequence[str] | None = None, colors: Mapping[str, str] | None = None,
                 height: int = 340) -> go.Figure:
    """Share of particles in each mode per method, as grouped bars, with the true weights as black ticks.

    `colors` maps a method to its colour (the same as its panel); by default SERIES in order."""
    t = _np(truth)
    names = list(labels) if labels is not None else [f"mode {k + 1}" for k in range(len(t))]
    colors = colors or {m: SERIES[i % len(SERIES)] for i, m in enumerate(shares)}
    traces = [{"type": "bar", "x": names, "y": _np(v), "name": method, "marker": {"color": colors[method]},
               "hovertemplate": "%{x}: %{y:.3f}<extra>" + method + "</extra>"}
              for method, v in shares.items()]
    traces.append({"type": "scatter", "x": names, "y": t, "mode": "markers", "name": "true weight",
                   "marker": {"symbol": "line-ew-open", "size": 40, "color": OKABE_ITO["black"],
                              "line": {"width": 3}}})
    layout = _layout(title, height, barmode="group", xaxis={"title": {"text": "mode"}},
                     yaxis={"title": {"text": "share of particles"}, "range": [0, 1.05]},
                     margin={"l": 60, "r": 20, "t": 60, "b": 80})
    layout["legend"] = {**layout["legend"], "y": -0.28}
    return go.Figure(data=traces, layout=layout)


def dsm_arrows(points, x, targets_scaled, weights, mean_step, *, title: str, lim: float = 2.6,
               height: int = 460) -> go.Figure:
    """Denoising score matching at one noisy point x: a thin arrow to every clean point, darker the
    likelier it produced x, and their weighted average (sigma^2 times the score) as a thick arrow."""
    p, x0, w = _finite_rows(points), _np(x).reshape(2), _np(weights)
    v = _np(targets_scaled).reshape(-1, 2)
    traces = [_data_trace(p, "clean training points")]
    order = np.argsort(w)
    for rank, i in enumerate(order[-40:]):  # the 40 likeliest, faintest first
        ax, ay = _arrow_segments(x0[None, :], v[i:i + 1], head=0.08)
        traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "hoverinfo": "skip",
                       "name": "x_i − x: one clean point's target (darker: likelier)", "legendgroup": "targets",
                       "showlegend": rank == len(order[-40:]) - 1,
                       "line": {"color": OKABE_ITO["sky_blue"], "width": 1.0 + 2.0 * float(w[i] / max(w.max(), 1e-12))},
                       "opacity": float(0.15 + 0.85 * w[i] / max(w.max(), 1e-12))})
    ax, ay = _arrow_segments(x0[None, :], _np(mean_step).reshape(1, 2), head=0.15)
    traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "hoverinfo": "skip",
                   "name": "their weighted average: σ² × score", "line": {"color": OKABE_ITO["vermillion"], "width": 3.5}})
    traces.append({"type": "scatter", "x": [x0[0]], "y": [x0[1]], "mode": "markers", "name": "the noisy point x",
                   "marker": {"symbol": "circle-open", "size": 13, "color": OKABE_ITO["black"], "line": {"width": 2.5}}})
    return go.Figure(data=traces, layout=_layout(title, height, **_square_axes(lim)))


def density_paths(steps, grid, log_density, paths: Mapping[str, object], *, title: str, T: int,
                  height: int = 430) -> go.Figure:
    """The noised 1D density q_t(x) as a heat map over (t, x), reverse time left to right, with paths.

    `steps` (R,) are the 1-based steps of the density's rows, `log_density` (R, X); each path entry is
    (path_steps (S + 1,), states (S + 1, K)).
    """
    st_, gx, ld = _np(steps), _np(grid), _np(log_density)
    z = np.round(np.exp(ld).T, 4)  # four decimals are plenty for a colour, and halve what is sent
    traces = [{"type": "heatmap", "x": st_, "y": gx, "z": z, "colorscale": "Blues", "showscale": False,
               "name": "density q_t(x)", "showlegend": True, "hovertemplate": "t = %{x}, x = %{y:.2f}<extra></extra>"}]
    for i, (name, (ps, xs)) in enumerate(paths.items()):
        ps_, xs_ = _np(ps), _np(xs).reshape(len(ps), -1)
        color = (OKABE_ITO["vermillion"], OKABE_ITO["black"], OKABE_ITO["orange"])[i % 3]
        for k in range(xs_.shape[1]):
            traces.append({"type": "scatter", "x": ps_, "y": xs_[:, k], "mode": "lines", "name": name,
                           "legendgroup": name, "showlegend": k == 0, "hoverinfo": "skip",
                           "line": {"color": color, "width": 1.6}})
    layout = _layout(title, height, margin={"l": 60, "r": 20, "t": 60, "b": 70},
                     xaxis={"title": {"text": "step t (noise → data)"}, "range": [T, 0]},
                     yaxis={"title": {"text": "x_t"}, "range": [float(gx[0]), float(gx[-1])]})
    layout["legend"] = {**layout["legend"], "y": -0.22}
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------- spectral bands

def image_panel(img, *, title: str, height: int = 330, zrange: tuple[float, float] | None = None) -> go.Figure:
    """A grey image as a heat map, pixel (0, 0) at the top left, square pixels."""
    a = _np(img)
    lo, hi = zrange if zrange is not None else (float(np.percentile(a, 1)), float(np.percentile(a, 99)))
    trace = {"type": "heatmap", "z": a, "colorscale": "Greys", "reversescale": True, "zmin": lo, "zmax": hi,
             "showscale": False, "name": "pixels", "hovertemplate": "(%{x}, %{y}): %{z:.2f}<extra></extra>"}
    layout = _layout(title, height, margin={"l": 45, "r": 10, "t": 45, "b": 40},
                     xaxis={"title": {"text": "x (pixels)"}, "constrain": "domain", "showgrid": False},
                     yaxis={"title": {"text": "y (pixels)"}, "autorange": "reversed", "scaleanchor": "x",
                            "scaleratio": 1, "constrain": "domain", "showgrid": False})
    layout["title"]["font"] = {"size": 14}
    return go.Figure(data=[trace], layout=layout)


def _low_legend(layout: dict, y: float = -0.3) -> dict:
    """Room below the x-axis title for a legend of several entries."""
    layout["margin"] = {**layout["margin"], "b": 95}
    layout["legend"] = {**layout["legend"], "y": y}
    return layout


def _loglog(title: str, height: int, ylabel: str, **extra) -> dict:
    return _low_legend(_layout(title, height,
                               xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"}, "type": "log"},
                               yaxis={"title": {"text": ylabel}, "type": "log", "exponentformat": "power"}, **extra))


def spectra_plot(series: Mapping[str, tuple], *, title: str, flat: Mapping[str, float] | None = None,
                 marker: float | None = None, marker_name: str = "SNR = 1", height: int = 400) -> go.Figure:
    """Power against frequency on log-log axes: named (freqs, power) curves (a name ending in "fit" is
    dashed), flat lines for white noise, and an optional dotted vertical line at `marker`."""
    traces = []
    for i, (name, (f, p)) in enumerate(series.items()):
        dash = "dash" if name.endswith("fit") or "fit:" in name else "solid"
        traces.append({"type": "scatter", "x": _np(f), "y": _np(p), "mode": "lines", "name": name,
                       "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": dash},
                       "hovertemplate": "f = %{x:.3f}: %{y:.3g}<extra>" + name + "</extra>"})
    xs = [float(_np(f).min()) for f, _ in series.values()] + [float(_np(f).max()) for f, _ in series.values()]
    for j, (name, level) in enumerate((flat or {}).items()):
        traces.append({"type": "scatter", "x": [min(xs), max(xs)], "y": [level, level], "mode": "lines", "name": name,
                       "line": {"color": (OKABE_ITO["black"], DATA_GREY)[j % 2], "width": 2, "dash": "dot"}})
    shapes = []
    if marker is not None and math.isfinite(marker) and min(xs) <= marker <= max(xs):
        shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": marker, "x1": marker, "y0": 0, "y1": 1,
                       "line": {"color": OKABE_ITO["vermillion"], "width": 2, "dash": "dot"}})
        traces.append(_legend_line(f"{marker_name}: f = {marker:.3g}", OKABE_ITO["vermillion"], "dot"))
    return go.Figure(data=traces, layout=_loglog(title, height, "power", shapes=shapes))


def crossing_curves(curves: Mapping[str, tuple], *, title: str, marker: float | None = None,
                    frange: tuple[float, float] = (1 / 128, 0.5), height: int = 360) -> go.Figure:
    """The SNR = 1 frequency against t / T for each schedule (log frequency, clipped to the image's range)."""
    traces = [{"type": "scatter", "x": _np(tt), "y": np.clip(_np(f), frange[0] / 1.5, frange[1] * 1.5), "mode": "lines",
               "name": name, "line": {"color": SERIES[i % len(SERIES)], "width": 2.4,
                                      "dash": ("solid", "dash", "dot")[i % 3]},
               "hovertemplate": "t/T = %{x:.2f}: f = %{y:.3g}<extra>" + name + "</extra>"}
              for i, (name, (tt, f)) in enumerate(curves.items())]
    shapes = [] if marker is None else [_vline(marker, "#555555", "dot", 1.2)]
    layout = _layout(title, height, shapes=shapes, xaxis={"title": {"text": "t / T (0 = clean)"}, "range": [0, 1]},
                     yaxis={"title": {"text": "f where SNR = 1"}, "type": "log",
                            "range": [math.log10(frange[0] / 1.5), math.log10(frange[1] * 1.5)]})
    return go.Figure(data=traces, layout=_low_legend(layout, -0.32))


def octave_bars(counts: Mapping[str, Sequence[float]], edges: Sequence[float], *, title: str,
                height: int = 360) -> go.Figure:
    """Steps whose SNR = 1 frequency lies in each octave, grouped by schedule."""
    e = list(edges)
    labels = [f"{1 / a:.0f}–{1 / b:.0f}" for a, b in zip(e[:-1], e[1:])]
    traces = [{"type": "bar", "x": labels, "y": _np(c), "name": name, "marker": {"color": SERIES[i % len(SERIES)]},
               "hovertemplate": "%{x}: %{y} steps<extra>" + name + "</extra>"} for i, (name, c) in enumerate(counts.items())]
    return go.Figure(data=traces, layout=_low_legend(_layout(
        title, height, barmode="group", xaxis={"title": {"text": "octave: wavelength in pixels, coarse → fine"},
                                               "tickangle": 0},
        yaxis={"title": {"text": "steps deciding it"}}), -0.32))


def response_curve(freqs, gain, *, title: str, height: int = 330) -> go.Figure:
    """A filter's gain against frequency (log x), 0 to 1."""
    trace = {"type": "scatter", "x": _np(freqs), "y": _np(gain), "mode": "lines", "name": "Wiener gain",
             "line": {"color": OKABE_ITO["blue"], "width": 2.5}}
    return go.Figure(data=[trace], layout=_layout(title, height, showlegend=False,
                                                  xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"},
                                                         "type": "log"},
                                                  yaxis={"title": {"text": "gain (kept share)"}, "range": [0, 1.05]}))


def rapsd_over_steps(freqs, powers, steps, *, title: str, height: int = 400) -> go.Figure:
    """The RAPSD of x0_hat at several steps, light (early, noisy) to dark (late, clean)."""
    p = _np(powers)
    colors = BLUES_RAMP
    traces = [{"type": "scatter", "x": _np(freqs), "y": p[i], "mode": "lines", "name": f"x̂₀ at t = {s}",
               "line": {"color": colors[min(len(colors) - 1, round(i * (len(colors) - 1) / max(len(steps) - 1, 1)))],
                        "width": 2}} for i, s in enumerate(steps)]
    final = p[-1][p[-1] > 0]
    layout = _loglog(title, height, "power of x̂₀")
    if len(final):  # the first guesses are ~0: start the axis a little below the final spectrum
        layout["yaxis"]["range"] = [math.log10(float(final.min()) / 30), math.log10(float(p.max()) * 3)]
    return go.Figure(data=traces, layout=layout)


def settling_plot(freqs, settled: Mapping[str, object], *, title: str, T: int, height: int = 360) -> go.Figure:
    """The step at which each band's power reaches its final value (within 10%), per run."""
    traces = [{"type": "scatter", "x": _np(freqs), "y": _np(s), "mode": "lines+markers", "name": name,
               "line": {"color": SERIES[i % len(SERIES)], "width": 2}, "marker": {"size": 5}}
              for i, (name, s) in enumerate(settled.items())]
    return go.Figure(data=traces, layout=_low_legend(_layout(
        title, height, xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"}, "type": "log"},
        yaxis={"title": {"text": "step t at which it settles"}, "range": [0, T]})))


def slope_bars(slopes: Mapping[str, float], *, title: str, height: int = 300) -> go.Figure:
    """The fitted power-law slope of each image, with -2 (the 1/f² of natural images) marked."""
    names = list(slopes)
    trace = {"type": "bar", "x": names, "y": [slopes[n] for n in names], "name": "fitted slope",
             "marker": {"color": OKABE_ITO["blue"]}, "text": [f"{slopes[n]:.2f}" for n in names],
             "textposition": "outside"}
    ref = {"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": -2, "y1": -2,
           "line": {"color": OKABE_ITO["vermillion"], "width": 1.5, "dash": "dash"}}
    return go.Figure(data=[trace, _legend_line("−2: power ∝ 1/f²", OKABE_ITO["vermillion"], "dash")],
                     layout=_layout(title, height, shapes=[ref], xaxis={"title": {"text": "photograph"}},
                                    yaxis={"title": {"text": "slope of log power vs log f"}, "range": [-3.2, 0]}))


# ---------------------------------------------------------------- sampling as optimization

def quality_vs_compute(curves: Mapping[str, tuple], *, title: str, exact: Mapping[str, tuple] | None = None,
                       floor: float = 1e-4, height: int = 420) -> go.Figure:
    """Energy distance against network evaluations (both log), one colour per sampler; the exact
    denoiser's curves, when given, dashed in the same colours. ED below `floor` (it can dip below 0,
    being unbiased) is drawn at the floor."""
    traces = []
    for group, dash in ((curves, "solid"), (exact or {}, "dash")):
        for i, (name, (nfe, ed)) in enumerate(group.items()):
            label = name if dash == "solid" else f"{name}, exact score"
            traces.append({"type": "scatter", "x": _np(nfe), "y": np.maximum(_np(ed), floor), "mode": "lines+markers",
                           "name": label, "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": dash},
                           "marker": {"size": 6}, "hovertemplate": "%{x} evaluations: ED %{y:.4f}<extra>" + label + "</extra>"})
    return go.Figure(data=traces, layout=_low_legend(_layout(
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
    sig, near, smooth = _np(sigmas), _np(nearest), _np(smoothed)
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
    traces.append(_legend_line("solid: to the nearest training point", OKABE_ITO["black"], "solid"))
    traces.append(_legend_line("dashed: smoothed distance", OKABE_ITO["black"], "dash"))
    x_hi = min(float(sig.max()), max_sigma) * 1.3
    decades = np.arange(math.floor(math.log10(s_min)), math.ceil(math.log10(x_hi)) + 1)
    shown = [d for d in decades if s_min / 1.5 <= 10.0**d <= x_hi]
    ticks = [s_min / 3] + [10.0**d for d in shown]
    labels = ["0"] + [f"10<sup>{int(d)}</sup>" for d in shown]
    return go.Figure(data=traces, layout=_low_legend(_layout(
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
        traces.append({"type": "scatter", "x": _np(gammas), "y": np.maximum(_np(ed), floor), "mode": "lines+markers",
                       "name": name, "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": ("solid", "dash")[i % 2]},
                       "marker": {"size": 7}, "hovertemplate": "γ = %{x}: ED %{y:.4f}<extra>" + name + "</extra>"})
    traces.append(_legend_line(f"chosen γ = {chosen:g}", OKABE_ITO["black"], "dot"))
    return go.Figure(data=traces, layout=_low_legend(_layout(
        title, height, shapes=[_vline(chosen, OKABE_ITO["black"], "dot")],
        xaxis={"title": {"text": "momentum γ (1 = plain DDIM)"}, "dtick": 0.25},
        yaxis={"title": {"text": "energy distance to the data"}, "type": "log", "exponentformat": "power"}), -0.28))


def _box(points: np.ndarray, pad: float = 0.08, min_ratio: float = 0.4) -> tuple[list[float], list[float]]:
    """x and y ranges around finite (N, 2) points, padded; the shorter side is widened to at least
    `min_ratio` of the longer, so that a long thin set (a word) still gets a usable plot."""
    p = points[np.isfinite(points).all(1)]
    if len(p) == 0:
        return [-1.0, 1.0], [-1.0, 1.0]
    lo, hi = p.min(0), p.max(0)
    centre = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, 1e-9)
    half = np.maximum(half, min_ratio * half.max()) * (1 + pad)
    return [centre[0] - half[0], centre[0] + half[0]], [centre[1] - half[1], centre[1] + half[1]]


def animated_run(states, labels: Sequence[str], data=None, *, title: str, height: int = 680,
                 frame_ms: int = 250, current: str = "shown: ") -> go.Figure:
    """A sampler's run as an animation: the states (F, n, 2) over the faint data, with play and pause
    buttons and a slider over the frames labelled by `labels` (short: they are the slider's ticks), the
    shown frame's label after the text `current`. The view is fixed on the data and the samples (the
    first states, wide noise, and the outermost 1% of samples may run past its edges)."""
    run = _np(states)
    samples = _finite_rows(run[-1])
    if len(samples) >= 20:  # the bulk of the samples: a few stragglers should not shrink the picture
        lo, hi = np.quantile(samples, 0.01, axis=0), np.quantile(samples, 0.99, axis=0)
        samples = samples[((samples >= lo) & (samples <= hi)).all(1)]
    box_points = np.concatenate([samples] + ([_finite_rows(data)] if data is not None else []))
    xr, yr = _box(box_points, pad=0.2)
    base = [] if data is None else [_data_trace(data)]
    moving = lambda k: _points_trace(run[k], "samples", SERIES[0], size=4, opacity=0.7)  # noqa: E731
    frames = [{"name": str(k), "data": [moving(k)], "traces": [len(base)]} for k in range(len(run))]
    steps = [{"label": lab, "method": "animate",
              "args": [[str(k)], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                  "transition": {"duration": 0}}]} for k, lab in enumerate(labels)]
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": frame_ms, "redraw": False}, "transition": {"duration": 0},
                            "fromcurrent": True, "mode": "immediate"}]}
    pause = {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    layout = _layout(title, height, margin={"l": 60, "r": 20, "t": 90, "b": 150},
                     xaxis={"title": {"text": "x"}, "range": xr, "zeroline": False, "constrain": "domain"},
                     yaxis={"title": {"text": "y"}, "range": yr, "zeroline": False, "constrain": "domain",
                            "scaleanchor": "x", "scaleratio": 1},
                     updatemenus=[{"type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 1.02,
                                   "xanchor": "left", "yanchor": "bottom", "buttons": [play, pause]}],
                     sliders=[{"active": len(run) - 1, "steps": steps, "x": 0.02, "y": -0.14, "len": 0.96,
                               "xanchor": "left", "yanchor": "top", "currentvalue": {"prefix": current},
                               "pad": {"t": 10}}])
    layout["title"]["y"], layout["title"]["yanchor"] = 0.98, "top"
    layout["legend"] = {**layout["legend"], "y": -0.45}
    return go.Figure(data=base + [moving(len(run) - 1)], layout=layout, frames=frames)


def points_preview(points, *, title: str, name: str = "training points", height: int = 420) -> go.Figure:
    """A point set in its own units, equal aspect, the view fitted to it."""
    p = _finite_rows(points)
    xr, yr = _box(p)
    layout = _layout(title, height, xaxis={"title": {"text": "x"}, "range": xr, "zeroline": False, "constrain": "domain"},
                     yaxis={"title": {"text": "y"}, "range": yr, "zeroline": False, "constrain": "domain",
                            "scaleanchor": "x", "scaleratio": 1})
    trace = _points_trace(p, name, SERIES[0], size=3.5, opacity=0.6)
    return go.Figure(data=[trace], layout=layout)
