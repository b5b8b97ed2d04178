"""The floor of the browser bench (tools/browserbench.py): the least a page of this Streamlit costs in Chromium.

    streamlit run tools/floor_app.py          # then open /?charts=N&images=M

A title, a bare slider in a fragment that redraws one plotly chart of 1,000 points, and as many more charts
(`charts`, 1 to 64, plotly, 1,000 points each, drawn as the app draws them: `theme=None`), canvas charts
(`canvas`, 0 to 64, the same figure drawn by app_components.chart) and images (`images`, 0 to 64, 128 x 128 PNG)
as a page of the app shows, so a page's load can be set beside a bare page with the same drawing to do.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_components.chart import chart  # after the path to the project

POINTS = 1_000


def _count(name: str, default: int, low: int) -> int:
    try:
        return min(max(int(st.query_params.get(name, default)), low), 64)
    except ValueError:
        return default


def scatter(seed: int) -> go.Figure:
    xy = np.random.default_rng(seed).standard_normal((POINTS, 2)).astype(np.float32)
    fig = go.Figure(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", marker={"size": 3}, name="points"))
    return fig.update_layout(title=f"{POINTS:,} points, seed {seed}", height=320, xaxis_title="x", yaxis_title="y",
                             margin={"l": 40, "r": 10, "t": 40, "b": 40})


def png(seed: int) -> bytes:
    pixels = (np.random.default_rng(seed).random((128, 128)) * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


st.set_page_config(page_title="Floor", layout="wide")
st.html(Path(__file__).resolve().parents[1] / "app.css")  # the app's style rule, so the floor draws as the app does
st.title("Floor")


@st.fragment
def answered() -> None:
    seed = st.slider("Floor slider", 0, 20, 10)
    st.plotly_chart(scatter(seed), theme=None, key="floor_0")


answered()
for k in range(1, _count("charts", 1, 1)):
    st.plotly_chart(scatter(100 + k), theme=None, key=f"floor_{k}")
for k in range(_count("canvas", 0, 0)):
    chart(st, scatter(200 + k), key=f"floor_canvas_{k}")
for k in range(_count("images", 0, 0)):
    st.image(png(k), caption=f"image {k}", width=128)
