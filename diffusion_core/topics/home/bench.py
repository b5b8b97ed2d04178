"""Seconds behind Home's control: a new step count (the run, its whole animated figure, its numbers). Scrubbing
through the steps happens in the browser (plotly frames), with no server time at all."""

from __future__ import annotations

from ... import bench, datasets
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    data = datasets.load("dino").numpy()

    def steps_control(steps):  # the segmented control: a new run, its figure with every step, its numbers
        bench.figure(figures.reverse_run(views.run(steps), data))
        views.numbers(steps)

    return {"steps_control": {s: bench.median_seconds(lambda s=s: steps_control(s), repeats) for s in views.STEP_CHOICES},
            "figure_bytes": {s: bench.figure(figures.reverse_run(views.run(s), data)) for s in views.STEP_CHOICES}}
