"""Figures of the Playground: an animated sampler run, and the reader's points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import SERIES, array, data_trace, figure, finite_rows, layout, points_trace


def animated_run(states, labels: Sequence[str], data=None, *, title: str, height: int = 680,
                 frame_ms: int = 250, current: str = "shown: ") -> go.Figure:
    """A sampler's run as an animation: the states (F, n, 2) over the faint data, with play and pause
    buttons and a slider over the frames labelled by `labels` (short: they are the slider's ticks), the
    shown frame's label after the text `current`. The view is fixed on the data and the samples (the
    first states, wide noise, and the outermost 1% of samples may run past its edges)."""
    run = array(states)
    samples = finite_rows(run[-1])
    if len(samples) >= 20:  # the bulk of the samples: a few stragglers should not shrink the picture
        lo, hi = np.quantile(samples, 0.01, axis=0), np.quantile(samples, 0.99, axis=0)
        samples = samples[((samples >= lo) & (samples <= hi)).all(1)]
    box_points = np.concatenate([samples] + ([finite_rows(data)] if data is not None else []))
    axes = fitted_axes(box_points, pad=0.2)
    base = [] if data is None else [data_trace(data)]
    moving = lambda k: points_trace(run[k], "samples", SERIES[0], size=4, opacity=0.7)  # noqa: E731
    frames = [{"name": str(k), "data": [moving(k)], "traces": [len(base)]} for k in range(len(run))]
    steps = [{"label": lab, "method": "animate",
              "args": [[str(k)], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                  "transition": {"duration": 0}}]} for k, lab in enumerate(labels)]
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": frame_ms, "redraw": False}, "transition": {"duration": 0},
                            "fromcurrent": True, "mode": "immediate"}]}
    pause = {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    lay = layout(title, height, legend_y=-0.45, margin={"l": 60, "r": 20, "t": 90, "b": 215}, **axes,
                 updatemenus=[{"type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 1.02,
                               "xanchor": "left", "yanchor": "bottom", "buttons": [play, pause]}],
                 sliders=[{"active": len(run) - 1, "steps": steps, "x": 0.02, "y": -0.14, "len": 0.96,
                           "xanchor": "left", "yanchor": "top", "currentvalue": {"prefix": current},
                           "pad": {"t": 10},
                           "transition": {"duration": 0}}])
    lay["title"]["y"], lay["title"]["yanchor"] = 0.98, "top"
    return figure(data=base + [moving(len(run) - 1)], layout=lay, frames=frames)


def points_preview(points, *, title: str, name: str = "training points", height: int = 420, labels=None,
                   colours: Sequence[Mapping] = (), raster_min: float | None = None) -> go.Figure:
    """A point set in its own units, equal aspect, the view fitted to it; with `labels` (one class per point) a trace
    per class in `colours[class]` ({"name", "hex"}). A cloud of `raster_min` points or more (figure()'s default) is
    drawn as an image: a built-in set's 10,000 markers took Chromium 0.6 s to draw."""
    p = finite_rows(points)
    if labels is None:
        traces = [points_trace(p, name, SERIES[0], size=3.5, opacity=0.6)]
    else:
        labels = np.asarray(labels)
        traces = [points_trace(np.asarray(points)[labels == k], f"class {k + 1} ({c['name']})", c["hex"], size=3.5,
                               opacity=0.7) for k, c in enumerate(colours) if (labels == k).any()]
    return figure(data=traces, layout=layout(title, height, **fitted_axes(p)), raster_min=raster_min)


def box(points: np.ndarray, pad: float = 0.08, min_ratio: float = 0.4) -> tuple[list[float], list[float]]:
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


def fitted_axes(points: np.ndarray, pad: float = 0.08) -> dict:
    """x and y axes in the data's own units, fitted to `points` (see `box`), equal aspect."""
    xr, yr = box(points, pad=pad)
    return {"xaxis": {"title": {"text": "x"}, "range": xr, "zeroline": False, "constrain": "domain"},
            "yaxis": {"title": {"text": "y"}, "range": yr, "zeroline": False, "constrain": "domain",
                      "scaleanchor": "x", "scaleratio": 1}}
