"""Figures of "Spectral bands": images, power spectra, where signal meets noise, settling bands."""

from __future__ import annotations

import io
import itertools
import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ...figures import BLUES_RAMP, DATA_GREY, OKABE_ITO, SERIES, array, figure, layout, legend_line, low_legend, vline


def grey_png(img, *, zrange: tuple[float, float], scale: int = 3) -> bytes:
    """A grey image as PNG bytes for the browser to show as an image (not a heat map of a cell per pixel): values
    from zrange[0] (black) to zrange[1] (white), clipped; each pixel a scale x scale block, so a small image is
    shown enlarged with sharp pixels rather than smoothed. Non-finite pixels are drawn mid-grey. zlib at level 1:
    a 256-pixel square of noise encodes in about 1 ms rather than 4 ms at PIL's default of 6, and weighs about 10 %
    more."""
    a = np.nan_to_num(array(img).astype(np.float64), nan=sum(zrange) / 2, posinf=zrange[1], neginf=zrange[0])
    grey = np.clip((a - zrange[0]) / (zrange[1] - zrange[0]), 0, 1)
    pixels = np.round(grey * 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)
    out = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def loglog(title: str, height: int, ylabel: str, **extra) -> dict:
    return low_legend(layout(title, height,
                               xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"}, "type": "log"},
                               yaxis={"title": {"text": ylabel}, "type": "log", "exponentformat": "power"}, **extra))


def spectra_plot(series: Mapping[str, tuple], *, title: str, flat: Mapping[str, float] | None = None,
                 marker: float | None = None, marker_name: str = "SNR = 1", height: int = 400) -> go.Figure:
    """Power against frequency on log-log axes: named (freqs, power) curves (a name ending in "fit" is
    dashed), flat lines for white noise, and an optional dotted vertical line at `marker`."""
    traces = []
    for i, (name, (f, p)) in enumerate(series.items()):
        dash = "dash" if name.endswith("fit") or "fit:" in name else "solid"
        traces.append({"type": "scatter", "x": array(f), "y": array(p), "mode": "lines", "name": name,
                       "line": {"color": SERIES[i % len(SERIES)], "width": 2.2, "dash": dash},
                       "hovertemplate": "f = %{x:.3f}: %{y:.3g}<extra>" + name + "</extra>"})
    xs = [float(array(f).min()) for f, _ in series.values()] + [float(array(f).max()) for f, _ in series.values()]
    for j, (name, level) in enumerate((flat or {}).items()):
        traces.append({"type": "scatter", "x": [min(xs), max(xs)], "y": [level, level], "mode": "lines", "name": name,
                       "line": {"color": (OKABE_ITO["black"], DATA_GREY)[j % 2], "width": 2, "dash": "dot"}})
    shapes = []
    if marker is not None and math.isfinite(marker) and min(xs) <= marker <= max(xs):
        shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": marker, "x1": marker, "y0": 0, "y1": 1,
                       "line": {"color": OKABE_ITO["vermillion"], "width": 2, "dash": "dot"}})
        traces.append(legend_line(f"{marker_name}: f = {marker:.3g}", OKABE_ITO["vermillion"], "dot"))
    return figure(data=traces, layout=loglog(title, height, "power", shapes=shapes))


def crossing_curves(curves: Mapping[str, tuple], *, title: str, marker: float | None = None,
                    frange: tuple[float, float] = (1 / 128, 0.5), height: int = 360) -> go.Figure:
    """The SNR = 1 frequency against t / T for each schedule (log frequency, clipped to the image's range)."""
    traces = [{"type": "scatter", "x": array(tt), "y": np.clip(array(f), frange[0] / 1.5, frange[1] * 1.5), "mode": "lines",
               "name": name, "line": {"color": SERIES[i % len(SERIES)], "width": 2.4,
                                      "dash": ("solid", "dash", "dot")[i % 3]},
               "hovertemplate": "t/T = %{x:.2f}: f = %{y:.3g}<extra>" + name + "</extra>"}
              for i, (name, (tt, f)) in enumerate(curves.items())]
    shapes = [] if marker is None else [vline(marker, "#555555", "dot", 1.2)]
    lay = layout(title, height, shapes=shapes, xaxis={"title": {"text": "t / T (0 = clean)"}, "range": [0, 1]},
                 yaxis={"title": {"text": "f where SNR = 1"}, "type": "log",
                        "range": [math.log10(frange[0] / 1.5), math.log10(frange[1] * 1.5)]})
    return figure(data=traces, layout=low_legend(lay, -0.32))


def octave_bars(counts: Mapping[str, Sequence[float]], edges: Sequence[float], *, title: str,
                height: int = 360) -> go.Figure:
    """Steps whose SNR = 1 frequency lies in each octave, grouped by schedule."""
    e = list(edges)
    labels = [f"{1 / a:.0f}–{1 / b:.0f}" for a, b in itertools.pairwise(e)]
    traces = [{"type": "bar", "x": labels, "y": array(c), "name": name, "marker": {"color": SERIES[i % len(SERIES)]},
               "hovertemplate": "%{x}: %{y} steps<extra>" + name + "</extra>"} for i, (name, c) in enumerate(counts.items())]
    return figure(data=traces, layout=low_legend(layout(
        title, height, barmode="group", xaxis={"title": {"text": "octave: wavelength in pixels, coarse → fine"},
                                               "tickangle": 0},
        yaxis={"title": {"text": "steps deciding it"}}), -0.32))


def response_curve(freqs, share, *, title: str, height: int = 330) -> go.Figure:
    """The share of x_t's power that is signal, per frequency (log x), 0 to 1: the Wiener filter's gain
    times sqrt(alpha_bar), which is what it keeps of each band."""
    trace = {"type": "scatter", "x": array(freqs), "y": array(share), "mode": "lines",
             "name": "signal share = Wiener gain × √ᾱ", "line": {"color": OKABE_ITO["blue"], "width": 2.5}}
    return figure(data=[trace], layout=layout(title, height, showlegend=False,
                                                  xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"},
                                                         "type": "log"},
                                                  yaxis={"title": {"text": "share of x_t that is signal"},
                                                         "range": [0, 1.05]}))


def rapsd_over_steps(freqs, powers, steps, *, title: str, height: int = 400) -> go.Figure:
    """The RAPSD of x0_hat at several steps, light (early, noisy) to dark (late, clean)."""
    p = array(powers)
    colors = BLUES_RAMP
    traces = [{"type": "scatter", "x": array(freqs), "y": p[i], "mode": "lines", "name": f"x̂₀ at t = {s}",
               "line": {"color": colors[min(len(colors) - 1, round(i * (len(colors) - 1) / max(len(steps) - 1, 1)))],
                        "width": 2}} for i, s in enumerate(steps)]
    final = p[-1][p[-1] > 0]
    lay = loglog(title, height, "power of x̂₀")
    if len(final):  # the first guesses are ~0: start the axis a little below the final spectrum
        lay["yaxis"]["range"] = [math.log10(float(final.min()) / 30), math.log10(float(p.max()) * 3)]
    return figure(data=traces, layout=lay)


def settling_plot(freqs, settled: Mapping[str, object], *, title: str, T: int, height: int = 360) -> go.Figure:
    """The step at which each band's power reaches its final value (within 10%), per run."""
    traces = [{"type": "scatter", "x": array(freqs), "y": array(s), "mode": "lines+markers", "name": name,
               "line": {"color": SERIES[i % len(SERIES)], "width": 2}, "marker": {"size": 5}}
              for i, (name, s) in enumerate(settled.items())]
    return figure(data=traces, layout=low_legend(layout(
        title, height, xaxis={"title": {"text": "spatial frequency f (cycles per pixel)"}, "type": "log"},
        yaxis={"title": {"text": "step t at which it settles"}, "range": [0, T]})))


def slope_bars(slopes: Mapping[str, float], *, title: str, height: int = 320) -> go.Figure:
    """The fitted power-law slope of each image, with -2 (the 1/f² of natural images) marked."""
    names = list(slopes)
    trace = {"type": "bar", "x": names, "y": [slopes[n] for n in names], "name": "fitted slope",
             "marker": {"color": OKABE_ITO["blue"]}, "text": [f"{slopes[n]:.2f}" for n in names],
             "textposition": "outside"}
    ref = {"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": -2, "y1": -2,
           "line": {"color": OKABE_ITO["vermillion"], "width": 1.5, "dash": "dash"}}
    return figure(data=[trace, legend_line("−2: power ∝ 1/f²", OKABE_ITO["vermillion"], "dash")],
                     layout=layout(title, height, shapes=[ref], xaxis={"title": {"text": "photograph"}},
                                    yaxis={"title": {"text": "slope s in P(f) ∝ fˢ"}, "range": [-3.2, 0]}))
