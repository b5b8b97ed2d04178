"""Figures of Home: a reverse run of the dino model, scrubbed in the browser (plotly frames and their own slider)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ...figures import SERIES, data_trace, figure, layout, scrubbed, square_axes
from ...shipped import Run

DINO_LIM = 2.8  # half-width of the view: the dino spans about [-1.4, 2.0] x [-2.0, 2.3]
SHOWN = 500  # samples drawn in the animation (of the run's 1,500): 101 frames of two clouds stay under 1 MB
STATE, GUESS = "x_t, the current state", "x̂₀, the model's guess of the clean point"
SAMPLES = "x₀, the final samples"


def _cloud(points: np.ndarray | None, name: str, color: str) -> dict:
    """A cloud of points as float32 typed arrays (half the bytes of float64); None draws nothing."""
    p = np.zeros((0, 2), np.float32) if points is None else np.asarray(points, dtype=np.float32)[:SHOWN]
    return {"type": "scatter", "x": p[:, 0], "y": p[:, 1], "mode": "markers", "name": name,
            "marker": {"color": color, "size": 4, "opacity": 0.7}, "hoverinfo": "skip"}


def step_title(run: Run, k: int) -> str:
    """The title of step k of a run (0 is pure noise; the last is the samples)."""
    n_steps = len(run.guesses)
    if k < n_steps:
        return f"Step {k} of {n_steps}: x_t at t = {run.steps[k]} and its guess x̂₀"
    return f"After all {n_steps} steps: {len(run.samples):,} samples x₀ ({min(SHOWN, len(run.samples)):,} drawn)"


def reverse_run(run: Run, data, *, height: int = 700) -> go.Figure:
    """A whole reverse run as one figure: the states x_t and the guesses x̂₀ over the data at every step, and a
    slider under the plot that moves through the steps in the browser (no round trip to the server). It opens on
    the final samples."""
    n_steps = len(run.guesses)

    def moving(k: int) -> list[dict]:
        if k < n_steps:
            return [_cloud(run.states[k], STATE, SERIES[0]), _cloud(run.guesses[k], GUESS, SERIES[1])]
        return [_cloud(run.states[k], SAMPLES, SERIES[0]), _cloud(None, GUESS, SERIES[1])]

    frames, slider = scrubbed([moving(k) for k in range(n_steps + 1)], traces=[1, 2], labels=range(n_steps + 1),
                              active=n_steps, prefix="Reverse step (0 = pure noise): ", y=-0.21,
                              titles=[step_title(run, k) for k in range(n_steps + 1)])
    lay = layout(step_title(run, n_steps), height, legend_y=-0.46, margin={"l": 60, "r": 20, "t": 60, "b": 235},
                 **square_axes(DINO_LIM), sliders=[slider])
    # its traces and layout unchecked too (figure() never has Plotly check frames: Home's 101 cost 0.2 s)
    return figure(data=[data_trace(data), *moving(n_steps)], layout=lay, frames=frames, _validate=False)
