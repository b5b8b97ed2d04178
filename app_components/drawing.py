"""The drawing canvas: a Streamlit custom component (v2) whose JavaScript and CSS are the files beside this one.

The reader paints points with the mouse in up to four colours (a class each), with a brush size, undo and clear.
Its state value "drawing" is {"strokes": [[[x, y, colour], ...], ...]} with x and y in [0, 1] (y up); the page
hands it to `diffusion_core.inputs.points_from_drawing`, which checks it as it checks an uploaded CSV.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from diffusion_core import inputs
from diffusion_core.topics.playground.core import DRAW_COLOURS

HERE = Path(__file__).parent
BRUSH = 0.04  # the brush's radius a first visitor gets, in canvas widths

_canvas = st.components.v2.component(
    "gd_drawing",
    html='<div class="gd-drawing"><div class="gd-bar"></div><canvas aria-label="drawing canvas"></canvas></div>',
    css=(HERE / "drawing.css").read_text(),
    js=(HERE / "drawing.js").read_text(),
)


def canvas(key: str, strokes: list | None = None):
    """Mount the canvas (restoring `strokes`, the drawing kept from earlier); returns its drawing as the browser sent
    it (unchecked), or None before the first stroke."""
    result = _canvas(key=key, data={"strokes": strokes or [], "colours": list(DRAW_COLOURS),
                                    "max_points": inputs.MAX_DRAWN_POINTS, "max_strokes": inputs.MAX_STROKES,
                                    "brush": BRUSH},
                     default={"drawing": None}, on_drawing_change=lambda: None)
    return result.drawing
