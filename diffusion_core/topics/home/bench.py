"""Seconds behind Home's controls: a new step count (the run and its numbers), and a scrub through it."""

from __future__ import annotations

from ... import bench, datasets
from . import figures, views

REPEATS = 3


def run(repeats: int) -> dict:
    data = datasets.load("dino").numpy()

    def steps_control(steps):  # the segmented control: a new run, its figure at the end, its numbers
        r = views.run(steps)
        bench.figure(figures.reverse_step(r, len(r.guesses), data))
        views.numbers(steps)

    last = views.run(100)
    return {"steps_control": {s: bench.median_seconds(lambda: steps_control(s), repeats) for s in views.STEP_CHOICES},
            "scrub_slider": max(bench.median_seconds(lambda: bench.figure(figures.reverse_step(last, k, data)),
                                                     repeats) for k in (0, 50, 100))}
