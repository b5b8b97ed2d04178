"""Shared pieces of every figure: palette, layout, common traces and the point-cloud panels.

Every figure has a title, axis labels, a legend when it shows more than one trace, equal aspect for 2D
point clouds, and colours from the Okabe-Ito palette (Okabe and Ito 2008), which stays distinguishable
under the common forms of colour blindness. Each topic's own figures live in its room
(`diffusion_core/topics/<topic>/figures.py`) and are built from these. Nothing here imports Streamlit.

Figures are built from plain dicts and validated once by `go.Figure(data, layout)`: about twice as fast
as many `update_*` calls, which matters when a slider redraws a chart.
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
PANEL_MARGIN = {"margin": {"l": 50, "r": 10, "t": 50, "b": 45}}  # the small panels shown several to a row


def array(a) -> np.ndarray:
    """A float numpy copy of an array, tensor or list."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def finite_rows(points) -> np.ndarray:
    """The (N, 2) rows of `points` whose coordinates are finite."""
    p = array(points).reshape(-1, 2)
    return p[np.isfinite(p).all(1)]


def layout(title: str, height: int, *, legend_y: float | None = None, title_size: int | None = None,
           **extra) -> dict:
    """Common layout: left-aligned title, white plot on a transparent page, legend below (at `legend_y`
    under the plot, in plot heights), and any other layout keys as given."""
    out = {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": title_size or 17}},
        "template": "plotly_white", "font": FONT, "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#FFFFFF",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 55},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.14 if legend_y is None else legend_y, "x": 0.0,
                   "xanchor": "left", "itemsizing": "constant"},
        "hoverlabel": {"font": {"size": 13}},
    }
    out.update(extra)
    return out


def square_axes(lim: float, xlabel: str = "x₁", ylabel: str = "x₂") -> dict:
    """x and y axes with the same range and scale, so 2D shapes keep their aspect."""
    return {"xaxis": {"title": {"text": xlabel}, "range": [-lim, lim], "zeroline": False, "constrain": "domain"},
            "yaxis": {"title": {"text": ylabel}, "range": [-lim, lim], "zeroline": False, "constrain": "domain",
                      "scaleanchor": "x", "scaleratio": 1}}


def square_panels(n: int, lim: float, *, gap: float = 0.04, top: float = 1.0) -> tuple[list[tuple[str, str]], dict,
                                                                                      list[float]]:
    """n square panels side by side in one figure (`square_axes` each, up to `top` of the height): each panel's
    (x, y) axis names for its traces, the layout's axis entries, and each panel's centre for its title."""
    axes = [("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}") for i in range(n)]
    width = (1 - gap * (n - 1)) / n
    square, lay, centres = square_axes(lim), {}, []
    for i, (xa, ya) in enumerate(axes):
        lo = i * (width + gap)
        lay["xaxis" if i == 0 else f"xaxis{i + 1}"] = {**square["xaxis"], "domain": [lo, lo + width], "anchor": ya}
        lay["yaxis" if i == 0 else f"yaxis{i + 1}"] = {**square["yaxis"], "domain": [0, top], "anchor": xa,
                                                       "scaleanchor": xa}
        centres.append(lo + width / 2)
    return axes, lay, centres


def panel_titles(texts: Sequence[str], centres: Sequence[float], y: float, size: int = 13) -> list[dict]:
    """A title over each panel of `square_panels`, as annotations at height y (paper units)."""
    return [{"text": text, "xref": "paper", "yref": "paper", "x": x, "y": y, "xanchor": "center",
             "yanchor": "bottom", "showarrow": False, "font": {"size": size}} for text, x in zip(texts, centres)]


def data_trace(data, name: str = "training data") -> dict:
    """The data a model was trained on, faint grey markers under everything else."""
    d = finite_rows(data).astype(np.float32)
    return {"type": "scatter", "x": d[:, 0], "y": d[:, 1], "mode": "markers", "name": name,
            "marker": {"color": DATA_GREY, "size": 5, "opacity": 0.35}, "hoverinfo": "skip"}


def points_trace(points, name: str, color: str, size: float = 4, opacity: float = 0.7) -> dict:
    """Markers for the finite rows of `points`; the legend says how many diverged (NaN or inf) and are not shown."""
    p = finite_rows(points)
    dropped = array(points).reshape(-1, 2).shape[0] - len(p)
    extra = {}
    if dropped:  # said in the legend, and the legend shown even for a lone trace
        name, extra = f"{name} ({dropped:,} diverged, not shown)", {"showlegend": True}
    p = p.astype(np.float32)  # typed arrays of half the bytes: a point cloud is drawn, not computed on
    return {**extra, "type": "scatter", "x": p[:, 0], "y": p[:, 1], "mode": "markers", "name": name,
            "marker": {"color": color, "size": size, "opacity": opacity},
            "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra>" + name + "</extra>"}


def scrubbed(frames: Sequence[list[dict]], *, traces: Sequence[int], labels: Sequence[str], active: int,
             prefix: str, y: float, titles: Sequence[str] | None = None,
             layouts: Sequence[dict] | None = None) -> tuple[list[dict], dict]:
    """Frames and a slider that shows them in the browser, with no round trip to the server: frame k (named
    str(k)) replaces the traces at indices `traces` with `frames[k]`, given `titles` the figure's title with
    titles[k], and given `layouts` the layout keys of layouts[k] (say its annotations). The slider sits `y` plot
    heights under the plot, opens on frame `active` and says the shown frame's label after `prefix`; with more
    than 8 frames its ticks carry no labels (they would overlap).
    Returns (frames, slider) for `go.Figure(..., layout={..., "sliders": [slider]}, frames=frames)`."""
    def frame_layout(k: int) -> dict:
        return ({} if layouts is None else dict(layouts[k])) | (
            {} if titles is None else {"title": {"text": titles[k]}})

    out = [{"name": str(k), "data": data, "traces": list(traces),
            **({"layout": frame_layout(k)} if titles is not None or layouts is not None else {})}
           for k, data in enumerate(frames)]
    steps = [{"label": str(label), "method": "animate",
              "args": [[str(k)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},  # titles, legend
                                  "transition": {"duration": 0}}]} for k, label in enumerate(labels)]
    # the handle jumps to where it was clicked (Plotly slides it over 150 ms by default, which the reader waits out)
    slider = {"active": active, "steps": steps, "x": 0.02, "y": y, "len": 0.96, "xanchor": "left", "yanchor": "top",
              "pad": {"t": 10}, "currentvalue": {"prefix": prefix, "font": {"size": 14, "color": FONT["color"]}},
              "transition": {"duration": 0}}
    if len(steps) > 8:
        slider |= {"ticklen": 0, "minorticklen": 0, "font": {"size": 1, "color": "rgba(0,0,0,0)"}}
    return out, slider


def point_clouds(series: Mapping[str, object], *, title: str, data=None, lim: float = DEFAULT_LIM,
                 height: int = 460, xlabel: str = "x₁", ylabel: str = "x₂") -> go.Figure:
    """Scatter of named (N, 2) point sets over the faint training data, equal aspect."""
    traces = [] if data is None else [data_trace(data)]
    traces += [points_trace(pts, name, SERIES[i % len(SERIES)]) for i, (name, pts) in enumerate(series.items())]
    return go.Figure(data=traces, layout=layout(title, height, **square_axes(lim, xlabel, ylabel)))


ARROW_POINTS = 6  # arrow_segments: origin, tip, one barb, tip again, the other barb, a gap


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, head: float = 0.3,
                    angle: float = math.radians(25)) -> tuple[np.ndarray, np.ndarray]:
    """Each arrow as one polyline (shaft, then its head's two barbs from the tip), arrows separated by NaN, for one
    trace. Plotly draws each stretch between gaps as an SVG element of its own, and the browser's time grows with
    their number: one stretch an arrow, not a shaft and a head, drew Guidance's field a fifth faster (measured)."""
    length = np.linalg.norm(vectors, axis=1, keepdims=True)  # (N, 1)
    keep = length[:, 0] > 0
    origins, vectors, length = origins[keep], vectors[keep], length[keep]
    tips = origins + vectors
    back = -vectors / length * (head * length)  # (N, 2) head strokes point back along the shaft
    c, s = math.cos(angle), math.sin(angle)
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], 1)
    nan = np.full_like(origins, np.nan)
    pts = np.stack([origins, tips, tips + left, tips, tips + right, nan], 1).reshape(-1, 2)  # (ARROW_POINTS N, 2)
    return pts[:, 0], pts[:, 1]


def samples_panel(samples, data=None, *, title: str, lim: float = 2.6, height: int = 400,
                  color: str = SERIES[0], data_name: str = "dino (data)",
                  samples_name: str = "model samples", size: float = 3.5) -> go.Figure:
    """Model samples over the faint training data: one rung of the ablation ladder."""
    traces = [] if data is None else [data_trace(data, data_name)]
    traces.append(points_trace(samples, samples_name, color, size=size, opacity=0.55))
    return go.Figure(data=traces, layout=layout(title, height, legend_y=-0.2, title_size=15, **PANEL_MARGIN,
                                                **square_axes(lim)))


def loss_curve(steps: Sequence[int], losses: Sequence[float], *, title: str, height: int = 300) -> go.Figure:
    """Smoothed training loss (MSE on eps, Ho et al. 2020 eq. 14) against optimisation step."""
    trace = {"type": "scatter", "x": list(steps), "y": list(losses), "mode": "lines", "name": "loss",
             "line": {"color": OKABE_ITO["blue"], "width": 2}}
    return go.Figure(data=[trace], layout=layout(
        title, height, showlegend=False, xaxis={"title": {"text": "training step"}},
        yaxis={"title": {"text": "MSE on ε (smoothed)"}, "type": "log"}))


def vline(x: float, color: str, dash: str, width: float = 2.0) -> dict:
    """A vertical line across the whole plot at x (a layout shape)."""
    return {"type": "line", "xref": "x", "yref": "y domain", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": width, "dash": dash}}


def legend_line(name: str, color: str, dash: str) -> dict:
    """An empty trace that puts a line style in the legend (shapes have no legend entry)."""
    return {"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": name,
            "line": {"color": color, "width": 2, "dash": dash}}


def low_legend(lay: dict, y: float = -0.3) -> dict:
    """Room below the x-axis title for a legend of several entries."""
    lay["margin"] = {**lay["margin"], "b": 95}
    lay["legend"] = {**lay["legend"], "y": y}
    return lay


def mode_weights(shares: Mapping[str, Sequence[float]], truth: Sequence[float], *, title: str,
                 labels: Sequence[str] | None = None, colors: Mapping[str, str] | None = None,
                 height: int = 340, legend_y: float = -0.28) -> go.Figure:
    """Share of particles in each mode per method, as grouped bars, with the true weights as black ticks
    (`legend_y` lower for labels of two lines).

    `colors` maps a method to its colour (the same as its panel); by default SERIES in order."""
    t = array(truth)
    names = list(labels) if labels is not None else [f"mode {k + 1}" for k in range(len(t))]
    colors = colors or {m: SERIES[i % len(SERIES)] for i, m in enumerate(shares)}
    traces = [{"type": "bar", "x": names, "y": array(v), "name": method, "marker": {"color": colors[method]},
               "hovertemplate": "%{x}: %{y:.3f}<extra>" + method + "</extra>"}
              for method, v in shares.items()]
    traces.append({"type": "scatter", "x": names, "y": t, "mode": "markers", "name": "true weight",
                   "marker": {"symbol": "line-ew-open", "size": 40, "color": OKABE_ITO["black"],
                              "line": {"width": 3}}})
    lay = layout(title, height, legend_y=legend_y, barmode="group", xaxis={"title": {"text": "mode"}},
                 yaxis={"title": {"text": "share of particles"}, "range": [0, 1.05]},
                 margin={"l": 60, "r": 20, "t": 60, "b": 80 if legend_y > -0.3 else 120})
    return go.Figure(data=traces, layout=lay)
