"""Figures of "Score fields": a score over its density, the error map, mode weights, DSM, SDE and ODE paths."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ...figures import (
    OKABE_ITO,
    array,
    arrow_segments,
    arrows_shape,
    data_trace,
    figure,
    finite_rows,
    layout,
    legend_line,
    points_trace,
    scrubbed,
    square_axes,
)


def _heatmap(axis, z, *, name: str, colorscale: str = "Greys", zmin=None, zmax=None,
             colorbar: str | None = None) -> dict:
    """A heatmap trace over a square grid (z rows along y, columns along x)."""
    a = array(axis)
    trace = {"type": "heatmap", "x": a, "y": a, "z": array(z), "name": name, "colorscale": colorscale,
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
    g, v = array(origins).reshape(-1, 2), array(vectors).reshape(-1, 2)
    length = np.linalg.norm(v, axis=1, keepdims=True)
    ok = np.isfinite(length[:, 0]) & (length[:, 0] > 0)
    ref = float(np.median(length[ok])) if ok.any() else 1.0
    scaled = v / np.maximum(length, 1e-12) * (0.9 * cell * np.minimum(1.0, length / max(ref, 1e-12)))
    name = "score ∇ log p_σ (direction)"
    arrows = arrows_shape(g[ok], scaled[ok], color=color, width=1.3, name=name)
    density = np.exp(array(log_density) - np.nanmax(array(log_density)))
    # Greys runs white (low) to black (high); zmax above 1 keeps the densest cells grey, so arrows show
    traces = [{**_heatmap(axis, density, name="density (darker: more likely)", zmin=0, zmax=1.6), "zsmooth": "best",
               "showlegend": True, "hoverinfo": "skip"}, legend_line(name, color, "solid")]
    lay = layout(title, height, shapes=[arrows], **square_axes(lim))
    lay["legend"] = {**lay["legend"], "itemclick": False, "itemdoubleclick": False}  # a click would hide the stand-in
    return figure(data=traces, layout=lay)


def error_map(axis, error, *, title: str, lim: float, contour=None, height: int = 460) -> go.Figure:
    """|s_theta - s| on a grid in units of the score's typical size (0 to 1, capped), with the data's
    density as contour lines."""
    traces = [_heatmap(axis, np.clip(array(error), 0, 1), name="error", colorscale="Viridis",
                       zmin=0, zmax=1, colorbar="|error| / typical |score|")]
    if contour is not None:
        a = array(axis)
        traces.append({"type": "contour", "x": a, "y": a, "z": np.exp(array(contour) - np.nanmax(array(contour))),
                       "name": "where the data is", "showscale": False, "contours": {"coloring": "none"},
                       "ncontours": 4, "line": {"color": OKABE_ITO["orange"], "width": 1.2}, "showlegend": True,
                       "hoverinfo": "skip"})
    return figure(data=traces, layout=layout(title, height, **square_axes(lim)))


def dsm_arrows(points, x, targets_scaled, weights, mean_step, *, title: str, lim: float = 2.6,
               height: int = 460) -> go.Figure:
    """Denoising score matching at one noisy point x: a thin arrow to every clean point, darker the
    likelier it produced x, and their weighted average (sigma^2 times the score) as a thick arrow."""
    p, x0, w = finite_rows(points), array(x).reshape(2), array(weights)
    v = array(targets_scaled).reshape(-1, 2)
    traces = [data_trace(p, "clean training points")]
    order = np.argsort(w)
    for rank, i in enumerate(order[-40:]):  # the 40 likeliest, faintest first
        ax, ay = arrow_segments(x0[None, :], v[i:i + 1], head=0.08)
        traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "hoverinfo": "skip",
                       "name": "x_i − x: one clean point's target (darker: likelier)", "legendgroup": "targets",
                       "showlegend": rank == len(order[-40:]) - 1,
                       "line": {"color": OKABE_ITO["sky_blue"], "width": 1.0 + 2.0 * float(w[i] / max(w.max(), 1e-12))},
                       "opacity": float(0.15 + 0.85 * w[i] / max(w.max(), 1e-12))})
    ax, ay = arrow_segments(x0[None, :], array(mean_step).reshape(1, 2), head=0.15)
    traces.append({"type": "scatter", "x": ax, "y": ay, "mode": "lines", "hoverinfo": "skip",
                   "name": "their weighted average: σ² × score", "line": {"color": OKABE_ITO["vermillion"], "width": 3.5}})
    traces.append({"type": "scatter", "x": [x0[0]], "y": [x0[1]], "mode": "markers", "name": "the noisy point x",
                   "marker": {"symbol": "circle-open", "size": 13, "color": OKABE_ITO["black"], "line": {"width": 2.5}}})
    return figure(data=traces, layout=layout(title, height, **square_axes(lim)))


def density_paths(steps, grid, log_density, paths: Mapping[str, object], *, title: str, T: int,
                  height: int = 430) -> go.Figure:
    """The noised 1D density q_t(x) as a heat map over (t, x), reverse time left to right, with paths.

    `steps` (R,) are the 1-based steps of the density's rows, `log_density` (R, X); each path entry is
    (path_steps (S + 1,), states (S + 1, K)).
    """
    st_, gx, ld = array(steps), array(grid), array(log_density)
    z = np.round(np.exp(ld).T, 4)  # four decimals are plenty for a colour, and halve what is sent
    traces = [{"type": "heatmap", "x": st_, "y": gx, "z": z, "colorscale": "Blues", "showscale": False,
               "name": "density q_t(x)", "showlegend": True, "hovertemplate": "t = %{x}, x = %{y:.2f}<extra></extra>"}]
    for i, (name, (ps, xs)) in enumerate(paths.items()):
        ps_, xs_ = array(ps), array(xs).reshape(len(ps), -1)
        color = (OKABE_ITO["vermillion"], OKABE_ITO["black"], OKABE_ITO["orange"])[i % 3]
        for k in range(xs_.shape[1]):
            traces.append({"type": "scatter", "x": ps_, "y": xs_[:, k], "mode": "lines", "name": name,
                           "legendgroup": name, "showlegend": k == 0, "hoverinfo": "skip",
                           "line": {"color": color, "width": 1.6}})
    lay = layout(title, height, legend_y=-0.22, margin={"l": 60, "r": 20, "t": 60, "b": 70},
                 xaxis={"title": {"text": "step t (noise → data)"}, "range": [T, 0]},
                 yaxis={"title": {"text": "x_t"}, "range": [float(gx[0]), float(gx[-1])]})
    return figure(data=traces, layout=lay)


# particles drawn per sampler in the scrubbed run (of its 1,000; the mode shares count all): 51 frames of float32, about
# 0.5 MB. With 500 a step of the figure's own slider took 0.15 s in Chromium, with 250 0.10 s (measured in one run)
FOLLOW_SHOWN = 250


def follow_run(states: Mapping[str, object], frames: Sequence[int], data, *, colors: Mapping[str, str],
               lim: float, height: int = 500) -> go.Figure:
    """Every sampler's particles side by side (one square panel each) over the faint data, at every kept step
    of the run, with a slider under the panels that moves through the steps in the browser. `states` maps a
    sampler to its (len(frames), N, 2) positions; the first FOLLOW_SHOWN particles of each are drawn. Opens on
    the last step."""
    names = list(states)
    n, gap = len(names), 0.03
    width = (1 - gap * (n - 1)) / n
    axes, notes, base = {}, [], []
    for i, name in enumerate(names):
        sfx = "" if i == 0 else str(i + 1)
        lo = i * (width + gap)
        axes[f"xaxis{sfx}"] = {"domain": [lo, lo + width], "range": [-lim, lim], "zeroline": False,
                               "constrain": "domain", "title": {"text": "x₁"}}
        axes[f"yaxis{sfx}"] = {"range": [-lim, lim], "zeroline": False, "scaleanchor": f"x{sfx}", "scaleratio": 1,
                               "constrain": "domain", "title": {"text": "x₂"}}
        notes.append({"text": name, "xref": f"x{sfx} domain", "yref": f"y{sfx} domain", "x": 0.5, "y": 1.0,
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 15}})
        base.append({**data_trace(data, "data"), "xaxis": f"x{sfx}", "yaxis": f"y{sfx}", "legendgroup": "data",
                     "showlegend": i == 0})
    shown = {name: array(s)[:, :FOLLOW_SHOWN] for name, s in states.items()}
    total = array(next(iter(states.values()))).shape[1]

    def moving(k: int) -> list[dict]:
        out = []
        for i, name in enumerate(names):
            trace = points_trace(shown[name][k], f"{name} particles", colors[name], 4, 0.6)
            sfx = "" if i == 0 else str(i + 1)
            out.append({**trace, "xaxis": f"x{sfx}", "yaxis": f"y{sfx}", "showlegend": True})
        return out

    def title(k: int) -> str:
        return (f"Step {frames[k]:,} of {frames[-1]:,}: {min(FOLLOW_SHOWN, total):,} of each sampler's "
                f"{total:,} particles")

    last = len(frames) - 1
    moving_frames, slider = scrubbed([moving(k) for k in range(len(frames))], traces=range(n, 2 * n),
                                     labels=[f"{s:,}" for s in frames], active=last, prefix="Step shown: ", y=-0.25,
                                     titles=[title(k) for k in range(len(frames))])
    lay = layout(title(last), height, legend_y=-0.58, margin={"l": 61, "r": 10, "t": 80, "b": 184}, annotations=notes,
                 sliders=[slider], **axes)
    # its traces and layout unchecked too (figure() never has Plotly check frames)
    return figure(data=base + moving(last), layout=lay, frames=moving_frames, _validate=False)
