"""Figures of "Guidance": the Dozen's gallery, the dial scrubbed over w, the measured trade, and the three fields.
Built from the shared pieces in `diffusion_core.figures`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ... import datasets
from ...figures import (
    DATA_GREY,
    SERIES,
    array,
    arrows_shape,
    data_trace,
    figure,
    layout,
    legend_line,
    panel_titles,
    points_trace,
    scrubbed,
    square_panels,
)
from .core import COVER_RADIUS

MODEL_COLORS = {"exact": SERIES[0], "trained": SERIES[1]}
MODEL_DASH = {"exact": "solid", "trained": "dash"}
FIELD_COLORS = (SERIES[5], SERIES[2], SERIES[1])  # unconditional, conditional, guided
FIELD_NAMES = ("unconditional step D_u − x", "conditional step D_c − x",
               "guided step (D_u − x) + w (D_c − D_u)")
ARROW_CAP = 0.45  # an arrow is D(x; sigma) - x, drawn at most this long


def gallery(shapes: Mapping[str, object], labels: Mapping[str, str], chosen: str, *, title: str,
            lim: float = 2.6, height: int = 330) -> go.Figure:
    """Every shape of the Dozen as a small panel, two rows; the chosen one in colour, the others grey."""
    names = list(shapes)
    per_row = (len(names) + 1) // 2
    traces, lay, notes = [], {}, []
    gap, width = 0.012, (1 - 0.012 * (per_row - 1)) / per_row
    for i, name in enumerate(names):
        row, col = divmod(i, per_row)
        xa, ya = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        p = array(shapes[name]).astype(np.float32)
        color = SERIES[1] if name == chosen else DATA_GREY
        traces.append({"type": "scatter", "mode": "markers", "x": p[:, 0], "y": p[:, 1], "xaxis": xa, "yaxis": ya,
                       "name": labels[name], "showlegend": False, "marker": {"color": color, "size": 3},
                       "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra>" + labels[name] + "</extra>"})
        lo, top = col * (width + gap), 0.9 - row * 0.5
        lay["xaxis" if i == 0 else f"xaxis{i + 1}"] = {"domain": [lo, lo + width], "anchor": ya, "range": [-lim, lim],
                                                       "visible": False, "constrain": "domain"}
        lay["yaxis" if i == 0 else f"yaxis{i + 1}"] = {"domain": [top - 0.4, top], "anchor": xa, "range": [-lim, lim],
                                                       "visible": False, "scaleanchor": xa, "constrain": "domain"}
        notes.append({"text": f"<b>{labels[name]}</b>" if name == chosen else labels[name], "xref": "paper",
                      "yref": "paper", "x": lo + width / 2, "y": top, "xanchor": "center", "yanchor": "bottom",
                      "showarrow": False, "font": {"size": 12}})
    return figure(data=traces, layout=layout(title, height, annotations=notes, showlegend=False,
                                                margin={"l": 10, "r": 10, "t": 60, "b": 10}, **lay))


def dial(view: Mapping, *, names: Mapping[str, str], active: int, shape_label: str, steps: int, lim: float = 2.6,
         height: int = 520) -> go.Figure:
    """Samples of each model side by side over the chosen shape's points, scrubbed over the guidance scale w in the
    browser (one frame per scale)."""
    models = list(view["samples"])
    axes, lay, centres = square_panels(len(models), lim, gap=0.06, top=0.86)
    shape_name = f"the {shape_label} shape's {len(view['points']):,} points"
    static = [{**data_trace(view["points"], shape_name), "xaxis": xa, "yaxis": ya,
               "showlegend": i == 0} for i, (xa, ya) in enumerate(axes)]

    def frame(k: int) -> list[dict]:
        return [{**points_trace(view["samples"][m][k], f"samples (DDIM, {steps} steps)", SERIES[0], size=3.5,
                                opacity=0.6), "xaxis": xa, "yaxis": ya, "showlegend": i == 0}
                for i, (m, (xa, ya)) in enumerate(zip(models, axes))]

    scales = view["scales"]
    frames = [frame(k) for k in range(len(scales))]
    titles = [f"Samples of the {shape_label} at guidance scale w = {w:g}" for w in scales]
    frame_list, slider = scrubbed(frames, traces=list(range(len(static), len(static) + len(models))),
                                  labels=[f"{w:g}" for w in scales], active=active, prefix="guidance scale w = ",
                                  y=-0.08, titles=titles)
    return figure(data=static + frames[active], frames=frame_list, layout=layout(
        titles[active], height, legend_y=-0.3, annotations=panel_titles([names[m] for m in models], centres, 0.9),
        sliders=[slider], margin={"l": 50, "r": 20, "t": 60, "b": 150}, **lay))


TRADE_PANELS = (("fidelity", "distance to the shape", "Fidelity (lower: on the shape)"),
                ("coverage", "share of points covered", "Coverage (higher: all of it)"),
                ("energy", "energy distance", "Energy distance (0: the shape)"),
                ("off", "share of samples off it", f"Off the shape (farther than {COVER_RADIUS:g})"))


def _grid_axes(k: int, rows: int, cols: int, gap_x: float, gap_y: float) -> tuple[str, str, list, list]:
    """Axis names and domains of panel k in a rows x cols grid, filled row by row."""
    row, col = divmod(k, cols)
    width, height = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    x0, y1 = col * (width + gap_x), 1 - row * (height + gap_y)
    return (("x", "y") if k == 0 else (f"x{k + 1}", f"y{k + 1}")) + (
        [round(x0, 6), round(x0 + width, 6)], [round(max(y1 - height, 0.0), 6), round(y1, 6)])


def trade(view: Mapping, *, names: Mapping[str, str], title: str, height: int = 640) -> go.Figure:
    """Each Trade number against w, one panel each (two by two), a line per model (mean over seeds, error bars one
    standard error) and the perfect sampler's band shaded (its 2.5% to 97.5% points, measured the same way)."""
    w = array(view["scales"])
    traces, lay, notes = [], {}, []
    for i, (key, axis_title, note) in enumerate(TRADE_PANELS):
        xa, ya, xdom, ydom = _grid_axes(i, 2, 2, 0.12, 0.2)
        lo, _, hi = view["floor"][key]
        traces.append({"type": "scatter", "mode": "lines", "x": np.concatenate([w, w[::-1]]),
                       "y": np.concatenate([np.full(len(w), hi), np.full(len(w), lo)]),
                       "fill": "toself", "fillcolor": "rgba(140,140,140,0.3)", "line": {"width": 0},
                       "xaxis": xa, "yaxis": ya, "name": "a perfect sampler (95% band)", "showlegend": i == 0,
                       "hoverinfo": "skip"})
        for model, curve in view["curves"].items():
            m = np.array([c[key][0] for c in curve])
            e = np.array([c[key][1] for c in curve])
            traces.append({"type": "scatter", "mode": "lines+markers", "x": w, "y": m, "xaxis": xa, "yaxis": ya,
                           "name": names[model], "showlegend": i == 0,
                           "line": {"color": MODEL_COLORS[model], "dash": MODEL_DASH[model], "width": 2.5},
                           "error_y": {"type": "data", "array": e, "visible": True, "thickness": 1.2},
                           "hovertemplate": "w = %{x:g}: %{y:.3f}<extra>" + names[model] + "</extra>"})
        lay["xaxis" if i == 0 else f"xaxis{i + 1}"] = {"domain": xdom, "anchor": ya,
                                                       "title": {"text": "guidance scale w"}}
        lay["yaxis" if i == 0 else f"yaxis{i + 1}"] = {"domain": ydom, "anchor": xa,
                                                       "title": {"text": axis_title, "standoff": 4},
                                                       **({} if key == "energy" else {"rangemode": "tozero"})}
        notes.append({"text": note, "xref": "paper", "yref": "paper", "x": sum(xdom) / 2, "y": ydom[1] + 0.01,
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13}})
    return figure(data=traces, layout=layout(title, height, legend_y=-0.12, annotations=notes,
                                                margin={"l": 60, "r": 20, "t": 80, "b": 80}, **lay))


def isolation(view: Mapping, *, names: Mapping[str, str], shape_label: str, title: str,
              height: int = 380) -> go.Figure:
    """How far from the other shapes the samples land against w (mean over seeds, one standard error), beside the
    shape's own points' mean."""
    w = array(view["scales"])
    traces = [{"type": "scatter", "mode": "lines", "x": [w[0], w[-1]], "y": [view["isolation"]["shape"]] * 2,
               "name": f"all the {shape_label}'s points", "line": {"color": DATA_GREY, "dash": "dot", "width": 2},
               "hoverinfo": "skip"}]
    for model in view["curves"]:
        m = np.array([v[0] for v in view["isolation"][model]])
        e = np.array([v[1] for v in view["isolation"][model]])
        traces.append({"type": "scatter", "mode": "lines+markers", "x": w, "y": m, "name": names[model],
                       "line": {"color": MODEL_COLORS[model], "dash": MODEL_DASH[model], "width": 2.5},
                       "error_y": {"type": "data", "array": e, "visible": True, "thickness": 1.2},
                       "hovertemplate": "w = %{x:g}: %{y:.3f}<extra>" + names[model] + "</extra>"})
    return figure(data=traces, layout=layout(
        title, height, legend_y=-0.25, xaxis={"title": {"text": "guidance scale w"}},
        yaxis={"title": {"text": "distance to another shape"}, "rangemode": "tozero"}))


def _arrows(grid, step, axes: tuple[str, str], color: str, name: str) -> dict:
    """A field of steps as one shape (figures.arrows_shape), each arrow at most ARROW_CAP long."""
    move = array(step)
    length = np.linalg.norm(move, axis=1, keepdims=True)
    move = move * np.minimum(1.0, ARROW_CAP / np.maximum(length, 1e-12))
    return arrows_shape(array(grid), move, color=color, width=1.3, name=name, axes=axes, head=0.3)


def fields(view: Mapping, *, scales: Sequence[float], active: int, shape_label: str, lim: float = 2.6,
           height: int = 560) -> go.Figure:
    """Three panels at one noise level: the unconditional step D_u - x over all 13 shapes, the conditional step
    D_c - x over the chosen shape, and the guided step (D_u - x) + w (D_c - D_u) over the class posterior
    p_sigma(c | x) (a heat map), scrubbed over w in the browser."""
    axes, lay, centres = square_panels(3, lim, gap=0.08, top=0.84)
    grid, u, c = array(view["grid"]), array(view["uncond"]), array(view["cond"])
    ax = array(view["axis"]).astype(np.float32)
    static = [
        {**data_trace(view["all"], f"all {len(view['all']):,} points"), "xaxis": "x", "yaxis": "y"},
        {**data_trace(view["points"], f"the {shape_label}'s points"), "xaxis": "x2", "yaxis": "y2",
         "marker": {"color": "#000000", "size": 4, "opacity": 0.5}},
        {"type": "heatmap", "x": ax, "y": ax, "z": array(view["posterior"]).astype(np.float32), "xaxis": "x3",
         "yaxis": "y3", "zmin": 0, "zmax": 1, "colorscale": "Greys", "showscale": True, "name": "p_σ(c | x)",
         "colorbar": {"title": {"text": "p_σ(c | x)"}, "len": 0.7, "y": 0.42, "thickness": 12, "x": 1.01},
         "hovertemplate": "(%{x:.2f}, %{y:.2f}): p_σ(c | x) = %{z:.2f}<extra></extra>"},
    ] + [legend_line(name, color, "solid") for name, color in zip(FIELD_NAMES, FIELD_COLORS)]  # shapes have none
    # the three fields are shapes (one SVG element each); a frame replaces the guided one only (plotly.js merges a
    # frame's list of shapes into the figure's item by item, and an empty item leaves its shape as it is)
    fixed = [_arrows(grid, u, axes[0], FIELD_COLORS[0], FIELD_NAMES[0]),
             _arrows(grid, c, axes[1], FIELD_COLORS[1], FIELD_NAMES[1])]
    guided = [_arrows(grid, u + w * (c - u), axes[2], FIELD_COLORS[2], FIELD_NAMES[2]) for w in scales]
    titles = [f"The three steps at σ = {view['sigma']:g}, guided at w = {w:g}" for w in scales]
    frame_list, slider = scrubbed([[] for _ in scales], traces=[], labels=[f"{w:g}" for w in scales], active=active,
                                  prefix="guidance scale w = ", y=-0.1, titles=titles,
                                  layouts=[{"shapes": [{}, {}, g]} for g in guided])
    notes = panel_titles([f"Unconditional: toward all {len(datasets.DOZEN_NAMES)} shapes",
                          f"Conditional: toward the {shape_label}", "Guided, over p_σ(c | x)"], centres, 0.88)
    return figure(data=static, frames=frame_list, layout=layout(
        titles[active], height, legend_y=-0.33, annotations=notes, sliders=[slider], shapes=fixed + [guided[active]],
        margin={"l": 63, "r": 128, "t": 60, "b": 192}, **lay))  # r: room for the colour bar (Plotly made it anyway)
