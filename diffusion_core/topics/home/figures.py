"""Figures of Home: one reverse step of the dino model, the states and their guesses."""

from __future__ import annotations

import plotly.graph_objects as go

from ...figures import DEFAULT_LIM, point_clouds
from ...shipped import Run

DINO_LIM = 2.8  # half-width of the view: the dino spans about [-1.4, 2.0] x [-2.0, 2.3]


def denoising_step(data, x_t, x0_hat=None, *, title: str, lim: float = DEFAULT_LIM, height: int = 500,
                   state_name: str = "x_t, the current state") -> go.Figure:
    """One reverse step: the state x_t and (optionally) the guess x0_hat made from it, over the data."""
    series = {state_name: x_t}
    if x0_hat is not None:
        series["x̂₀, the model's guess of the clean point"] = x0_hat
    return point_clouds(series, title=title, data=data, lim=lim, height=height)


def reverse_step(run: Run, k: int, data) -> go.Figure:
    """Step k of a run (0 is pure noise): the states and the guesses made from them, or the samples at the end."""
    n_steps = len(run.guesses)
    if k < n_steps:
        return denoising_step(data, run.states[k], run.guesses[k], lim=DINO_LIM,
                              title=f"Step {k} of {n_steps}: x_t at t = {run.steps[k]} and its guess x̂₀")
    return denoising_step(data, run.states[k], lim=DINO_LIM, state_name="x₀, the final samples",
                          title=f"After all {n_steps} steps: {len(run.samples):,} samples x₀")
