"""Figures of "Flow matching": the loss weights, the paths and fields scrubbed over t, the two time grids, the
reflowed paths and the few-step samples. Built from the shared pieces in `diffusion_core.figures`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import (
    DATA_GREY,
    SERIES,
    array,
    arrow_segments,
    data_trace,
    figure,
    layout,
    low_legend,
    panel_titles,
    points_trace,
    scrubbed,
    square_panels,
)

PATH_BLUE, PATH_ORANGE, FIELD_GREEN, PATH_PURPLE = SERIES[0], SERIES[1], SERIES[2], SERIES[3]
ARROW_DT, ARROW_CAP = 0.1, 0.6  # an arrow is the move over a tenth of the run (-v dt), drawn at most this long


def loss_weights(lam, curves: Mapping[str, Sequence[float]], *, title: str, height: int = 380) -> go.Figure:
    """Weight per unit log-SNR on the eps-error, one line per loss, log y; noise on the left."""
    traces = [{"type": "scatter", "mode": "lines", "x": array(lam), "y": np.maximum(array(w), 1e-6), "name": name,
               "line": {"color": SERIES[i], "width": 3, "dash": ("solid", "dash")[i % 2]},
               "hovertemplate": "λ = %{x:.1f}: %{y:.3g}<extra>" + name + "</extra>"}
              for i, (name, w) in enumerate(curves.items())]
    low = math.floor(min(float(np.log10(t["y"].min())) for t in traces))  # every curve drawn to its lowest value
    return figure(data=traces, layout=low_legend(layout(
        title, height, xaxis={"title": {"text": "log-SNR λ = −2 log σ (noisier ←   → cleaner)"}},
        yaxis={"title": {"text": "weight on |ε̂ − ε|² per unit λ"}, "type": "log", "exponentformat": "power",
               "range": [low, 0.3]}), -0.3))


def _lines(paths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paths (S + 1, n, 2) as one polyline per path separated by NaN."""
    p = array(paths)
    nan = np.full((1, p.shape[1], 2), np.nan)
    seq = np.concatenate([p, nan]).transpose(1, 0, 2).reshape(-1, 2).astype(np.float32)
    return seq[:, 0], seq[:, 1]


def _at(paths: np.ndarray, t: float) -> np.ndarray:
    """Where each path of an even grid from t = 1 (index 0) to t = 0 is at time t, linearly interpolated."""
    p = array(paths)
    pos = (1 - t) * (len(p) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(p) - 1)
    w = pos - lo
    return ((1 - w) * p[lo] + w * p[hi]).astype(np.float32)


def _arrows(grid: np.ndarray, velocity: np.ndarray, axes: tuple[str, str]) -> dict:
    move = -array(velocity) * ARROW_DT
    length = np.linalg.norm(move, axis=1, keepdims=True)
    move = move * np.minimum(1.0, ARROW_CAP / np.maximum(length, 1e-12))
    x, y = arrow_segments(array(grid), move, head=0.3)
    return {"type": "scatter", "mode": "lines", "x": x.astype(np.float32), "y": y.astype(np.float32),
            "xaxis": axes[0], "yaxis": axes[1], "line": {"color": FIELD_GREEN, "width": 1.3},
            "name": "velocity field (−v · 0.1)", "hoverinfo": "skip", "showlegend": axes[0] == "x2"}


def _markers(points: np.ndarray, axes: tuple[str, str], name: str, legend: bool) -> dict:
    return {"type": "scatter", "mode": "markers", "x": points[:, 0], "y": points[:, 1], "xaxis": axes[0],
            "yaxis": axes[1], "name": name, "showlegend": legend,
            "marker": {"color": PATH_ORANGE, "size": 8, "line": {"color": "#FFFFFF", "width": 1}},
            "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra>" + name + "</extra>"}


def paths_run(view: Mapping, *, active: int, ideal_name: str, lim: float = 3.0, height: int = 600) -> go.Figure:
    """Three panels over the data, scrubbed over t in the browser: the straight training paths (noise to a data
    point), the ideal field's ODE paths from the same noise with the field at t, and the flow network's. Each
    frame moves the markers (where each path is at t) and redraws both fields at t."""
    axes = (("x", "y"), ("x2", "y2"), ("x3", "y3"))
    noise, data = array(view["noise"]), array(view["data"])
    straight = np.stack([noise + s * (data - noise) for s in (0.0, 1.0)])  # t = 1 to t = 0
    static, names = [], ("straight training path (noise → data point)", "ODE path from the same noise",
                         "ODE path from the same noise")
    for i, (paths, name) in enumerate(zip((straight, view["ideal_paths"], view["learned_paths"]), names)):
        x, y = _lines(paths)
        xa, ya = axes[i]
        static.append({**data_trace(view["points"], "data"), "xaxis": xa, "yaxis": ya, "showlegend": i == 0})
        static.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "xaxis": xa, "yaxis": ya, "name": name,
                       "line": {"color": PATH_BLUE if i == 0 else PATH_PURPLE, "width": 1.4 if i == 0 else 2.2},
                       "opacity": 0.7 if i == 0 else 0.95,
                       "hoverinfo": "skip", "showlegend": i < 2})
    grid = array(view["grid"])

    def moving(k: int) -> list[dict]:
        t = view["frame_times"][k]
        where = [_at(straight, t), _at(view["ideal_paths"], t), _at(view["learned_paths"], t)]
        return [_markers(where[0], axes[0], "where each path is at t", True),
                _arrows(grid, view["ideal_field"][k], axes[1]), _markers(where[1], axes[1], "at t", False),
                _arrows(grid, view["learned_field"][k], axes[2]), _markers(where[2], axes[2], "at t", False)]

    frames = [moving(k) for k in range(len(view["frame_times"]))]
    first = len(static)
    titles = [f"Paths from noise (t = 1) to data (t = 0), at t = {t:.2f}" for t in view["frame_times"]]
    frame_list, slider = scrubbed(frames, traces=list(range(first, first + 5)),
                                  labels=[f"{t:.2f}" for t in view["frame_times"]], active=active,
                                  prefix="t = ", y=-0.2, titles=titles)
    _, lay, centres = square_panels(3, lim, gap=0.08, top=0.88)
    notes = panel_titles(["Training: straight paths", ideal_name, "Flow network"], centres, 0.93, size=14)
    return figure(data=static + frames[active], frames=frame_list, layout=layout(
        titles[active], height, legend_y=-0.42, margin={"l": 63, "r": 20, "t": 60, "b": 223}, annotations=notes,
        sliders=[slider], **lay))


def time_grids(grids: Mapping[str, Sequence[float]], *, title: str, height: int = 240) -> go.Figure:
    """Each sampler's grid of flow times as a row of ticks on [0, 1] (1 = noise): where it spends its steps."""
    traces = []
    for i, (name, times) in enumerate(grids.items()):
        t = array(times)
        traces.append({"type": "scatter", "mode": "markers+lines", "x": t, "y": [name] * len(t), "name": name,
                       "marker": {"symbol": "line-ns-open", "size": 18, "color": SERIES[i],
                                  "line": {"width": 2, "color": SERIES[i]}},
                       "line": {"color": SERIES[i], "width": 1},
                       "hovertemplate": "t = %{x:.4f}<extra>" + name + "</extra>"})
    return figure(data=traces, layout=layout(
        title, height, showlegend=False, margin={"l": 250, "r": 20, "t": 60, "b": 55},
        xaxis={"title": {"text": "flow time t (0 = data, 1 = noise)"}, "range": [-0.02, 1.02]},
        yaxis={"title": {"text": "sampler"}, "automargin": True}))


def cloud_row(clouds: Sequence[tuple[str, object]], data, *, title: str, lim: float = 2.6,
              height: int = 360) -> go.Figure:
    """Several sample clouds over the data, side by side in one figure, each with its own title."""
    axes, lay, centres = square_panels(len(clouds), lim, top=0.84)
    traces = []
    for i, ((_, samples), (xa, ya)) in enumerate(zip(clouds, axes)):
        traces.append({**data_trace(data, "data"), "xaxis": xa, "yaxis": ya, "showlegend": i == 0})
        traces.append({**points_trace(samples, "samples", SERIES[0], size=3.5, opacity=0.55), "xaxis": xa,
                       "yaxis": ya, "showlegend": i == 0})
    notes = panel_titles([name for name, _ in clouds], centres, 0.88)
    return figure(data=traces, layout=layout(title, height, legend_y=-0.2, annotations=notes,
                                                margin={"l": 50, "r": 10, "t": 90, "b": 60}, **lay))


def path_pairs(before, after, data, *, title: str, lim: float = 3.0, height: int = 420) -> go.Figure:
    """The ODE paths of the same noise draws before and after reflow, side by side over the data."""
    traces = []
    axes, lay, _ = square_panels(2, lim, gap=0.06)
    for i, ((paths, name), (xa, ya)) in enumerate(zip(((before, "flow model's ODE paths"), (after, "after reflow")),
                                                      axes)):
        x, y = _lines(paths)
        end, start = array(paths)[-1].astype(np.float32), array(paths)[0].astype(np.float32)
        traces += [{"type": "scatter", "mode": "markers", "x": start[:, 0], "y": start[:, 1], "xaxis": xa,
                    "yaxis": ya, "name": "noise draw (t = 1)", "showlegend": i == 0,
                    "marker": {"color": "#FFFFFF", "size": 7, "line": {"color": "#000000", "width": 1.2}}},
                   {**data_trace(data, "data"), "xaxis": xa, "yaxis": ya, "showlegend": i == 0},
                   {"type": "scatter", "mode": "lines", "x": x, "y": y, "xaxis": xa, "yaxis": ya, "name": name,
                    "line": {"color": (PATH_BLUE, PATH_ORANGE)[i], "width": 1.4}, "hoverinfo": "skip"},
                   {"type": "scatter", "mode": "markers", "x": end[:, 0], "y": end[:, 1], "xaxis": xa, "yaxis": ya,
                    "name": "where each path ends (t = 0)", "showlegend": i == 0,
                    "marker": {"color": DATA_GREY, "size": 6, "symbol": "x"}}]
    return figure(data=traces, layout=layout(title, height, legend_y=-0.15, **lay))
