"""Charts drawn on a canvas: a Streamlit custom component (v2) whose JavaScript is `static/chart.js`.

Plotly draws each marker, line stretch, tick and label of a chart as an SVG element, and Streamlit draws every new
chart twice; in Chromium on this machine a slider that redraws one chart of 1,000 points answers in about 0.1 s,
one that redraws six in 0.5 s. The same charts drawn on a canvas answer in 0.03 and 0.05 s. So `chart` sends a
figure that uses only what `chart.js` draws (`drawable`: trace, layout and axis attributes from lists of what it
draws; anything else, say an arrow on an annotation, a stacked bar or a bar on a log axis) to the canvas, and
anything else to `st.plotly_chart` as before. The figure is the same Plotly figure either way: the page code and
the figure functions do not change, and a test draws every figure of the catalogue both ways in Chromium and
compares them.

What a canvas chart does not do that Plotly does: zoom and pan, the mode bar (download as PNG), and hiding a trace
by clicking its legend entry. Hovering shows the nearest point's label, from the trace's hover template.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

HERE = Path(__file__).parent
MODULE = HERE.parent / "static" / "chart.js"  # served by Streamlit's static serving (.streamlit/config.toml)
# A component's JavaScript goes with every chart it mounts, on every run that sends the chart: 60 KB a chart. So each
# chart carries this loader, and the browser fetches the module once, from the app's static files, and keeps it
# (the file's digest in its address: a changed file is fetched afresh). The address is relative to the page's, so
# a server under a path prefix (server.baseUrlPath) serves it too.
LOADER = """
const modules = (window.gdChartModules = window.gdChartModules || {});
export default function (component) {
  const url = new URL('app/static/chart.js?v=DIGEST', document.baseURI).href;
  const ready = (modules[url] = modules[url] || import(url));
  let cleanup = null;
  let gone = false;
  ready.then((m) => { if (!gone) cleanup = m.default(component); }, (err) => {
    // the module did not load (the server went away, say): one sentence in the chart's place
    console.error('gd_chart: the chart module did not load', err);
    const root = component.parentElement.querySelector('.gd-chart');
    if (root) root.textContent = 'This chart could not be loaded; reloading the page may help.';
  });
  return () => { gone = true; if (cleanup) cleanup(); };
}
""".replace("DIGEST", hashlib.blake2b(MODULE.read_bytes(), digest_size=8).hexdigest())

_chart = st.components.v2.component(
    "gd_chart",
    html='<div class="gd-chart"><canvas role="img"></canvas></div>',
    css=(HERE / "chart.css").read_text(),
    js=LOADER,
    isolate_styles=False,  # in the page's own DOM: its classes are prefixed gd-, and the page sees each redraw
)

TRACES = {"scatter", "bar", "heatmap", "image", "contour", "histogram"}
SCATTER_KEYS = {"type", "x", "y", "mode", "name", "line", "marker", "opacity", "showlegend", "legendgroup",
                "legendrank", "hovertemplate", "hoverinfo", "customdata", "text", "error_y", "error_x", "xaxis",
                "yaxis", "fill", "fillcolor", "fillpattern", "visible", "textfont", "textposition", "uid"}
BAR_KEYS = {"type", "x", "y", "name", "marker", "opacity", "showlegend", "legendgroup", "legendrank",
            "hovertemplate", "hoverinfo", "customdata", "text", "textposition", "textfont", "error_y", "error_x",
            "width", "xaxis", "yaxis", "visible", "uid"}
HEATMAP_KEYS = {"type", "x", "y", "z", "colorscale", "reversescale", "zmin", "zmax", "zsmooth", "showscale",
                "colorbar", "name", "showlegend", "legendrank", "legendgroup", "hovertemplate", "hoverinfo",
                "opacity", "xaxis", "yaxis", "visible", "uid"}
IMAGE_KEYS = {"type", "source", "x0", "y0", "dx", "dy", "name", "hoverinfo", "opacity", "xaxis", "yaxis", "zsmooth",
              "visible", "uid"}
CONTOUR_KEYS = HEATMAP_KEYS - {"zsmooth"} | {"contours", "ncontours", "line", "autocontour"}
HISTOGRAM_KEYS = {"type", "x", "name", "marker", "opacity", "showlegend", "legendgroup", "legendrank",
                  "hovertemplate", "hoverinfo", "histnorm", "xbins", "xaxis", "yaxis", "visible", "uid"}
KEYS = {"scatter": SCATTER_KEYS, "bar": BAR_KEYS, "heatmap": HEATMAP_KEYS, "image": IMAGE_KEYS,
        "contour": CONTOUR_KEYS, "histogram": HISTOGRAM_KEYS}
CONTOURS = {"coloring", "start", "end", "size"}  # contour levels drawn as lines ("none") or filled bands ("fill")
SYMBOLS = {"circle", "circle-open", "square", "square-open", "diamond", "diamond-open", "star", "line-ew-open",
           "line-ns-open", "x"}
LAYOUT_OFF = {"images", "polar", "scene", "geo", "mapbox", "ternary", "grid"}
AXIS_TYPES = {None, "-", "linear", "log", "category"}
# what chart.js reads of the layout and of an axis; anything else sends the figure to Plotly
LAYOUT_KEYS = {"annotations", "autotypenumbers", "bargap", "barmode", "colorscale", "colorway", "datarevision", "font",
               "height", "width", "hoverlabel", "hovermode", "legend", "margin", "paper_bgcolor", "plot_bgcolor",
               "shapes", "showlegend", "sliders", "template", "title", "updatemenus"}
AXIS_KEYS = {"anchor", "automargin", "autorange", "constrain", "domain", "dtick", "tick0", "exponentformat",
             "gridcolor", "gridwidth", "linecolor", "range", "rangemode", "scaleanchor", "scaleratio", "showgrid",
             "showline", "showticklabels", "tickangle", "tickfont", "ticks", "ticktext", "tickvals", "title", "type",
             "visible", "zeroline", "zerolinecolor", "zerolinewidth", "nticks"}
SHAPES = {"line", "rect", "path"}


def _trace_off(trace: dict, frame_of: str | None = None) -> str | None:
    """What the canvas does not draw of one trace (None: all of it); `frame_of`, for a frame's trace, the type of
    the figure's trace it changes (a frame's trace may leave its type to the figure's)."""
    kind = trace.get("type", frame_of or "scatter")
    if kind not in TRACES:
        return f"a {kind} trace"
    extra = set(trace) - KEYS[kind]
    if extra:
        return f"a {kind} trace's {sorted(extra)}"
    if kind == "scatter":
        if trace.get("fill") not in (None, "none", "toself", "tozeroy"):
            return f"fill {trace['fill']}"
        if (trace.get("line") or {}).get("shape") not in (None, "linear", "hvh", "hv", "vh"):
            return f"line shape {trace['line']['shape']}"
        marker = trace.get("marker") or {}
        symbols = marker.get("symbol", "circle")
        if any(s not in SYMBOLS for s in ([symbols] if isinstance(symbols, str) else symbols)):
            return f"symbol {symbols}"
        if "colorscale" in marker or "colorbar" in marker:
            return "markers coloured by a scale"
    # a heat map spells its colour scale out (a frame's may leave it to the figure's)
    named = not isinstance(trace.get("colorscale"), (list, tuple)) and ("colorscale" in trace or frame_of is None)
    if kind in ("heatmap", "contour") and named:
        return f"a {kind} without a colour scale spelled out"
    if kind == "bar" and "text" in trace and trace.get("textposition") != "outside":
        return "bar text inside its bar"
    if kind == "scatter" and trace.get("textposition") not in (None, "top center"):
        return f"text placed {trace['textposition']}"
    if any((trace.get(e) or {}).get("array") is not None and (trace.get(e) or {}).get("visible", True)
           for e in ("error_x",)):
        return "horizontal error bars"
    if kind == "histogram" and (trace.get("histnorm") not in (None, "", "probability", "percent")
                                or set(trace.get("xbins") or {}) - {"start", "end", "size"}):
        return "a histogram normalised or binned otherwise"
    if kind == "contour":
        contours = trace.get("contours") or {}
        if set(contours) - CONTOURS or contours.get("coloring", "fill") not in ("fill", "none"):
            return f"contours {sorted(contours)} coloured {contours.get('coloring', 'fill')}"
    return None


def _frames_off(spec: dict) -> str | None:
    """What the canvas does not draw of a figure's frames and their controls: one slider whose steps animate to a
    frame, play and pause buttons, frames that change traces, the title, shapes and annotations."""
    layout = spec.get("layout", {})
    sliders = layout.get("sliders") or []
    if not spec.get("frames"):
        return "a slider or buttons without frames" if sliders or layout.get("updatemenus") else None
    if len(sliders) != 1 or any(step.get("method") != "animate" for step in sliders[0].get("steps", [])):
        return "frames without one slider that animates"
    for menu in layout.get("updatemenus") or []:
        if menu.get("type") != "buttons" or any(b.get("method") != "animate" for b in menu.get("buttons", [])):
            return "a menu that is not play and pause buttons"
    data = spec.get("data", [])
    for frame in spec["frames"]:
        if set(frame) - {"name", "data", "traces", "layout"}:
            return f"a frame's {sorted(set(frame) - {'name', 'data', 'traces', 'layout'})}"
        if set(frame.get("layout", {})) - {"title", "shapes", "annotations"}:
            return "a frame that changes more of the layout than its title, shapes and annotations"
        for shape in frame.get("layout", {}).get("shapes", []):
            if shape.get("type") not in (None, *SHAPES):
                return f"a {shape.get('type')} shape"
            if "path" in shape and any(c in shape["path"] for c in "CQSTAHVcqstahvml"):
                return "a curved or relative path"
        for note in frame.get("layout", {}).get("annotations", []):
            if note.get("showarrow", True) and note:
                return "an annotation with an arrow"
        for i, trace in enumerate(frame.get("data", [])):
            index = frame.get("traces", range(len(frame["data"])))[i]
            base = data[index] if index < len(data) else {}
            off = _trace_off(trace, base.get("type", "scatter"))
            if off:
                return f"a frame's {off}"
    return None


def drawable(spec: dict) -> str | None:
    """None if the canvas draws every part of the figure (its JSON, `fig.to_plotly_json()`), or what it does not
    draw, in words."""
    layout = spec.get("layout", {})
    for key in LAYOUT_OFF & set(layout):
        if layout[key]:
            return f"layout.{key}"
    extra = {k for k in layout if k[:5] not in ("xaxis", "yaxis")} - LAYOUT_KEYS
    if extra:
        return f"layout {sorted(extra)}"
    if layout.get("barmode", "group") not in ("group", "overlay"):
        return f"barmode {layout['barmode']}"
    off = _frames_off(spec)
    if off:
        return off
    for key, axis in layout.items():
        if key[:5] in ("xaxis", "yaxis") and isinstance(axis, dict):
            if axis.get("type") not in AXIS_TYPES:
                return f"{key}.type {axis.get('type')}"
            if axis.get("overlaying") or axis.get("side") in ("right", "top") or axis.get("matches"):
                return f"{key}: overlaid, matched or on the far side"
            if set(axis) - AXIS_KEYS:
                return f"{key} {sorted(set(axis) - AXIS_KEYS)}"
            if axis.get("tickangle", 0) not in (0, "auto") or axis.get("showline") or axis.get("ticks", "") != "":
                return f"{key}: tick marks, an axis line or slanted labels"
    for shape in layout.get("shapes", []) or []:
        if shape.get("type", "path" if "path" in shape else "rect") not in SHAPES:
            return f"a {shape.get('type')} shape"
        if "path" in shape and any(c in shape["path"] for c in "CQSTAHVcqstahvml"):
            return "a curved or relative path"
    for note in layout.get("annotations", []) or []:
        if note.get("showarrow", True):
            return "an annotation with an arrow"
    for trace in spec.get("data", []):
        off = _trace_off(trace)
        if off:
            return off
        kinds = {layout.get(f"{letter}axis{(trace.get(f'{letter}axis') or letter)[1:]}", {}).get("type")
                 for letter in "xy"}
        if (trace.get("type") in ("bar", "histogram", "heatmap", "contour") or trace.get("fill") not in (None, "none")) \
                and ("log" in kinds or (trace.get("type") in ("heatmap", "contour") and "category" in kinds)):
            return f"a {trace.get('type', 'scatter')} trace on a {'log' if 'log' in kinds else 'category'} axis"
    return None


TYPED_MIN = 64  # a shorter list of numbers stays text


def compact(spec: dict) -> None:
    """A canvas chart's long lists of numbers (a trace's x and y, in the figure and in its frames) as float32 typed
    arrays, in place: a number written out as text takes about 19 bytes, as float32 in base64 about 5.3. Flow
    matching's change of data set sent 1.3 MB of figures, most of it the paths' points as text, and the browser
    spent about 0.1 s of the reader's wait taking them in. Float32 keeps 7 significant digits, more than a chart of
    a few hundred pixels shows; a value a hover text shows unformatted (`%{x}`, on the trace or the trace a frame
    replaces) stays text, and so does a list with anything but numbers and gaps in it (a gap, None, becomes NaN,
    which chart.js leaves out as it does None), a list of whole numbers (shorter as text), a histogram's values
    (binned on exact edges) and a list with a value float32 cannot hold (too large, or too small to stay nonzero)."""
    base = spec.get("data", [])
    traces = [(t, t) for t in base]
    for frame in spec.get("frames", []):  # a frame's trace shows its hover through the trace it replaces
        shown = frame.get("traces", range(len(frame.get("data", []))))
        traces += [(t, base[k] if isinstance(k, int) and k < len(base) else t)
                   for t, k in zip(frame.get("data", []), shown)]
    for trace, replaced in traces:
        if "histogram" in (trace.get("type"), replaced.get("type")):  # binned on its values' exact edges
            continue
        template = str(trace.get("hovertemplate") or replaced.get("hovertemplate") or "")
        for key in ("x", "y"):
            v = trace.get(key)
            if (not isinstance(v, list) or len(v) < TYPED_MIN or f"%{{{key}}}" in template
                    or not all(e is None or type(e) in (int, float) for e in v)
                    or all(type(e) is int for e in v)):  # whole numbers are shorter as text
                continue
            wide = np.array(v, dtype=np.float64)
            with np.errstate(over="ignore", under="ignore"):  # found below, and kept as text
                narrow = wide.astype(np.float32)
            lost = (np.isfinite(narrow) != np.isfinite(wide)) | ((narrow == 0) != (wide == 0)) | (
                (np.abs(narrow) < np.finfo(np.float32).tiny) & (narrow != 0))
            if not lost.any():  # every value within float32's range, and none turned to zero or subnormal
                trace[key] = {"dtype": "f4", "bdata": base64.b64encode(narrow.tobytes()).decode()}


def _sent(fig: go.Figure) -> tuple[str | None, bytes, int]:
    """What the canvas does not draw of the figure (None: nothing), its JSON text as UTF-8 bytes and its height,
    worked out once per figure: kept figures (app_cache.figures, which weighs these bytes in) are sent again and
    again. Bytes go to the browser as they are; a dict holding the text would be JSON-encoded twice on every run
    (once to send, once for the element's identity) and decoded twice in the browser."""
    kept = getattr(fig, "_gd_canvas", None)
    if kept is None:
        spec = json.loads(pio.to_json(fig, validate=False))
        off = drawable(spec)
        if off is None:
            compact(spec)
        sent = json.dumps(spec, separators=(",", ":"), ensure_ascii=False).encode()  # without Plotly's \u002f escapes
        kept = (off, sent, int(spec.get("layout", {}).get("height") or 450))
        fig._gd_canvas = kept
    return kept


def prepare(fig: go.Figure) -> None:
    """Work out what `chart` sends of `fig` now, and keep it on the figure (app_cache.figures.on_kept: the warm-up
    builds figures ahead of the reader, and their JSON with them)."""
    _sent(fig)


def chart(where, fig: go.Figure, *, key: str, theme=None, **kwargs) -> None:
    """Draw `fig` in `where` (st or a container): on a canvas if it can be (`drawable`), else with st.plotly_chart
    (`theme` and `kwargs` go there only: the canvas has no theme, and the app passes nothing else)."""
    off, sent, height = _sent(fig)
    if off is not None:
        where.plotly_chart(fig, theme=theme, key=key, **kwargs)
        return
    if where is st:
        _chart(key=key, data=sent, height=height)
    else:
        with where:
            _chart(key=key, data=sent, height=height)
