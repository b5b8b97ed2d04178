"""Shared pieces of every figure: palette, layout, common traces and the point-cloud panels.

Every figure has a title, axis labels, a legend when it shows more than one trace, equal aspect for 2D
point clouds, and colours from the Okabe-Ito palette (Okabe and Ito 2008), which stays distinguishable
under the common forms of colour blindness. Each topic's own figures live in its room
(`diffusion_core/topics/<topic>/figures.py`) and are built from these. Nothing here imports Streamlit.

Figures are built from plain dicts and validated once by `go.Figure(data, layout)` (frames are not: see `_built`;
a test checks that they send what Plotly's check would): about twice as fast
as many `update_*` calls, which matters when a slider redraws a chart. `figure` builds every figure of the
topics: large point clouds become images, and the template is written into the figure's own attributes so that
Streamlit's second draw of a new chart finds nothing to draw again (see DATAREVISION).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import copy
import functools
import io
import math
import re
from typing import Mapping, Sequence

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image

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
    under the plot, in plot heights), and any other layout keys as given.

    A figure whose legend, slider or axis labels need more margin than it gives is drawn twice: Plotly draws it,
    widens the margin and draws it again (0.1 s on Score fields' run of samplers). The heavy figures (frames, many
    traces) therefore give the margins Plotly widens them to in the reference window (1,400 pixels wide)."""
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

    out = [{"name": str(k), **({"data": data} if data else {}), "traces": list(traces),  # no data: layout only
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
    return figure(traces, layout(title, height, **square_axes(lim, xlabel, ylabel)))


ARROW_POINTS = 6  # arrow_segments: origin, tip, one barb, tip again, the other barb, a gap


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, head: float = 0.3,
                    angle: float = math.radians(25)) -> tuple[np.ndarray, np.ndarray]:
    """Each arrow as one polyline (shaft, then its head's two barbs from the tip), arrows separated by NaN, for one
    trace. Plotly draws each stretch between gaps as an SVG element of its own, and the browser's time grows with
    their number: one stretch an arrow, not a shaft and a head, drew Guidance's field a fifth faster (measured, when
    it was a trace; a field in a figure without frames of traces is now one shape: `arrows_shape`)."""
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


def arrows_path(origins: np.ndarray, vectors: np.ndarray, head: float = 0.3,
                angle: float = math.radians(25)) -> str:
    """The arrows of `arrow_segments` as one SVG path in data coordinates: each arrow a move to its origin, then
    lines to its tip, one barb, the tip again and the other barb (zero-length arrows left out)."""
    x, y = arrow_segments(array(origins).reshape(-1, 2), array(vectors).reshape(-1, 2), head, angle)
    pts = np.stack([x, y], 1).reshape(-1, ARROW_POINTS, 2)[:, :-1]  # (N, 5, 2): the gap dropped
    return " ".join("M" + " L".join(f"{a:.3f},{b:.3f}" for a, b in arrow) for arrow in pts.tolist())  # 0.1 pixel


def arrows_shape(origins: np.ndarray, vectors: np.ndarray, *, color: str, width: float, name: str,
                 axes: tuple[str, str] = ("x", "y"), head: float = 0.3) -> dict:
    """A field of arrows as one layout shape (type "path"), drawn above the traces, named but out of the legend
    (Plotly's legend draws a path shape as a hexagon: give the figure `legend_line(name, color, "solid")` for its
    entry). Plotly draws each stretch of a line trace between gaps as an SVG element of its own; a shape is one
    element for the whole field: on a bare page, a slider redrawing two fields of 625 arrows answered in 0.14 s
    against 0.26 s as traces (medians of 24 moves, one run). A frame's layout can replace it (Guidance's guided
    field); the figures whose frames also carry traces keep their arrows as traces (README: measured, not kept)."""
    return {"type": "path", "path": arrows_path(origins, vectors, head), "xref": axes[0], "yref": axes[1],
            "line": {"color": color, "width": width}, "layer": "above", "name": name, "showlegend": False}


def samples_panel(samples, data=None, *, title: str, lim: float = 2.6, height: int = 400,
                  color: str = SERIES[0], data_name: str = "dino (data)",
                  samples_name: str = "model samples", size: float = 3.5) -> go.Figure:
    """Model samples over the faint training data: one rung of the ablation ladder."""
    traces = [] if data is None else [data_trace(data, data_name)]
    traces.append(points_trace(samples, samples_name, color, size=size, opacity=0.55))
    return figure(data=traces, layout=layout(title, height, legend_y=-0.2, title_size=15, **PANEL_MARGIN,
                                                **square_axes(lim)))


def loss_curve(steps: Sequence[int], losses: Sequence[float], *, title: str, height: int = 300) -> go.Figure:
    """Smoothed training loss (MSE on eps, Ho et al. 2020 eq. 14) against optimisation step."""
    trace = {"type": "scatter", "x": list(steps), "y": list(losses), "mode": "lines", "name": "loss",
             "line": {"color": OKABE_ITO["blue"], "width": 2}}
    return figure(data=[trace], layout=layout(
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
    return figure(data=traces, layout=lay)


# ---- point clouds drawn as images ------------------------------------------------------------------------------
# Chromium draws a Plotly marker as an SVG element of its own, and a page's wait grows with their number (Score
# fields' scrubbed run: 10,000 markers, 0.36 s a step; 0.14 s with its data as images). A large cloud of plain
# markers is drawn instead as one image trace of the same dots: the same colour, size and opacity, overlaps
# darkening as the markers' do (alpha 1 - (1 - a)^k for k dots), on the same axes. What is lost: hovering over a
# single dot; zooming in magnifies pixels. Each such trace keeps its legend entry (an empty marker trace of the same
# look).

RASTER_MIN = 100  # marker traces of this many points or more are drawn as an image by `figure`
RASTER_SCALE = 2.0  # image pixels per screen pixel of the panel (sharp on a high-density screen)
# The image's dots are sized for the panel's size on screen, which the server does not know: it takes the figure's
# height and its width in a browser window of 1,400 x 1,000 (the app's wide layout gives a full-width figure 940
# pixels; a figure in a column is given its column's width by `shown_width`). In a narrower window a panel that its
# width limits is smaller, and so are its dots (markers would keep their size).
FIGURE_WIDTH = 940
_SHOWN_WIDTH = contextvars.ContextVar("shown_width", default=FIGURE_WIDTH)
RASTER_MAX_SIDE = 900  # pixels: an image side is never larger
RASTER_MAX_MARKER = 20  # pixels: larger markers stay markers (few, and a dot's footprint grows with its area)
ALPHA_LEVELS = 64  # opacity levels of the image's palette (a small PNG; steps of 1.6 % are not visible)
_PHASES = 4  # sub-pixel positions per axis for which a dot's footprint is precomputed
_SIMPLE_MARKER = {"color", "size", "opacity"}


def width_shown() -> float:
    """The width in pixels that figures built now are shown at (`shown_width`'s, or the main column's)."""
    return _SHOWN_WIDTH.get()


@contextlib.contextmanager
def shown_width(pixels: float):
    """Figures built inside this block are shown `pixels` wide (a column of the page) in the reference window."""
    token = _SHOWN_WIDTH.set(pixels)
    try:
        yield
    finally:
        _SHOWN_WIDTH.reset(token)


GAP_PIXELS = {"small": 16, "medium": 32, "large": 64}  # the gaps between a page's columns (1, 2 and 4 rem)


def in_column(spec: int | Sequence[float], index: int = 0, gap: str = "small"):
    """`shown_width` for column `index` of a row of columns across the main column: `spec` their relative widths (or
    their count, all alike), `gap` the space between them (a key of GAP_PIXELS)."""
    weights = [1.0] * spec if isinstance(spec, int) else list(spec)
    return shown_width((FIGURE_WIDTH - GAP_PIXELS[gap] * (len(weights) - 1)) * weights[index] / sum(weights))


def _footprints(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dot of `radius` pixels as per-pixel coverage (0 to 1; the edge pixel covered in proportion), for each of
    _PHASES x _PHASES sub-pixel positions of its centre: (offsets du, dv, coverage[phase_v, phase_u, k])."""
    reach = math.ceil(radius + 0.5)
    du, dv = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1))
    du, dv = du.ravel(), dv.ravel()
    phase = (np.arange(_PHASES) + 0.5) / _PHASES  # the centre's position inside its pixel
    dist = np.hypot(du[None, None, :] + 0.5 - phase[None, :, None],
                    dv[None, None, :] + 0.5 - phase[:, None, None])
    return du, dv, np.clip(radius + 0.5 - dist, 0.0, 1.0)


def dots_alpha(points, x_range: Sequence[float], y_range: Sequence[float], shape: tuple[int, int],
               radius: float, opacity: float) -> np.ndarray:
    """The opacity (0 to 1) of each pixel of an image of `shape` (rows, columns) spanning x_range by y_range, with a
    dot of `radius` pixels and `opacity` at each finite point: overlapping dots combine as SVG markers do,
    1 - prod(1 - a_i). Row 0 is the bottom of the image (the lowest y)."""
    rows, cols = shape
    du, dv, cover = _footprints(radius)
    reach = int(du.max())
    pad = 2 * reach + 2  # drawn on a margin all round (a dot just outside reaches in), then cut to the image
    wide = cols + 2 * pad
    p = finite_rows(points)
    u = (p[:, 0] - x_range[0]) / (x_range[1] - x_range[0]) * cols
    v = (p[:, 1] - y_range[0]) / (y_range[1] - y_range[0]) * rows
    near = (u > -reach - 1) & (u < cols + reach + 1) & (v > -reach - 1) & (v < rows + reach + 1)
    u, v = u[near], v[near]
    iu, iv = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
    phase = (np.minimum(((v - iv) * _PHASES).astype(np.int64), _PHASES - 1) * _PHASES
             + np.minimum(((u - iu) * _PHASES).astype(np.int64), _PHASES - 1))
    logs = np.log1p(-np.minimum(cover * opacity, 0.999)).reshape(_PHASES * _PHASES, -1).astype(np.float32)
    start = (iv + pad) * wide + (iu + pad)
    offsets = (dv * wide + du)[None, :]
    total = np.zeros(wide * (rows + 2 * pad))
    chunk = max(1, 2_000_000 // len(du))  # points at a time: a few tens of MB, whatever the dot's size
    for lo in range(0, len(start), chunk):
        index = start[lo:lo + chunk, None] + offsets
        total += np.bincount(index.ravel(), weights=logs[phase[lo:lo + chunk]].ravel(), minlength=len(total))
    total = total.reshape(rows + 2 * pad, wide)[pad:pad + rows, pad:pad + cols]
    return 1.0 - np.exp(total)


def _hex_rgb(color: str) -> tuple[int, int, int] | None:
    c = color.lstrip("#")
    if not color.startswith("#") or len(c) != 6:
        return None
    try:
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    except ValueError:
        return None


def png_of_alpha(alpha: np.ndarray, rgb: tuple[int, int, int]) -> str:
    """A one-colour image of per-pixel `alpha` as a PNG data URL: a palette of ALPHA_LEVELS opacities of `rgb`.
    The PNG's first row is alpha's row 0: an image trace draws row i at y0 + i dy, so row 0 at the bottom."""
    level = np.rint(np.clip(alpha, 0, 1) * (ALPHA_LEVELS - 1)).astype(np.uint8)
    image = Image.fromarray(level, "P")
    image.putpalette(list(rgb) * ALPHA_LEVELS)
    opacities = bytes(round(255 * k / (ALPHA_LEVELS - 1)) for k in range(ALPHA_LEVELS))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=opacities, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _axis_key(name: str, letter: str) -> str:
    return f"{letter}axis{name[1:]}"  # "x" -> "xaxis", "x2" -> "xaxis2"


LEGEND_ROW, LEGEND_PAD, LEGEND_CHAR, LEGEND_SYMBOL = 20, 22, 7.5, 40  # pixels: a legend's row, its padding, ...


def _legend_height(data: Sequence, lay: Mapping, width: float) -> float:
    """About how tall a horizontal legend is (pixels; 0 with none): its entries' names wrap into rows of the
    figure's width (measured in Chromium: a row 20 pixels, 22 more for its padding)."""
    if lay.get("showlegend") is False:
        return 0.0
    entries = [t for t in data if isinstance(t, dict) and t.get("type", "scatter") in ("scatter", "bar")
               and t.get("showlegend", True) is not False]
    if len(entries) < 2 and not any(t.get("showlegend") is True for t in entries) and not lay.get("showlegend"):
        return 0.0
    rows, used = 1, 0.0
    for t in entries:
        item = LEGEND_SYMBOL + LEGEND_CHAR * len(str(t.get("name") or ""))
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return LEGEND_PAD + LEGEND_ROW * rows


def _plot_height(data: Sequence, lay: Mapping, width: float) -> float:
    """The height of a figure's plot area on screen (pixels): its height less the margins, or less if a legend
    under the plot does not fit in the bottom margin and Plotly shrinks the plot to make room for it (the legend
    sits |y| plot heights under the plot)."""
    margin, legend = {"t": 100, "b": 80} | dict(lay.get("margin", {})), lay.get("legend", {})  # Plotly's defaults
    height, top = lay.get("height", 450), margin["t"]
    plot = height - top - margin["b"]
    y = legend.get("y", 1.0)
    if y < 0 and legend.get("orientation") == "h" and legend.get("yanchor", "top") == "top":
        plot = min(plot, (height - top - _legend_height(data, lay, width)) / (1 - y))
    return max(plot, 1.0)


def _raster_frame(trace: dict, lay: Mapping, plot_height: float | None = None) -> tuple[
        tuple[float, float], tuple[float, float], int, int, float] | None:
    """The image geometry of a marker trace's panel: (x range, y range, rows, columns, image pixels per screen
    pixel), or None when its axes have no fixed, finite, increasing range, are not linear, or are not drawn to one
    scale (the dots would not be round) with the range kept (Plotly would widen it past the image).
    The panel is as large on screen as the figure's height and its width (`shown_width`) allow: its axes keep one
    scale, so the tighter of the two sets it."""
    xa, ya = trace.get("xaxis", "x"), trace.get("yaxis", "y")
    xaxis, yaxis = lay.get(_axis_key(xa, "x"), {}), lay.get(_axis_key(ya, "y"), {})
    xr, yr = xaxis.get("range"), yaxis.get("range")
    if (xr is None or yr is None or yaxis.get("scaleanchor") != xa or yaxis.get("scaleratio", 1) != 1
            or "domain" != yaxis.get("constrain", "range") or "domain" != xaxis.get("constrain", "range")
            or xaxis.get("type", "linear") != "linear" or yaxis.get("type", "linear") != "linear"):
        return None
    try:
        (x0, x1), (y0, y1) = (float(v) for v in xr), (float(v) for v in yr)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(x0) and math.isfinite(x1) and math.isfinite(y0) and math.isfinite(y1)
            and x1 > x0 and y1 > y0):
        return None
    margin = {"l": 80, "r": 80, "t": 100, "b": 80} | dict(lay.get("margin", {}))  # Plotly's defaults
    (ylo, yhi), (xlo, xhi) = yaxis.get("domain", [0, 1]), xaxis.get("domain", [0, 1])
    if plot_height is None:
        plot_height = lay.get("height", 450) - margin["t"] - margin["b"]
    tall = plot_height * (yhi - ylo)
    wide = (lay.get("width", _SHOWN_WIDTH.get()) - margin["l"] - margin["r"]) * (xhi - xlo)
    per_unit = min(tall / (y1 - y0), wide / (x1 - x0))  # screen pixels per unit
    if not per_unit > 0:
        return None
    xr, yr = (x0, x1), (y0, y1)
    rows, cols = per_unit * RASTER_SCALE * (yr[1] - yr[0]), per_unit * RASTER_SCALE * (xr[1] - xr[0])
    shrink = max(1.0, max(rows, cols) / RASTER_MAX_SIDE)
    rows, cols = max(round(rows / shrink), 1), max(round(cols / shrink), 1)
    return xr, yr, rows, cols, rows / (per_unit * (y1 - y0))


def _plain_markers(trace) -> bool:
    """A scatter of markers alone, with one colour, size and opacity and nothing else on its markers."""
    if not isinstance(trace, dict) or trace.get("type", "scatter") != "scatter" or trace.get("mode") != "markers":
        return False
    marker, size = trace.get("marker", {}), trace.get("marker", {}).get("size", 6)
    return (set(marker) <= _SIMPLE_MARKER and isinstance(marker.get("color"), str)
            and _hex_rgb(marker["color"]) is not None and np.isscalar(size) and 0 < size <= RASTER_MAX_MARKER
            and np.isscalar(marker.get("opacity", 1.0)) and "opacity" not in trace
            and trace.get("visible", True) is True and _count(trace) == _count({"x": trace.get("y")}))


def _count(trace: dict) -> int:
    x = trace.get("x")
    return 0 if x is None else len(x)


_UNDER_IMAGES = ("scatter",)  # the trace types Plotly draws above images; others (heatmap, contour, bar) go between


def dots_image(trace: dict, lay: Mapping, plot_height: float | None = None) -> dict:
    """The image trace drawing marker trace `trace` (see `_plain_markers`) on its panel of layout `lay` (whose plot
    area is `plot_height` pixels tall on screen; by default its height less its margins)."""
    (x0, x1), (y0, y1), rows, cols, scale = _raster_frame(trace, lay, plot_height)
    marker = trace.get("marker", {})
    points = np.stack([array(trace["x"]), array(trace["y"])], 1) if _count(trace) else np.zeros((0, 2))
    alpha = dots_alpha(points, (x0, x1), (y0, y1), (rows, cols), radius=marker.get("size", 6) / 2 * scale,
                       opacity=float(marker.get("opacity", 1.0)))
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    return {"type": "image", "source": png_of_alpha(alpha, _hex_rgb(marker["color"])), "x0": x0 + dx / 2,
            "dx": dx, "y0": y0 + dy / 2, "dy": dy, "xaxis": trace.get("xaxis", "x"),
            "yaxis": trace.get("yaxis", "y"), "hoverinfo": "skip", "zsmooth": "fast", "name": trace.get("name")}


def _legend_stub(trace: dict, rank: int) -> dict:
    """An empty marker trace of `trace`'s look and name: its legend entry once the dots are an image."""
    marker = trace.get("marker", {})
    kept = {k: trace[k] for k in ("showlegend", "legendgroup") if k in trace}  # else Plotly's defaults, as before
    return {"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": trace.get("name"),
            "xaxis": trace.get("xaxis", "x"), "yaxis": trace.get("yaxis", "y"), "legendrank": rank, **kept,
            "hoverinfo": "skip", "marker": dict(marker)}


# Streamlit draws a new chart twice: once as it arrives, and again a moment later after it has copied the figure
# (a JSON round trip, which gives every array and the template a new identity). Plotly redraws whatever changed
# identity: the template (every trace again) and, unless the layout has a `datarevision`, every data array. A
# figure with its template written into its own attributes, a fixed `datarevision` and plain lists for arrays
# comes through the second pass with nothing to redraw. Streamlit gives a chart whose figure changed a new element,
# drawn afresh, so a fixed revision never hides a change.
DATAREVISION = "static"
# the trace types a fixed revision is known to leave intact: Plotly draws a contour again from its previous
# calculation, which no longer has its z (a TypeError, which Streamlit swallows; a test draws every figure twice;
# observed with plotly.js 4.1.1, the one plotly.py ships, which the test uses; Streamlit 1.67 bundles 4.2.0)
_SAFE_REVISION = ("scatter", "heatmap", "image", "bar", "histogram")
_AXIS_TEMPLATES = ("xaxis", "yaxis")
_SUBPLOT_TEMPLATES = ("polar", "ternary", "scene", "geo", "coloraxis", "mapbox", "map", "smith")


@functools.cache
def _template(name: str) -> dict:
    return pio.templates[name].to_plotly_json()


def _under(defaults, ours):
    """`ours` with `defaults` filled in where it says nothing (dicts merged key by key, as Plotly applies a
    template)."""
    if not isinstance(defaults, dict) or not isinstance(ours, dict):
        return ours
    out = dict(defaults)
    for key, value in ours.items():
        out[key] = _under(defaults.get(key), value)
    return out


def _axes_in(data: Sequence[dict], lay: Mapping) -> set[str]:
    """Every axis of the figure, as a layout key: those the layout sets and those the traces use."""
    keys = {k for k in lay if re.fullmatch(r"[xy]axis\d*", k)}
    for trace in data:
        for letter in "xy":
            keys.add(_axis_key(trace.get(f"{letter}axis", letter), letter))
    return keys


_ORIENTED = ("bar", "histogram", "box", "violin", "waterfall")


def _gridless(data: Sequence[dict]) -> set[str]:
    """The axes along which bars (histograms, boxes) stand: Plotly draws no grid or zero line along them unless the
    figure itself gives their colour (a template's colour does not count)."""
    out = set()
    for trace in data:
        kind = trace.get("type", "scatter")
        if kind not in _ORIENTED:
            continue
        lone = "y" if kind == "histogram" else "x"  # the one coordinate given alone lays the bars on their side
        other = "x" if lone == "y" else "y"
        flat = trace.get("orientation", "h" if lone in trace and other not in trace else "v") == "h"
        letter = "y" if flat else "x"
        out.add(_axis_key(trace.get(f"{letter}axis", letter), letter))
    return out


def inline_template(data: Sequence[dict], lay: Mapping) -> tuple[list[dict], dict]:
    """The figure with its named template (`layout["template"]`) written into the traces and the layout, as
    Plotly would apply it, and no template left."""
    lay = dict(lay)
    name = lay.pop("template", None)
    if not isinstance(name, str):
        return list(data), dict(lay, template=name) if name is not None else lay
    template = copy.deepcopy(_template(name))  # its pieces go into the figure, which is the caller's to change
    tl = template.get("layout", {})
    for key, value in tl.items():
        if key in _AXIS_TEMPLATES or key.endswith("defaults"):
            continue
        if key in _SUBPLOT_TEMPLATES and key not in lay:
            continue
        lay[key] = _under(value, lay[key]) if key in lay else value
    gridless = _gridless(data)
    for key in _axes_in(data, lay):
        ours = lay.get(key, {})
        lay[key] = _under(tl.get(key[:5], {}), ours)
        # what Plotly shows only for a colour or width the figure gave itself, not the template
        implied = {"showline": ("linecolor", "linewidth")}
        if key in gridless:
            implied |= {"showgrid": ("gridcolor", "gridwidth", "griddash"),
                        "zeroline": ("zerolinecolor", "zerolinewidth")}
        for shown, given in implied.items():
            if shown not in ours:
                lay[key][shown] = any(ours.get(g) for g in given)
    for kind in ("annotation", "shape"):
        if f"{kind}defaults" in tl and lay.get(f"{kind}s"):
            lay[f"{kind}s"] = [_under(tl[f"{kind}defaults"], item) for item in lay[f"{kind}s"]]
    seen: dict[str, int] = {}
    out = []
    for trace in data:
        kind = trace.get("type", "scatter")
        items = template.get("data", {}).get(kind) or [{}]
        k = seen.get(kind, 0)
        seen[kind] = k + 1
        defaults = {key: v for key, v in items[k % len(items)].items() if key != "type"}
        out.append(_under(defaults, trace))
    return out, lay


def _plain(value):
    """Arrays as plain lists (NaN as None), in dicts and lists too: Plotly compares plain lists by `datarevision`,
    typed arrays by identity."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return np.where(np.isfinite(value), value, None).tolist() if not np.isfinite(value).all() \
                else value.tolist()
        return value.tolist() if value.dtype.kind in "biuUS" else value  # dates and objects: Plotly's encoder's
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _built(data: Sequence, lay: dict, frames: Sequence | None, options: Mapping) -> go.Figure:
    """`go.Figure` of the figure, ready to be drawn once (see DATAREVISION)."""
    if not all(isinstance(t, dict) for t in data) or not isinstance(lay, dict):
        return go.Figure(data=data, layout=lay, frames=frames or None, **options)
    named = isinstance(lay.get("template"), str)
    data, lay = inline_template(data, lay)
    data = [_plain(t) for t in data]
    if all(t.get("type", "scatter") in _SAFE_REVISION for t in data):
        lay = dict(lay, datarevision=lay.get("datarevision", DATAREVISION))
    lay = _plain(lay)
    fig = go.Figure(data=data, layout=lay, **options)
    if named:  # go.Figure gives every figure the default template; this one has its own written in
        fig.layout.template = None
    if frames:
        # Plotly checks every frame's every trace against its schema even when told not to check (building Score
        # fields' run took 0.067 s with the check, 0.022 without, on every move of its sliders); these frames are
        # ours, and a test finds every catalogue figure's frames sent the same as when Plotly checks them. Read
        # them through `to_plotly_json()`: `fig.frames[k].data` fails on an unchecked frame
        fig._frame_objs = tuple(go.Frame(_typed(_named_scales(f)), _validate=False) for f in frames)
    return fig


_TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
          "float32": "f4", "float64": "f8"}  # numpy's names of plotly.js's typed arrays
_UNTYPED_KEYS = ("geojson", "layer", "layers", "range")  # what Plotly sends as it is


def _typed(value, key: str | None = None):
    """`value` with its numpy arrays as plotly.js typed arrays ({"dtype", "bdata"}, what Plotly's encoder sends):
    done here, Streamlit's copy of the figure finds no array to encode (Plotly's own encoder inspects every value
    of every frame: 0.02 s on Score fields' run)."""
    if key in _UNTYPED_KEYS:
        return value
    if isinstance(value, np.ndarray):  # an array in a list stays an array: Plotly's encoder sends it as a list
        if key is None or str(value.dtype) not in _TYPED or not value.size:
            return value
        spec = {"dtype": _TYPED[str(value.dtype)], "bdata": base64.b64encode(np.ascontiguousarray(value)).decode()}
        return spec | ({"shape": str(value.shape)[1:-1]} if value.ndim > 1 else {})
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return [_typed(v) for v in value]
    return value


def _named_scales(frame):
    """The frame with its traces' named colour scales (on the trace, its marker or its line) spelled out as Plotly's
    check would: plotly.js has scales of the same names that differ (its "Blues" is not plotly.py's)."""
    def spelled(part):
        if not isinstance(part, dict):
            return part
        out = {k: spelled(v) if k in ("marker", "line") else v for k, v in part.items()}
        if isinstance(out.get("colorscale"), str):
            out["colorscale"] = pc.get_colorscale(out["colorscale"])
        return out

    if not isinstance(frame, dict) or "data" not in frame:
        return frame
    return dict(frame, data=[spelled(t) for t in frame["data"]])


def figure(data: Sequence[dict], layout: dict, frames: Sequence[dict] | None = None, *,
           raster_min: float | None = None, raster_frames: bool = False, **options) -> go.Figure:
    """`go.Figure(data, layout, frames)`, with every large cloud of plain markers (`raster_min` points or more, by
    default RASTER_MIN, on a panel of fixed range and equal scale) drawn as an image: one SVG element instead of one
    per dot.

    A trace that frames replace stays markers unless `raster_frames`, and is then an image in every frame or in
    none (the same kind of trace at every step): an image a frame costs more bytes and server time than the float32
    points it replaces (Home's 101 frames of 2 x 500 points: 1.5 MB as points, 5 MB as images, and 1.4 s to
    draw them), while the static traces under the frames (the data) are drawn once. A frame without a list of
    traces replaces the figure's first ones, in order.

    Each image keeps its legend entry through an empty marker trace added after the figure's traces (the legend
    keeps the order of the traces); frames update those entries too (a name that changes). A legend click would hide
    only that stand-in, so clicks are off in a figure with an image. `options` go to `go.Figure` (say
    `_validate=False`, which skips Plotly's check of the traces and layout). Frames of dicts are not checked by
    Plotly, and their arrays are sent as typed arrays (see _built): read them through `to_plotly_json()`."""
    raster_min = RASTER_MIN if raster_min is None else raster_min
    if not all(isinstance(f, dict) for f in (frames or [])):  # go.Frame objects: left as they are
        return _built(data, layout, frames, options)
    data, frames = list(data), [dict(f) for f in (frames or [])]
    for frame in frames:
        frame.setdefault("traces", list(range(len(frame.get("data", [])))))
    versions: dict[int, list] = {i: [trace] for i, trace in enumerate(data)}
    for frame in frames:
        for index, trace in zip(frame["traces"], frame.get("data", [])):
            versions.setdefault(index, []).append(trace)
    # Plotly draws image traces under every other trace: a trace becomes an image only if every trace before it on
    # its panel does too, so nothing drawn under the cloud comes out on top of it, and only on a panel with no trace
    # of a type drawn between images and markers (a heat map after the cloud would cover it)
    def panel_of(trace: dict) -> tuple[str, str]:
        return trace.get("xaxis", "x"), trace.get("yaxis", "y")

    if not all(isinstance(t, dict) for seen in versions.values() for t in seen):  # trace objects: panels unread
        return _built(data, layout, frames, options)
    chosen, covered = [], {panel_of(t) for seen in versions.values() for t in seen
                           if t.get("type", "scatter") not in _UNDER_IMAGES}
    for i in range(len(data)):
        seen, trace = versions[i], data[i]
        panel = panel_of(trace)
        if (panel not in covered and (raster_frames or len(seen) == 1)
                and max(_count(t) for t in seen) >= raster_min
                and all(_plain_markers(t) and _raster_frame(t, layout) is not None for t in seen)):
            chosen.append(i)
        else:
            covered.add(panel)
    if not chosen:
        return _built(data, layout, frames, options)
    # a click on a legend entry would hide its empty stand-in, not the image (an image trace has no legend entry)
    layout = dict(layout, legend={**layout.get("legend", {}), "itemclick": False, "itemdoubleclick": False})
    for i in chosen:  # no tick marks where Plotly would add them beside an image (as the figure had without one)
        for letter in "xy":
            key = _axis_key(data[i].get(f"{letter}axis", letter), letter)
            layout[key] = {"ticks": "", **layout.get(key, {})}
    stubs = {i: len(data) + k for k, i in enumerate(chosen)}
    tall = _plot_height(data, layout, layout.get("width", _SHOWN_WIDTH.get()))
    out = [dict(t, legendrank=t.get("legendrank", i)) if isinstance(t, dict) else t for i, t in enumerate(data)]
    for i in chosen:
        out[i] = dots_image(data[i], layout, tall)
    out += [_legend_stub(data[i], data[i].get("legendrank", i)) for i in chosen]
    for frame in frames:
        traces, shown = list(frame["traces"]), list(frame.get("data", []))
        for index, trace in list(zip(traces, shown)):
            if index in stubs:
                shown[traces.index(index)] = dots_image(trace, layout, tall)
                traces.append(stubs[index])
                shown.append(_legend_stub(trace, data[index].get("legendrank", index)))
        frame["traces"] = traces
        if shown:  # a frame of layout only (shapes, a title) stays without data, as Plotly's own check leaves it
            frame["data"] = shown
    return _built(out, layout, frames, options)
